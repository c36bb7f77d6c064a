/**
 * What a spawn asks for, and its validation.
 *
 * Everything a caller passes is checked here, before any realm exists, so a
 * bad spec is a typed error naming the field and never a half-made realm.
 */
import type { DirNode, EffectKind } from '@cathedral/sdk';
import { InvalidArgumentError, UnsupportedError, effectKinds, isEffectKind } from '@cathedral/sdk';
import { getInterfaceOf } from '@endo/pass-style';
import type { ConsoleRoute } from './console.js';
import { keptGlobals } from './compartment.js';
import { checkRealmName, isRealmUri } from './uri.js';

export type Tier = 'compartment' | 'worker' | 'process';

export interface Budget {
  readonly cpuMs?: number;
  readonly wallMs?: number;
  readonly heapMb?: number;
  readonly storageBytes?: number;
  readonly children?: number;
  readonly handles?: number;
}

export interface SpawnSpec {
  /** The main module, a URI in the realm's own table, e.g. `app://main.js`. */
  readonly main: string;
  /** The private resolution table: name → root directory node. */
  readonly realms: Readonly<Record<string, DirNode>>;
  /** Further endowments, as globals of the realm. */
  readonly caps?: Readonly<Record<string, unknown>>;
  /** Where the realm runs. Default: `process` (the tier for untrusted code). */
  readonly tier?: Tier;
  /** A name for messages and the console; default `realm-<n>`. */
  readonly name?: string;
  /** Effects the realm may ever exercise; default: all of the spawner's. */
  readonly ceiling?: readonly EffectKind[];
  readonly budget?: Budget;
  /** Where the realm's console lines go; default: the host's route. */
  readonly console?: ConsoleRoute;
}

export interface CheckedSpec {
  readonly name: string;
  readonly main: string;
  readonly roots: ReadonlyMap<string, DirNode>;
  readonly caps: ReadonlyMap<string, unknown>;
  readonly tier: Tier;
  readonly ceiling: ReadonlySet<EffectKind>;
  readonly console: ConsoleRoute | undefined;
}

/** Names the realm's own globals use; caps cannot take them. */
export const reservedGlobals: ReadonlySet<string> = new Set([
  ...keptGlobals, 'resolve', 'E', 'Far', 'console', 'TextEncoder', 'TextDecoder',
]);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const bad = (target: string, problem: string, rule: string, allow?: string) =>
  new InvalidArgumentError({ operation: 'spawn', target, problem, rule, allow });

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const checkSpec = (spec: unknown, defaultName: string): CheckedSpec => {
  if (!isRecord(spec)) throw bad('spec', 'the spawn spec must be an object', 'spawn takes { main, realms, ... }');
  const name = spec['name'] ?? defaultName;
  if (typeof name !== 'string' || !/^[\w.-]{1,64}$/.test(name)) {
    throw bad('name', 'a realm name is 1 to 64 letters, digits, "_", "-" or "."', 'realm names are printable');
  }
  const main = spec['main'];
  if (typeof main !== 'string' || !isRealmUri(main)) {
    throw bad('main', `main must be a realm URI such as "app://main.js", got ${JSON.stringify(main)}`, 'main is resolved in the realm\'s own table');
  }
  const realms = spec['realms'];
  if (!isRecord(realms)) throw bad('realms', 'realms must be a record of name → root node', 'each realm has its own resolution table');
  const roots = new Map<string, DirNode>();
  for (const [key, node] of Object.entries(realms)) {
    checkRealmName(key);
    if (getInterfaceOf(node) === undefined) {
      throw bad(`realms.${key}`, 'a root must be a directory node (hostDir, memory, or an attenuation of one)', 'roots are capabilities', 'pass hostDir(path) or memory(tree)');
    }
    roots.set(key, node as DirNode);
  }
  const capsIn = spec['caps'] ?? {};
  if (!isRecord(capsIn)) throw bad('caps', 'caps must be a record of name → capability', 'endowments are named');
  const caps = new Map<string, unknown>();
  for (const [key, value] of Object.entries(capsIn)) {
    if (!IDENTIFIER.test(key)) throw bad(`caps.${key}`, 'a cap name must be a JavaScript identifier', 'caps become globals');
    if (reservedGlobals.has(key)) {
      throw bad(`caps.${key}`, `"${key}" is a global every realm already has`, 'caps cannot replace a realm\'s own globals', 'choose another name');
    }
    caps.set(key, value);
  }
  const tier = spec['tier'] ?? 'process';
  if (tier !== 'compartment' && tier !== 'worker' && tier !== 'process') {
    throw bad('tier', `unknown tier ${JSON.stringify(tier)}`, 'tiers are compartment, worker and process');
  }
  if (tier !== 'compartment') {
    throw new UnsupportedError({
      operation: 'spawn',
      target: `tier: ${tier}`,
      problem: `the ${tier} tier is not available in this version`,
      rule: 'a tier that cannot isolate is refused, never silently replaced',
      allow: "pass tier: 'compartment' for trusted or cooperative code",
    });
  }
  const ceilingIn = spec['ceiling'] ?? effectKinds;
  if (!Array.isArray(ceilingIn)) throw bad('ceiling', 'the ceiling must be an array of effect kinds', 'ceilings are sets of effects');
  for (const effect of ceilingIn as unknown[]) {
    if (!isEffectKind(effect)) {
      throw bad('ceiling', `unknown effect ${JSON.stringify(effect)}`, `effects are ${effectKinds.join(', ')}`);
    }
  }
  const budget = spec['budget'];
  if (budget !== undefined) {
    if (!isRecord(budget)) throw bad('budget', 'the budget must be a record', 'budgets are { cpuMs, wallMs, heapMb, ... }');
    const asked = Object.keys(budget);
    if (asked.length > 0) {
      throw new UnsupportedError({
        operation: 'spawn',
        target: `budget.${asked.join(', budget.')}`,
        problem: `the ${tier} tier cannot enforce ${asked.join(', ')} in this version`,
        rule: 'a budget that cannot be enforced is refused, never pretended',
        allow: 'spawn without that budget',
      });
    }
  }
  const route = spec['console'];
  if (route !== undefined && typeof route !== 'function') throw bad('console', 'console must be a function (realm, level, line) => void', 'console routes are functions');
  return {
    name,
    main,
    roots,
    caps,
    tier,
    ceiling: new Set(ceilingIn as EffectKind[]),
    console: route as ConsoleRoute | undefined,
  };
};

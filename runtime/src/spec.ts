/**
 * What a spawn asks for, and its validation.
 *
 * Everything a caller passes is checked here, before any realm exists, so a
 * bad spec is a typed error naming the field and never a half-made realm.
 */
import type { DirNode, EffectKind, RealmBinding } from '@cathedral/sdk';
import { BudgetExceededError, CeilingError, InvalidArgumentError, UnsupportedError, effectKinds, isEffectKind, realmBoundMaker } from '@cathedral/sdk';
import { quota, quotaAccount } from '@cathedral/powerbox';
import { getInterfaceOf } from '@endo/pass-style';
import type { ConsoleRoute } from './console.js';
import { keptGlobals } from './compartment.js';
import { type Lock, checkLock } from './lock.js';
import { type Meter, type MeteredKey, makeMeter } from './meter.js';
import { checkRealmName, isRealmUri } from './uri.js';

export type Tier = 'compartment' | 'worker' | 'process';

export interface Budget {
  readonly cpuMs?: number;
  readonly wallMs?: number;
  readonly heapMb?: number;
  /** Net bytes the realm may add through all of its roots together. */
  readonly storageBytes?: number;
  /** Live descendant realms. */
  readonly children?: number;
  /** Open timers, streams and listeners of realm-bound capabilities. */
  readonly handles?: number;
  /** Bytes sent and received through realm-bound network capabilities. */
  readonly netBytes?: number;
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
  /**
   * Hands the realm authority over its own realm, as the global `authority`:
   * `true` owns its `app` root; `{ own: ['app', 'user'] }` names the roots it owns.
   */
  readonly authority?: boolean | { readonly own?: readonly string[] };
  /**
   * The digests of the code and data the realm must be spawned with (from
   * `host.lock(realms)`); a difference refuses the spawn with `LockMismatchError`.
   */
  readonly lock?: Lock;
  /**
   * Limits that must be held as asked, or the spawn is refused: budget keys
   * (`heapMb`, `cpuMs`, ...), effects the ceiling leaves out (`net.connect`:
   * the child must be unable to connect even past the language wall), or
   * `kernel` (the whole kernel wall). See `realm.enforcedBy` for what holds
   * each limit, and `cathedral doctor` for what this machine offers.
   */
  readonly required?: readonly string[];
}

export interface CheckedSpec {
  readonly name: string;
  readonly main: string;
  readonly roots: ReadonlyMap<string, DirNode>;
  readonly caps: ReadonlyMap<string, unknown>;
  readonly tier: Tier;
  readonly ceiling: ReadonlySet<EffectKind>;
  readonly console: ConsoleRoute | undefined;
  readonly authority: { readonly own: readonly string[] } | undefined;
  readonly budget: Budget;
  /** The host's count of the realm's handles, netBytes, children and storage. */
  readonly meter: Meter;
  readonly lock: Lock | undefined;
  readonly required: readonly string[];
  /** Runs the end hooks of the realm's realm-bound capabilities; the host calls it once the realm ended. */
  readonly ended: (reason: string) => void;
}

/** Names the realm's own globals use; caps cannot take them. */
export const reservedGlobals: ReadonlySet<string> = new Set([
  ...keptGlobals, 'resolve', 'E', 'Far', 'console', 'TextEncoder', 'TextDecoder', 'request', 'authority',
]);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const bad = (target: string, problem: string, rule: string, allow?: string) =>
  new InvalidArgumentError({ operation: 'spawn', target, problem, rule, allow });

/** Nodes already seen to be remotables (a spawn checks every root; most are the same few). */
const remotables = new WeakSet<object>();
const isRemotable = (node: unknown): boolean => {
  if (typeof node !== 'object' || node === null) return false;
  if (remotables.has(node)) return true;
  if (getInterfaceOf(node) === undefined) return false;
  remotables.add(node);
  return true;
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Who is spawning: the limits a spec is checked against. */
export interface Spawner {
  readonly name: string;
  readonly ceiling: ReadonlySet<EffectKind>;
  /** True when the spec comes from guest code (a realm's authority). */
  readonly guest: boolean;
  /** The tier when the spec names none: `process` for the host, the parent's own tier for a realm. */
  readonly tier: Tier;
  /** The spawner's own budget: a child's never exceeds what is left of it (undefined: unlimited, the host). */
  readonly budget?: Budget | undefined;
  /** The spawner's meter, which its children's spending is charged to as well. */
  readonly meter?: Meter | undefined;
}

/** Tiers from least to most isolated: a realm's children are never less isolated than itself. */
const isolation: Readonly<Record<Tier, number>> = { compartment: 0, worker: 1, process: 2 };

export const checkSpec = (spec: unknown, defaultName: string, spawner: Spawner): CheckedSpec => {
  if (!isRecord(spec)) throw bad('spec', 'the spawn spec must be an object', 'spawn takes { main, realms, ... }');
  const given = spec['name'] ?? defaultName;
  if (typeof given !== 'string' || !/^[\w.-]{1,64}$/.test(given)) {
    throw bad('name', 'a realm name is 1 to 64 letters, digits, "_", "-" or "."', 'realm names are printable');
  }
  // A child's name says where it lives: `parent/child`.
  const name = spawner.guest ? `${spawner.name}/${given}` : given;
  const main = spec['main'];
  if (typeof main !== 'string' || !isRealmUri(main)) {
    throw bad('main', `main must be a realm URI such as "app://main.js", got ${JSON.stringify(main)}`, 'main is resolved in the realm\'s own table');
  }
  const realms = spec['realms'];
  if (!isRecord(realms)) throw bad('realms', 'realms must be a record of name → root node', 'each realm has its own resolution table');
  const roots = new Map<string, DirNode>();
  for (const [key, node] of Object.entries(realms)) {
    checkRealmName(key);
    if (!isRemotable(node)) {
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
  const tier = spec['tier'] ?? spawner.tier;
  if (tier !== 'compartment' && tier !== 'worker' && tier !== 'process') {
    throw bad('tier', `unknown tier ${JSON.stringify(tier)}`, 'tiers are compartment, worker and process');
  }
  const ceiling = checkCeiling(spec['ceiling'], spawner);
  const authorityIn = spec['authority'];
  let authority: CheckedSpec['authority'];
  if (authorityIn === true) authority = { own: ['app'] };
  else if (authorityIn === undefined || authorityIn === false) authority = undefined;
  else if (isRecord(authorityIn) && (authorityIn['own'] === undefined || Array.isArray(authorityIn['own']))) {
    const own = (authorityIn['own'] as unknown[] | undefined) ?? ['app'];
    for (const key of own) {
      if (typeof key !== 'string' || !roots.has(key)) {
        throw bad('authority.own', `${JSON.stringify(key)} is not a name in the realm's table`, 'a realm owns only roots bound in its table');
      }
    }
    authority = { own: own as string[] };
  } else throw bad('authority', 'authority must be true or { own: [names] }', 'authority is granted explicitly');
  if (spawner.guest && isolation[tier] < isolation[spawner.tier]) {
    throw new CeilingError({
      operation: 'spawn',
      target: `tier: ${tier}`,
      realm: spawner.name,
      problem: `a child at the ${tier} tier would be less isolated than its parent at the ${spawner.tier} tier`,
      rule: 'a child never has more than its parent: its tier is at least as isolated',
      allow: `spawn the child at the ${spawner.tier} tier or a more isolated one`,
    });
  }
  const budget = carve(spawner, checkBudget(spec['budget'], tier));
  const route = spec['console'];
  if (route !== undefined && (spawner.guest || typeof route !== 'function')) {
    throw bad('console', spawner.guest ? 'a realm cannot route its child\'s console' : 'console must be a function (realm, level, line) => void', 'console routes are set by the host');
  }
  // Storage: one account over all the realm's roots (a child's writes reach
  // its parent's roots through the parent's own quota nodes, so they count there too).
  const storage = budget.storageBytes === undefined ? undefined : quotaAccount({ bytes: budget.storageBytes });
  if (storage !== undefined) for (const [key, node] of roots) roots.set(key, quota(node, storage).node);
  const limits: Partial<Record<MeteredKey, number>> = {};
  for (const key of meteredKeys) if (budget[key] !== undefined) limits[key] = budget[key];
  const meter = makeMeter(name, limits, spawner.meter, storage);
  // Realm-bound capabilities, made for this realm now; their end hooks run when it ends.
  const endHooks: Array<(reason: string) => void> = [];
  let endedWith: string | undefined;
  const binding: RealmBinding = Object.freeze({
    realm: name,
    meter,
    ceiling,
    onEnd: (listener: (reason: string) => void) => {
      if (endedWith === undefined) endHooks.push(listener);
      else listener(endedWith);
    },
  });
  for (const [key, value] of caps) {
    const make = realmBoundMaker(value);
    if (make !== undefined) caps.set(key, make(binding));
  }
  const ended = (reason: string) => {
    if (endedWith !== undefined) return;
    endedWith = reason;
    for (const hook of endHooks.splice(0)) {
      try {
        hook(reason);
      } catch {
        // An end hook's failure must not keep the others from running.
      }
    }
  };
  return {
    name,
    main,
    roots,
    caps,
    tier,
    ceiling,
    console: route as ConsoleRoute | undefined,
    authority,
    budget,
    meter,
    lock: spec['lock'] === undefined ? undefined : checkLock(spec['lock'], { realm: name, operation: 'spawn' }),
    required: checkRequired(spec['required'], tier, budget, ceiling),
    ended,
  };
};

const meteredKeys = ['handles', 'netBytes', 'children'] as const;

/**
 * `required`: each entry a budget the realm has, an effect its ceiling
 * leaves out, or `kernel`. Kernel-held entries need the process tier; the
 * process tier checks at start that this machine holds them (tiers/kernel.ts).
 */
const checkRequired = (requiredIn: unknown, tier: Tier, budget: Budget, ceiling: ReadonlySet<EffectKind>): readonly string[] => {
  if (requiredIn === undefined) return [];
  if (!Array.isArray(requiredIn)) throw bad('required', 'required must be an array of budget keys, effects or "kernel"', 'required limits are named');
  for (const key of requiredIn as unknown[]) {
    const known = key === 'kernel' || (budgetKeys as readonly unknown[]).includes(key) || isEffectKind(key);
    if (!known) throw bad('required', `unknown limit ${JSON.stringify(key)}`, `required names budget keys (${budgetKeys.join(', ')}), effects or "kernel"`);
    if ((budgetKeys as readonly unknown[]).includes(key) && budget[key as keyof Budget] === undefined) {
      throw bad('required', `budget.${String(key)} is required but not asked`, 'only a limit the spawn sets can be required', `set budget.${String(key)}`);
    }
    if (isEffectKind(key) && ceiling.has(key)) {
      throw bad('required', `"${key}" is in the ceiling, so there is nothing to hold back`, 'a required effect is one the ceiling leaves out, held by the kernel too', `remove "${key}" from the ceiling`);
    }
    const kernelHeld = key === 'kernel' || isEffectKind(key);
    if (kernelHeld && tier !== 'process') {
      throw new UnsupportedError({
        operation: 'spawn',
        target: `required: ${String(key)}`,
        problem: `the ${tier} tier has no kernel wall to hold ${String(key)}`,
        rule: 'a limit marked required is enforced as asked or the spawn is refused, never silently degraded',
        allow: "spawn at tier 'process'",
      });
    }
  }
  return Object.freeze([...(requiredIn as string[])]);
};

/** The realm's ceiling: the spawner's own when none is asked (shared, not copied), else a subset of it. */
const checkCeiling = (ceilingIn: unknown, spawner: Spawner): ReadonlySet<EffectKind> => {
  if (ceilingIn === undefined) return spawner.ceiling;
  if (!Array.isArray(ceilingIn)) throw bad('ceiling', 'the ceiling must be an array of effect kinds', 'ceilings are sets of effects');
  for (const effect of ceilingIn as unknown[]) {
    if (!isEffectKind(effect)) {
      throw bad('ceiling', `unknown effect ${JSON.stringify(effect)}`, `effects are ${effectKinds.join(', ')}`);
    }
  }
  const extra = (ceilingIn as EffectKind[]).filter(effect => !spawner.ceiling.has(effect));
  if (extra.length > 0) {
    throw new CeilingError({
      operation: 'spawn',
      target: `ceiling: ${extra.join(', ')}`,
      realm: spawner.name,
      problem: `a child's ceiling would exceed its parent's by ${extra.join(', ')}`,
      rule: "a child's ceiling is a subset of its parent's",
      allow: `spawn the child without ${extra.join(', ')}`,
    });
  }
  return new Set(ceilingIn as EffectKind[]);
};

/**
 * A child's budget within what is left of its parent's: every limit the
 * parent has, the child has too, at most what the parent has left and that
 * by default. What the host meters (handles, netBytes, children, storage) is
 * left as the parent's limit minus what it and its children spend now, and
 * the child's spending is charged to the parent too. CPU, wall and heap are
 * bounded per realm (at most the parent's own limit), not summed.
 */
const carve = (spawner: Spawner, asked: Budget): Budget => {
  const parent = spawner.budget;
  if (parent === undefined) return asked;
  const out: Record<string, number> = { ...asked };
  const leftOf = (key: keyof Budget): number | undefined => {
    const limit = parent[key];
    if (limit === undefined) return undefined;
    const meter = spawner.meter;
    if (meter === undefined) return limit;
    if (key === 'storageBytes') return meter.storage === undefined ? limit : Math.max(0, limit - meter.storage.usage().bytes);
    if (key === 'handles' || key === 'netBytes' || key === 'children') return Math.max(0, meter.remaining(key) ?? limit);
    return limit;
  };
  for (const key of budgetKeys) {
    const left = leftOf(key);
    if (left === undefined) continue;
    // Grandchildren count against every ancestor's children budget through
    // the meter; a child gets a limit of its own only when it asks for one.
    if (key === 'children' && asked[key] === undefined) continue;
    const want = asked[key] ?? left;
    if (want > left) {
      throw new BudgetExceededError({
        operation: 'spawn',
        target: `budget.${key}`,
        realm: spawner.name,
        problem: `the child asks for ${key} ${want}, but its parent has only ${left} left`,
        rule: "a child never has more than its parent",
        allow: `ask for at most ${key} ${left}`,
      });
    }
    out[key] = want;
  }
  return out as Budget;
};

/** Budgets the host meters itself, at every tier. */
const hostMetered = ['storageBytes', 'children', 'handles', 'netBytes'];
/** Budgets each tier can enforce in this version; the rest are refused, never pretended. */
const enforceable: Readonly<Record<Tier, readonly string[]>> = {
  compartment: hostMetered,
  worker: ['cpuMs', 'wallMs', 'heapMb', ...hostMetered],
  process: ['cpuMs', 'wallMs', 'heapMb', ...hostMetered],
};

const budgetKeys = ['cpuMs', 'wallMs', 'heapMb', 'storageBytes', 'children', 'handles', 'netBytes'] as const;

const checkBudget = (budget: unknown, tier: Tier): Budget => {
  if (budget === undefined) return {};
  if (!isRecord(budget)) throw bad('budget', 'the budget must be a record', 'budgets are { cpuMs, wallMs, heapMb, ... }');
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(budget)) {
    if (!(budgetKeys as readonly string[]).includes(key)) throw bad(`budget.${key}`, `unknown budget "${key}"`, `budgets are ${budgetKeys.join(', ')}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw bad(`budget.${key}`, `a budget is a positive number, got ${JSON.stringify(value)}`, 'budgets are positive numbers');
    }
    if (!enforceable[tier].includes(key)) {
      throw new UnsupportedError({
        operation: 'spawn',
        target: `budget.${key}`,
        problem: `the ${tier} tier cannot enforce ${key}${tier === 'compartment' && ['cpuMs', 'wallMs', 'heapMb'].includes(key) ? ': code in the host\'s own thread cannot be preempted or bounded' : ' in this version'}`,
        rule: 'a budget that cannot be enforced is refused, never pretended',
        allow: tier === 'compartment' && ['cpuMs', 'wallMs', 'heapMb'].includes(key) ? "spawn at tier 'worker' or 'process'" : `spawn without budget.${key}`,
      });
    }
    out[key] = value;
  }
  return out as Budget;
};

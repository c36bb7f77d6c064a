/**
 * A realm at the compartment tier: one hardened compartment whose global
 * object holds `resolve`, `harden`, `E`, `Far`, a routed `console`, the text
 * codecs and the spawner's caps — and nothing else (see ./compartment.ts).
 *
 * The realm's roots and caps reach the guest through its gate (./gate.ts);
 * `terminate()` revokes the gate, so everything the realm held refuses
 * further use. What the guest hands the host (exports, answers) goes
 * through ./copy-out.ts: copies, followed promises, refusals, and host-side
 * capabilities that refuse once the realm ended; guest errors carry their
 * location.
 *
 * A spawn is kept cheap without sharing anything per-realm: roots are
 * wrapped only when first handed out (./realm-parts.ts), the main module is
 * read through the gate before the compartment links it, and a main module
 * that imports nothing is linked synchronously (./modules/loader.ts).
 */
import { E, Far } from '@endo/far';
import { InvalidArgumentError } from '@cathedral/sdk';
import { makeRealmParts } from './realm-parts.js';
import type { Ledger } from '@cathedral/powerbox';
import type { ChildHandle } from './authority.js';
import type { RealmRecord, Registry } from './registry.js';
import type { Decider } from './requests.js';
import { type ConsoleRoute, makeConsoleSink } from './console.js';
import { RealmCompartment } from './compartment.js';
import { fromGuest } from './guest-error.js';
import { type CopyOut, makeCopyOut } from './copy-out.js';
import { makeModuleLoader } from './modules/loader.js';
import { makePackageLoader } from './modules/packages.js';
import type { SourceCache } from './modules/source-cache.js';
import type { CheckedSpec, Tier } from './spec.js';
import type { KernelMode } from './tiers/kernel.js';
import type { Pool, Poolable } from './tiers/pool.js';

/** What a realm's guest-side helpers are made by: shared, hardened, powerless. */
export interface GuestKit {
  readonly makeConsole: (sink: (level: unknown, line: unknown) => void) => {
    readonly console: object;
    readonly format: (value: unknown) => string;
  };
  readonly TextEncoder: unknown;
  readonly TextDecoder: unknown;
}

/** A function exported by a guest's main module, as the host calls it. */
export type Exported = (...args: never[]) => Promise<unknown>;

export interface Realm {
  readonly name: string;
  readonly tier: Tier;
  /** The main module's exports: functions return promises; other values are hardened. */
  readonly exports: Readonly<Record<string, unknown>>;
  /** What enforces each limit of this realm on this machine. */
  readonly enforcedBy: Readonly<Record<string, string>>;
  /** Calls the exported function `name` of the main module. */
  call<R = unknown>(name: string, ...args: unknown[]): Promise<R>;
  /** Ends the realm: every capability it held refuses further use. */
  terminate(): Promise<void>;
  /** Settles when the realm ends, with why: `terminated`, `exited`, `crashed: SIGABRT`, `budget: cpu`... */
  readonly done: Promise<{ readonly reason: string }>;
}

/** `realm.call` over an exports record, with a typed refusal for a missing export. */
export const callExport = (realm: string, exports: Readonly<Record<string, unknown>>) =>
  <R,>(name: string, ...args: unknown[]): Promise<R> => {
    const fn = Object.prototype.hasOwnProperty.call(exports, name) ? exports[name] : undefined;
    if (typeof fn !== 'function') {
      return Promise.reject(
        new InvalidArgumentError({
          operation: 'call',
          target: String(name),
          realm,
          problem: 'the main module exports no function by that name',
          rule: "a realm is called through its main module's exported functions",
          allow: `export a function named ${JSON.stringify(String(name))} from the main module`,
        }),
      );
    }
    return (fn as (...a: unknown[]) => Promise<R>)(...args);
  };

export interface RealmContext {
  readonly kit: GuestKit;
  readonly sources: SourceCache;
  readonly route: ConsoleRoute;
  readonly report: (message: string) => void;
  readonly registry: Registry;
  readonly ledger: Ledger;
  readonly randomToken: () => string;
  readonly decide: Decider | undefined;
  /** Spawns a child of `parent` from a guest's spec. */
  readonly spawnChild: (spec: unknown, parent: RealmRecord) => Promise<ChildHandle>;
  /** Whether process-tier children start behind the kernel wall where it is built ('auto') or never ('off'). */
  readonly kernel: KernelMode;
  /** Warm guest processes, when the host keeps any (`createHost({ pool })`). */
  readonly pool: Pool<Poolable> | undefined;
}

/** Who spawns: the host (no parent) or a realm. */
export interface Parent {
  readonly record: RealmRecord | undefined;
  readonly grantor: string;
}

/**
 * The host's view of the main module's exports: each copied out (./copy-out.ts),
 * so an exported function becomes a host-side capability that refuses once the
 * realm ended, and other values are host-made copies.
 */
const wrapExports = (namespace: Readonly<Record<string, unknown>>, copy: CopyOut): Readonly<Record<string, unknown>> => {
  const out: Record<string, unknown> = {};
  // Own keys, not Object.keys: a namespace is a Proxy, and Object.keys asks it for every key's descriptor too.
  for (const key of Reflect.ownKeys(namespace)) if (typeof key === 'string') out[key] = copy.value(namespace[key], key);
  // Host-facing: the host's own closures and copies, frozen.
  return Object.freeze(out);
};

/** What enforces each limit at this tier: the same for every compartment realm. */
const enforcement: Readonly<Record<string, string>> = Object.freeze({
  names: 'resolution table + SES compartment',
  ceiling: 'realm gate (every capability call: node operations and the effects capabilities declare)',
  cpuMs: 'not enforceable at the compartment tier',
  wallMs: 'not enforceable at the compartment tier',
  heapMb: 'not enforceable at the compartment tier',
});

export const makeCompartmentRealm = async (
  spec: CheckedSpec,
  context: RealmContext,
  parent: Parent,
): Promise<{ realm: Realm; record: RealmRecord }> => {
  const { name } = spec;
  const { record, gate, root, readModule, table, resolve, endowments, done } = makeRealmParts(spec, context, parent);
  const { console, format } = context.kit.makeConsole(makeConsoleSink(name, spec.console ?? context.route, gate.isLive));
  const base = { console, harden, TextEncoder: context.kit.TextEncoder, TextDecoder: context.kit.TextDecoder };
  // `resolve` is a host arrow: frozen, it reaches nothing but the frozen Function.prototype (harden's walk would find no more).
  // Built by assignment: an object spread of these records costs more than the rest of this function.
  const globals: Record<string, unknown> = {
    console,
    harden,
    TextEncoder: context.kit.TextEncoder,
    TextDecoder: context.kit.TextDecoder,
    resolve: Object.freeze(resolve),
    E,
    Far,
  };
  for (const key of Object.keys(endowments)) globals[key] = endowments[key];
  const packages = makePackageLoader({ realm: name, app: () => root('app'), globals: base, Compartment: RealmCompartment });
  const loader = makeModuleLoader({ realm: name, table, sources: context.sources, packages, read: readModule });
  const { resolveHook, importHook, importNowHook } = loader.hooks;
  const compartment = new RealmCompartment({
    __options__: true,
    name,
    globals,
    noAggregateLoadErrors: true,
    resolveHook,
    importHook,
    importNowHook,
  } as never);
  const copy: CopyOut = makeCopyOut({
    realm: name,
    isLive: gate.isLive,
    format,
    // A capability this realm answered earlier goes back as the guest's own value; anything else through the gate.
    wrapArg: value => copy.originalOf(value) ?? gate.wrap(value, 'argument'),
  });
  // What the guest passes to host capabilities crosses by the same rule as what it answers, from its first line on.
  gate.copyArgumentsWith(copy.argument);
  let namespace: Record<string, unknown>;
  try {
    namespace = await loader.importMain(compartment, spec.main);
  } catch (error) {
    record.terminate('the main module failed to load');
    throw fromGuest(error, { realm: name, operation: `import ${JSON.stringify(spec.main)}`, format });
  }
  let exports: Readonly<Record<string, unknown>>;
  try {
    exports = wrapExports(namespace, copy);
  } catch (error) {
    record.terminate('the main module exports a value that cannot cross');
    throw error;
  }
  const realm: Realm = Object.freeze({
    name,
    tier: 'compartment' as const,
    exports,
    call: callExport(name, exports),
    done,
    enforcedBy: enforcement,
    terminate: async () => {
      record.terminate('terminated');
    },
  });
  return { realm, record };
};

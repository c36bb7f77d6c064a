/**
 * A realm at the compartment tier: one hardened compartment whose global
 * object holds `resolve`, `harden`, `E`, `Far`, a routed `console`, the text
 * codecs and the spawner's caps — and nothing else (see ./compartment.ts).
 *
 * The realm's roots and caps reach the guest through its gate (./gate.ts);
 * `terminate()` revokes the gate, so everything the realm held refuses
 * further use. The host calls the main module's exports through wrappers
 * that harden what crosses and report guest errors with their location.
 */
import { E, Far } from '@endo/far';
import type { Node } from '@cathedral/sdk';
import { InvalidArgumentError, RevokedError } from '@cathedral/sdk';
import { makeRealmParts } from './realm-parts.js';
import type { Ledger } from '@cathedral/powerbox';
import type { ChildHandle } from './authority.js';
import type { RealmRecord, Registry } from './registry.js';
import type { Decider } from './requests.js';
import { type ConsoleRoute, makeConsoleSink } from './console.js';
import { RealmCompartment } from './compartment.js';
import { fromGuest } from './guest-error.js';
import { copyOut } from './copy-out.js';
import { makeModuleHooks } from './modules/loader.js';
import { makePackageLoader } from './modules/packages.js';
import type { SourceCache } from './modules/source-cache.js';
import type { CheckedSpec, Tier } from './spec.js';

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
  readonly enforcement: Readonly<Record<string, string>>;
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
}

/** Who spawns: the host (no parent) or a realm. */
export interface Parent {
  readonly record: RealmRecord | undefined;
  readonly grantor: string;
}

const wrapExports = (
  namespace: Readonly<Record<string, unknown>>,
  realm: string,
  isLive: () => boolean,
  format: (value: unknown) => string,
  wrapArg: (value: unknown) => unknown,
): Readonly<Record<string, unknown>> => {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(namespace)) {
    const value = namespace[key];
    if (typeof value !== 'function') {
      out[key] = harden(value);
      continue;
    }
    out[key] = async (...args: unknown[]) => {
      if (!isLive()) {
        throw new RevokedError({
          operation: `call "${key}"`,
          realm,
          problem: 'the realm was terminated',
          rule: 'a terminated realm runs no more code',
          allow: 'spawn the realm again',
        });
      }
      try {
        const result: unknown = await Reflect.apply(value, undefined, harden(args.map(wrapArg)));
        return copyOut(result);
      } catch (error) {
        throw fromGuest(error, { realm, operation: `call "${key}"`, format });
      }
    };
  }
  // Host-facing: the host's own closures, frozen (guest values inside were hardened above).
  return Object.freeze(out);
};

export const makeCompartmentRealm = async (
  spec: CheckedSpec,
  context: RealmContext,
  parent: Parent,
): Promise<{ realm: Realm; record: RealmRecord }> => {
  const { name } = spec;
  const { record, gate, roots, table, resolve, endowments, done } = makeRealmParts(spec, context, parent);
  const { console, format } = context.kit.makeConsole(makeConsoleSink(name, spec.console ?? context.route, gate.isLive));
  const base = { console, harden, TextEncoder: context.kit.TextEncoder, TextDecoder: context.kit.TextDecoder };
  const globals: Record<string, unknown> = { ...base, resolve: harden(resolve), E, Far, ...endowments };
  const packages = makePackageLoader({ realm: name, app: roots.get('app'), globals: base, Compartment: RealmCompartment });
  const compartment = new RealmCompartment({
    __options__: true,
    name,
    globals,
    noAggregateLoadErrors: true,
    ...makeModuleHooks({ realm: name, table, sources: context.sources, packages }),
  } as never);
  let namespace: Record<string, unknown>;
  try {
    ({ namespace } = (await compartment.import(spec.main)) as { namespace: Record<string, unknown> });
  } catch (error) {
    record.terminate('the main module failed to load');
    throw fromGuest(error, { realm: name, operation: `import ${JSON.stringify(spec.main)}`, format });
  }
  const exports = wrapExports(namespace, name, gate.isLive, format, value => gate.wrap(value, 'argument'));
  const realm: Realm = Object.freeze({
    name,
    tier: 'compartment' as const,
    exports,
    call: callExport(name, exports),
    done,
    enforcement: Object.freeze({
      names: 'resolution table + SES compartment',
      ceiling: 'realm gate (every node operation)',
      cpuMs: 'not enforceable at the compartment tier',
      wallMs: 'not enforceable at the compartment tier',
      heapMb: 'not enforceable at the compartment tier',
    }),
    terminate: async () => {
      record.terminate('terminated');
    },
  });
  return { realm, record };
};

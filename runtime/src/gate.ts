/**
 * The realm gate: everything a realm holds passes through it.
 *
 * One gate per realm wraps its roots and its endowed capabilities in
 * forwarders (records of functions over private state, never Proxies) that:
 *  - refuse every call once the realm ends (`RevokedError`), including on
 *    nodes and objects obtained later through a wrapped one;
 *  - check the realm's effect ceiling on every node operation;
 *  - restate Cathedral errors with the realm's name and the URI as the guest
 *    wrote it, and replace any other host error by a generic one, so that no
 *    host path, stack or object reaches the guest.
 * Values returned to the guest are wrapped the same way, recursively: Far
 * objects and functions get forwarders (one per original), promises are
 * followed, records, arrays and bytes are copied (./copy-in.ts), and all of
 * it reaches the guest hardened; primitives pass as they are. A failure
 * while an answer is copied is a refusal like any other.
 *
 * The host's own loading path (`call`) goes through the same checks without
 * making a wrapper, so a root is wrapped only when the guest first gets it.
 *
 * The gate does not decide what a realm may reach: the resolution table and
 * the powerbox do. It only makes what was reached revocable and accountable.
 */
import { types } from 'node:util';
import { Far, getInterfaceOf } from '@endo/pass-style';
import type { EffectKind } from '@cathedral/sdk';
import { CathedralError, CeilingError, GuestError, InvalidArgumentError, IoError, RevokedError, declareEffects, declaredEffect, declaredEffects, restate, stackOf } from '@cathedral/sdk';
import { describeNode } from '@cathedral/powerbox';
import { type CopyIn, makeCopyIn } from './copy-in.js';
import { isGuestFacing, originalOf, toGuestFacing } from './guest-error.js';

/** What a gate needs to know about its realm. */
export interface GateOptions {
  readonly realm: string;
  readonly ceiling: ReadonlySet<EffectKind>;
  /** Where host-side details of a redacted error go. */
  readonly report: (message: string) => void;
  /** Who bound the realm's roots, for refusals that explain their route (`host` or a realm name). */
  readonly grantor: string;
}


/** What the gate knows of one of its wrappers. */
export interface Wrapped {
  readonly original: object;
  /** The realm URI it was reached by, when it is a node reached through the table. */
  readonly uri: string | undefined;
}

export interface Gate {
  /** Records a root bound to `uri` (e.g. `system://`), for refusals that explain their route; wraps nothing. */
  bindRoot(node: unknown, uri: string): void;
  /** Wraps a root bound to `uri` (e.g. `system://`). */
  wrapRoot<T>(node: T, uri: string): T;
  /**
   * Calls `node[name](...args)` on the guest's behalf exactly as the wrapper
   * of `node` at `uri` would (ceiling, revocation, refusals, the answer
   * wrapped), without making the wrapper: the host's own loading path.
   */
  call(node: object, uri: string, name: string, args: unknown[]): unknown;
  /** Wraps any endowment (a Far object, a function, a record of them). */
  wrap<T>(value: T, label: string): T;
  /** Runs a host function on the guest's behalf with the gate's error handling. */
  guard<R>(operation: string, target: string | undefined, run: () => R): R;
  /** What a wrapper of this gate forwards to, or undefined for anything else. */
  unwrap(value: unknown): Wrapped | undefined;
  /**
   * How a guest's functions and Far objects, passed as arguments, cross into
   * the host's capabilities: the compartment tier's copy-out rule
   * (./copy-out.ts), set before the realm's main module runs. Unset (the
   * remote tiers, whose boundary already made them host capabilities), they
   * pass as they are.
   */
  copyArgumentsWith(copy: (value: unknown, path: string) => unknown): void;
  /** Ends the realm's access: every wrapped thing refuses from now on. */
  revoke(reason: string): void;
  isLive(): boolean;
}

const nodeEffect: Readonly<Record<string, EffectKind>> = {
  resolve: 'fs.read',
  list: 'fs.read',
  stat: 'fs.read',
  read: 'fs.read',
  readText: 'fs.read',
  write: 'fs.write',
  mkdir: 'fs.write',
  remove: 'fs.write',
  rename: 'fs.write',
};

const joinUri = (uri: string, path: unknown): string => {
  if (typeof path !== 'string' || path === '') return uri;
  return uri.endsWith('/') ? `${uri}${path}` : `${uri}/${path}`;
};

const { isProxy } = types;
const PASS_STYLE = Symbol.for('passStyle');

/**
 * Whether a guest's object is a Far object, read without running any of its
 * code: a Far object's prototype is a frozen record tagged `remotable`
 * (@endo/pass-style). Only its own prototype is looked at, and only when
 * that is no Proxy (`getInterfaceOf` looks up the chain, where a guest's
 * Proxy would trap in the host).
 */
const isFarObject = (value: object): boolean => {
  if (isProxy(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (typeof proto !== 'object' || proto === null || isProxy(proto)) return false;
  const tag = Object.getOwnPropertyDescriptor(proto, PASS_STYLE);
  return tag !== undefined && 'value' in tag && tag.value === 'remotable';
};

export const makeGate = ({ realm, ceiling, report, grantor }: GateOptions): Gate => {
  let revokedBecause: string | undefined;
  let copyArgument: ((value: unknown, path: string) => unknown) | undefined;
  const isOwn = (value: object): boolean => originals.has(value);
  /**
   * The guest's arguments as the host's capability receives them
   * (`copyArgumentsWith`): a guest function or Far object becomes a
   * capability over it that refuses once the realm ended, so no guest code
   * runs for the host after `terminate()`. Anything else passes as it is,
   * for the capability to check: a Proxy is never walked here (its traps
   * would run in the host), and data is read by the capability once.
   */
  const crossing = (operation: string, args: unknown[]): unknown[] => {
    const copy = copyArgument;
    if (copy === undefined) return args;
    let out: unknown[] | undefined;
    for (let i = 0; i < args.length; i += 1) {
      const arg = args[i];
      if (typeof arg === 'function' ? isOwn(arg) : typeof arg !== 'object' || arg === null || isOwn(arg) || !isFarObject(arg)) continue;
      out ??= [...args];
      out[i] = copy(arg, `${operation} argument ${i + 1}`);
    }
    return out ?? args;
  };
  const wrappers = new WeakMap<object, unknown>();
  const originals = new WeakMap<object, Wrapped>();
  const roots = new Map<string, object>();

  // Authority refusals on a node say how the realm came to hold it.
  const explain = (error: CathedralError, target: string | undefined): string => {
    if (error.code !== 'CEILING' && error.code !== 'REVOKED') return error.problem;
    const scheme = target === undefined ? undefined : /^([a-z][a-z0-9+.-]*):\/\//.exec(target)?.[1];
    const root = scheme === undefined ? undefined : roots.get(scheme);
    if (root === undefined) return error.problem;
    return `${error.problem}; realm "${realm}" holds ${scheme}:// through ${describeNode(root)}, granted by "${grantor}"`;
  };

  const refuseIfRevoked = (operation: string, target: string | undefined): void => {
    if (revokedBecause === undefined) return;
    throw toGuestFacing(new RevokedError({
      operation,
      target,
      realm,
      problem: `the realm's capabilities were revoked (${revokedBecause})`,
      rule: 'a capability refuses every use once its realm ends',
    }));
  };

  const toGuestError = (error: unknown, operation: string, target: string | undefined): unknown => {
    // A refusal an inner gate (a parent's) made names that realm and its
    // URIs: restate it for this realm, as its guest wrote the operation.
    const inner = originalOf(error);
    if (inner !== undefined && inner.realm !== undefined && inner.realm !== realm) {
      return toGuestFacing(restate(inner, { realm, target: target ?? inner.target, problem: explain(inner, target) }));
    }
    if (isGuestFacing(error)) return error;
    if (error instanceof CathedralError) {
      // Names the realm, and the URI as the guest wrote it where the gate knows it.
      // A refusal made for another realm (a child's) keeps its realm.
      const problem = explain(error, target);
      if (error instanceof GuestError && error.location !== undefined) {
        // A guest function the host called failed (a callback): it fails back to
        // the guest with no `file:line:column` text, as at the remote tiers.
        const unlocated = problem.replace(` (at ${error.location})`, '');
        return toGuestFacing(restate(error, { realm: error.realm ?? realm, target: target ?? error.target, problem: unlocated, location: undefined } as never));
      }
      return toGuestFacing(restate(error, { realm: error.realm ?? realm, target: target ?? error.target, problem }));
    }
    // Never String() a value of unknown origin here: a guest's toString would run in the host.
    const what = error instanceof Error ? stackOf(error) : `a thrown ${typeof error}`;
    report(`${operation} ${target ?? ''} in realm "${realm}" failed in the host: ${what}`);
    return toGuestFacing(
      new IoError({
        operation,
        target,
        realm,
        problem: 'the host could not complete the operation',
        rule: 'host failures are reported to the host, not to the guest',
      }),
    );
  };

  /** Runs a host function on the guest's behalf; what it answers, or a promise of it, goes through `settle`. */
  const guarded = (operation: string, target: string | undefined, run: () => unknown, settle: (value: unknown) => unknown): unknown => {
    refuseIfRevoked(operation, target);
    let result: unknown;
    try {
      result = run();
    } catch (error) {
      throw toGuestError(error, operation, target);
    }
    if (!(result instanceof Promise)) return settle(result);
    // One `then` for the answer and the refusal: one promise, one turn.
    return result.then(settle, (error: unknown) => {
      throw toGuestError(error, operation, target);
    });
  };

  const guard = <R>(operation: string, target: string | undefined, run: () => R): R => guarded(operation, target, run, value => value) as R;

  /** Runs a call for the guest as `guard` does, and wraps what it answers; a failure to is a refusal too. */
  const deliver = (operation: string, target: string | undefined, run: () => unknown, uri: string | undefined, label: string): unknown =>
    guarded(operation, target, run, value => {
      try {
        return wrapValue(value, uri, label);
      } catch (error) {
        throw toGuestError(error, operation, target);
      }
    });

  /** Calls one method of a remotable for the guest: ceiling, revocation and refusals as the guest would meet them. */
  const invoke = (target: object, iface: string, uri: string | undefined, name: string, method: (...a: unknown[]) => unknown, args: unknown[], label: string): unknown => {
    const isDir = iface === 'Alleged: Dir';
    const isNode = isDir || iface === 'Alleged: File';
    // Nodes' methods have their effects here; any other capability's, as its maker declared them.
    const effect = isNode ? nodeEffect[name] : declaredEffect(target, name);
    // Directory methods take a path first; file methods act on the file itself.
    const where = isNode && uri !== undefined ? (isDir && name !== 'rename' ? joinUri(uri, args[0]) : uri) : undefined;
    const childUri = isNode && name === 'resolve' && uri !== undefined ? joinUri(uri, args[0]) : uri;
    return deliver(name, where, () => {
      if (effect !== undefined && !ceiling.has(effect)) {
        throw new CeilingError({
          operation: name,
          // A capability's first string argument says what it was asked for (a peer, a URL).
          target: where ?? (!isNode && typeof args[0] === 'string' ? args[0] : undefined),
          realm,
          problem: `the effect "${effect}" is outside the realm's ceiling`,
          rule: "a realm never exercises an effect outside its declared ceiling",
          allow: `add "${effect}" to the realm's ceiling when spawning it`,
        });
      }
      return Reflect.apply(method, target, crossing(name, args));
    }, childUri, label);
  };

  const wrapRemotable = (target: object, uri: string | undefined, label: string): unknown => {
    const iface = getInterfaceOf(target) ?? 'Alleged: Object';
    const methods: Record<string, (...args: unknown[]) => unknown> = {};
    for (const name of Reflect.ownKeys(target)) {
      if (typeof name !== 'string') continue;
      const method = (target as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      methods[name] = (...args: unknown[]) => invoke(target, iface, uri, name, method as (...a: unknown[]) => unknown, args, label);
    }
    const wrapper = Far(iface.replace(/^Alleged: /, ''), methods);
    originals.set(wrapper, { original: target, uri });
    // Passed on (to a child realm, back to the host), the wrapper is checked as its target was.
    const declared = declaredEffects(target);
    if (declared !== undefined) declareEffects(wrapper, declared);
    return wrapper;
  };

  const { then } = Promise.prototype;

  // Data is copied (./copy-in.ts); the rest is listed here. Anything else (a
  // Map, a Date, a class instance from the host) is refused, never handed
  // over with its prototype: a guest could otherwise redefine a host
  // prototype's getters. What this answers is hardened, as copy-in requires.
  const wrapValue: CopyIn<string | undefined> = makeCopyIn((value, uri, label) => {
    if (value instanceof Promise) {
      // The intrinsic `then`, never one the value carries; a rejection is a
      // refusal like any other, and an answer after revocation is withheld.
      const followed = Reflect.apply(then, value, [
        (settled: unknown) => {
          refuseIfRevoked('receive', label);
          return wrapValue(settled, uri, label);
        },
        (error: unknown) => {
          throw toGuestError(error, 'receive', label);
        },
      ]) as Promise<unknown>;
      // A guest that drops the promise must not make the host report an
      // unhandled rejection: the guest still sees the refusal if it awaits.
      Reflect.apply(then, followed, [undefined, () => {}]);
      return Object.freeze(followed); // its prototype is the hardened intrinsic: hardened
    }
    const wrapper = wrappers.get(value);
    if (wrapper !== undefined) return wrapper;
    if (originals.has(value)) return value; // already one of this gate's own wrappers
    let wrapped: unknown;
    if (typeof value === 'function') wrapped = wrapFunction(value as (...args: unknown[]) => unknown, label);
    else if (getInterfaceOf(value) !== undefined) wrapped = wrapRemotable(value, uri, label);
    else if (value instanceof Error) return toGuestError(value, 'receive', label);
    else {
      report(`${label} in realm "${realm}" answered a value that cannot cross (${Object.prototype.toString.call(value)}); the guest got a refusal`);
      throw toGuestFacing(
        new InvalidArgumentError({
          operation: 'receive',
          target: label,
          realm,
          problem: `the answer is a ${Object.prototype.toString.call(value).slice(8, -1)}, which cannot cross into a realm`,
          rule: 'only plain data, bytes and capabilities cross a realm boundary',
          allow: 'have the capability answer plain records, arrays, bytes or Far objects',
        }),
      );
    }
    wrappers.set(value, wrapped);
    return wrapped;
  });

  // An arrow reaches nothing but the frozen Function.prototype: freezing it is all harden would do.
  const wrapFunction = (fn: (...args: unknown[]) => unknown, label: string) =>
    Object.freeze((...args: unknown[]) => deliver('call', label, () => Reflect.apply(fn, undefined, crossing('call', args)), undefined, label));

  const bindRoot = (node: unknown, uri: string): void => {
    roots.set(uri.endsWith('://') ? uri.slice(0, -3) : uri, node as object);
  };

  // Host-side only (never reaches a guest): frozen, not hardened, to keep spawns cheap.
  return Object.freeze({
    bindRoot,
    wrapRoot: <T>(node: T, uri: string): T => {
      bindRoot(node, uri);
      return wrapValue(node, uri, uri) as T;
    },
    call: (node: object, uri: string, name: string, args: unknown[]): unknown => {
      const method: unknown = Object.prototype.hasOwnProperty.call(node, name) ? (node as Record<string, unknown>)[name] : undefined;
      if (typeof method !== 'function') throw new TypeError(`the node has no method "${name}"`);
      return invoke(node, getInterfaceOf(node) ?? 'Alleged: Object', uri, name, method as (...a: unknown[]) => unknown, args, uri);
    },
    unwrap: (value: unknown) => (typeof value === 'object' && value !== null ? originals.get(value) : undefined),
    wrap: <T>(value: T, label: string): T => wrapValue(value, undefined, label) as T,
    guard,
    copyArgumentsWith: (copy: (value: unknown, path: string) => unknown) => {
      copyArgument = copy;
    },
    revoke: (reason: string) => {
      revokedBecause ??= reason;
    },
    isLive: () => revokedBecause === undefined,
  });
};

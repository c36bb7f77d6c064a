/**
 * What a guest hands the host (an export, an answer, a settled promise), as
 * the host keeps it. Only what the gate's rule lets cross does:
 *  - plain records and arrays are copied into host-made, hardened ones (own
 *    enumerable data properties only: no guest getter or Proxy trap runs
 *    later in the host's hands);
 *  - bytes (a `Uint8Array`) are copied;
 *  - a promise of the intrinsic `Promise` class is followed with the
 *    intrinsic `then`, and what it settles with is copied in turn;
 *  - an error becomes a `GuestError` (a host refusal it carries keeps its code);
 *  - a function or Far object becomes a host-side capability over it: it
 *    hands the guest host values through the realm's gate, copies out what
 *    the guest answers, and refuses with `RevokedError` once the realm ended,
 *    so no guest code runs for the host after `terminate()`.
 * The gate applies the same rule to the functions and Far objects a guest
 * passes as arguments to host capabilities (`argument`), so a callback the
 * host keeps refuses once the realm ended too; the gate's own wrappers pass
 * as they are.
 * Anything else — a guest class instance, a Date, a RegExp, a Map, a promise
 * of another class, a thenable, nesting deeper than 64 — is refused with a
 * `GuestError` naming where in the answer it sits: its prototype or its
 * `then` would be guest code the host runs whenever it reads or awaits it.
 *
 * Strings are not cleaned here: a host that prints guest text should
 * neutralise it, as the console does.
 *
 * Every copy is hardened in effect without `harden`'s walk, which
 * enumerates every index of a byte array (about 3 s for 1 MiB): what a walk
 * answers is already hardened (a copied record or array is frozen once its
 * items are; bytes, a fresh `Uint8Array` whose only own properties are its
 * indices, are made non-extensible, all `harden` would do to them), so a
 * container is hardened by freezing it alone.
 *
 * `copyOut` (no realm) is the older, permissive walk the worker and process
 * tiers still use for values CapTP already decoded into host-made data.
 */
import { Far, getInterfaceOf } from '@endo/pass-style';
import { GuestError, RevokedError, ownBytes } from '@cathedral/sdk';
import { fromGuest } from './guest-error.js';

const MAX_DEPTH = 64;
/** `copies` outside a walk: a walk always brings its own (a realm need not hold an empty Map for it). */
const NO_WALK: Map<object, unknown> = new Map();

const { defineProperty, freeze, preventExtensions } = Object;

/** Sets a copy's property; a name the copy inherits (`__proto__`, `constructor`) is defined: assigning it would set the prototype, or throw. */
export const setOwn = (out: Record<string, unknown>, key: string, value: unknown): void => {
  if (key in out) defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
};

const { then } = Promise.prototype;
// The intrinsic getter answers a typed array's kind from its internal slot, without running guest code.
const typedArrayKind = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;

// Brand checks that read internal slots only: each throws for anything but its own kind.
const brands: ReadonlyArray<readonly [string, (value: object) => unknown]> = [
  ['a Date', v => Reflect.apply(Date.prototype.getTime, v, [])],
  ['a RegExp', v => Reflect.apply(Object.getOwnPropertyDescriptor(RegExp.prototype, 'source')!.get!, v, [])],
  ['a Map', v => Reflect.apply(Map.prototype.has, v, [undefined])],
  ['a Set', v => Reflect.apply(Set.prototype.has, v, [undefined])],
  ['a WeakMap', v => Reflect.apply(WeakMap.prototype.has, v, [{}])],
  ['a WeakSet', v => Reflect.apply(WeakSet.prototype.has, v, [{}])],
  ['an ArrayBuffer', v => Reflect.apply(Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!, v, [])],
  ['a DataView', v => Reflect.apply(Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength')!.get!, v, [])],
];

/** What a refused value is, in words, without running any of its code. */
const kindOf = (value: object): string => {
  const typed: unknown = Reflect.apply(typedArrayKind, value, []);
  if (typeof typed === 'string') return `a ${typed}`;
  for (const [name, check] of brands) {
    try {
      check(value);
      return name;
    } catch {
      // not of this kind
    }
  }
  return 'an object of a class of its own';
};

/** What the host needs to copy out of one realm. */
export interface CopyOutOptions {
  readonly realm: string;
  readonly isLive: () => boolean;
  /** The realm's own formatter, for thrown values that are not errors. */
  readonly format: (value: unknown) => string;
  /** How a host value handed to a guest function crosses: the realm's gate. */
  readonly wrapArg: (value: unknown) => unknown;
}

export interface CopyOut {
  /** Copies `value`, found at `path` (`transform`, `attack().later`); throws `GuestError` for what cannot cross. */
  readonly value: (value: unknown, path: string) => unknown;
  /** Copies a function or Far object the guest passes as an argument to a host capability, as `value` does; refusals name it an argument. */
  readonly argument: (value: unknown, path: string) => unknown;
  /** The guest value a host-side capability made here stands for, so a host that hands it back gives the guest its own. */
  readonly originalOf: (value: unknown) => unknown;
}

export const makeCopyOut = ({ realm, isLive, format, wrapArg }: CopyOutOptions): CopyOut => {
  // One host-side capability per guest function or Far object, so identity holds across answers.
  const made = new WeakMap<object, unknown>();
  const originals = new WeakMap<object, object>();

  const revoked = (path: string) =>
    new RevokedError({
      operation: `call "${path}"`,
      realm,
      problem: 'the realm was terminated',
      rule: 'a terminated realm runs no more code',
      allow: 'spawn the realm again',
    });

  // What is being copied, in refusals: an answer, or (`argument`) an argument.
  let noun: 'answer' | 'argument' = 'answer';
  /** A refusal of what sits at `path`; "the answer" and "answer …" in the texts name what is copied. */
  const refuse = (path: string, problemText: string, allowText: string) => {
    const problem = noun === 'answer' ? problemText : problemText.replace(/^the answer/, `the ${noun}`);
    const allow = noun === 'answer' ? allowText : allowText.replace(/^answer /, 'pass ');
    return new GuestError({
      operation: `receive "${path}"`,
      realm,
      problem,
      rule: 'only plain records and arrays, bytes, promises, errors and capabilities cross from a realm to its host',
      allow,
      guestName: noun,
      guestMessage: problem,
    });
  };

  const guestError = (error: unknown, path: string): Error => fromGuest(error, { realm, operation: `call "${path}"`, format });

  /** A host function over a guest function (or a Far object's method, with its `this`). */
  const capability = (fn: (...args: unknown[]) => unknown, self: unknown, path: string) =>
    async (...args: unknown[]): Promise<unknown> => {
      if (!isLive()) throw revoked(path);
      let result: unknown;
      try {
        // The array itself never reaches the guest (apply spreads it); each argument is the gate's own crossing.
        result = Reflect.apply(fn, self, args.map(wrapArg));
      } catch (error) {
        throw guestError(error, path);
      }
      // Never awaited raw: `copy` follows only an intrinsic promise, with the intrinsic `then`.
      return copyAnswer(result, `${path}()`);
    };

  const follow = (promise: Promise<unknown>, path: string): Promise<unknown> => {
    const followed = new Promise<unknown>((resolve, reject) => {
      const onSettled = [
        (settled: unknown) => {
          if (!isLive()) return reject(revoked(path));
          try {
            resolve(copyAnswer(settled, path));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => reject(isLive() ? guestError(error, path) : revoked(path)),
      ];
      try {
        Reflect.apply(then, promise, onSettled);
      } catch {
        // Only a Proxy posing as a promise gets here: the intrinsic `then` refuses it before running anything.
        reject(refuse(path, 'the answer is an object posing as a promise', 'answer a promise'));
      }
    });
    // A host that never reads a nested promise must not get an unhandled rejection.
    Reflect.apply(then, followed, [undefined, () => {}]);
    return freeze(followed); // its prototype is the hardened intrinsic: hardened
  };

  const copy = (value: unknown, path: string, depth: number): unknown => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return value;
    if (depth > MAX_DEPTH) throw refuse(path, `the answer nests deeper than ${MAX_DEPTH} levels`, 'answer flatter data');
    if (typeof value === 'function') {
      const known = made.get(value);
      if (known !== undefined) return known;
      // Host-side (the gate wraps it if the host hands it to a guest): frozen; harden's walk would only meet intrinsics.
      const host = Object.freeze(capability(value as (...args: unknown[]) => unknown, undefined, path));
      made.set(value, host);
      originals.set(host, value);
      return host;
    }
    if (Reflect.apply(typedArrayKind, value, []) === 'Uint8Array') return ownBytes(value as Uint8Array);
    const copied = copies.get(value);
    if (copied !== undefined) return copied;
    if (Array.isArray(value)) {
      const length = value.length;
      const out: unknown[] = [];
      copies.set(value, out);
      for (let i = 0; i < length; i += 1) {
        const desc = Object.getOwnPropertyDescriptor(value, i);
        out.push(desc !== undefined && 'value' in desc ? copy(desc.value, `${path}[${i}]`, depth + 1) : undefined);
      }
      return freeze(out);
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Promise.prototype && Reflect.ownKeys(value).length === 0) return follow(value as Promise<unknown>, path);
    if (value instanceof Error) {
      // Kept as the host gets it at the top; inside data, hardened like the data.
      const error = guestError(value, path);
      return depth > 0 ? harden(error) : error;
    }
    const iface = getInterfaceOf(value);
    if (iface !== undefined) {
      const known = made.get(value);
      if (known !== undefined) return known;
      const methods: Record<string, unknown> = {};
      for (const key of Reflect.ownKeys(value)) {
        const desc = Object.getOwnPropertyDescriptor(value, key);
        if (typeof key !== 'string' || desc === undefined || !('value' in desc) || typeof desc.value !== 'function') continue;
        if (key === 'then') throw refuse(path, 'the answer is a Far object with a `then` method', 'rename the method');
        methods[key] = capability(desc.value as (...args: unknown[]) => unknown, value, `${path}.${key}`);
      }
      const host = Far(iface.replace(/^Alleged: /, ''), methods);
      made.set(value, host);
      originals.set(host, value);
      return host;
    }
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      copies.set(value, out);
      for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
        if (key === 'then' && (!('value' in desc) || typeof desc.value === 'function')) {
          throw refuse(path, 'the answer is a thenable (a record with a `then` function or getter), which the host would run as a promise', 'answer a promise, or rename `then`');
        }
        if (desc.enumerable !== true || !('value' in desc)) continue;
        setOwn(out, key, copy(desc.value, `${path}.${key}`, depth + 1));
      }
      return freeze(out);
    }
    const what = proto instanceof Promise || proto === Promise.prototype ? 'a promise of a class of its own, or with own properties' : kindOf(value);
    throw refuse(path, `the answer holds ${what}, which cannot cross to the host`, 'answer plain records, arrays, strings, numbers, bytes, promises or Far objects');
  };

  // Each container of the answer being copied, to its copy: data shared
  // within one answer stays shared (a DAG took time exponential in its depth
  // to copy, once per path), and a cycle is copied as a cycle. Fresh per answer.
  let copies = NO_WALK;

  // A guest Proxy's trap may throw while its answer is copied: what reaches the host is a GuestError, never the thrown value.
  const copyAnswer = (value: unknown, path: string): unknown => {
    const outer = copies;
    copies = new Map();
    try {
      return copy(value, path, 0);
    } catch (error) {
      throw guestError(error, path);
    } finally {
      copies = outer;
    }
  };

  const copyArgument = (value: unknown, path: string): unknown => {
    noun = 'argument';
    try {
      return copyAnswer(value, path);
    } finally {
      noun = 'answer';
    }
  };

  // Host-side only: frozen, not hardened, to keep spawns cheap.
  return Object.freeze({
    value: copyAnswer,
    argument: copyArgument,
    originalOf: (value: unknown) => (typeof value === 'object' || typeof value === 'function') && value !== null ? originals.get(value) : undefined,
  });
};

/**
 * The permissive walk for values a remote tier's boundary already decoded
 * (host-made, passable data): records and arrays copied, bytes copied,
 * anything else hardened and passed.
 */
export const copyOut = (value: unknown, depth = 0): unknown => {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? harden(value) : value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (ArrayBuffer.isView(value)) return preventExtensions(new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)));
  if (Array.isArray(value)) {
    const length = value.length;
    const out: unknown[] = [];
    for (let i = 0; i < length; i += 1) out.push(copyOut(value[i], depth + 1));
    return freeze(out);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto === Object.prototype || proto === null) && getInterfaceOf(value) === undefined) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const desc = Object.getOwnPropertyDescriptor(value, key);
      if (desc !== undefined && desc.enumerable === true && 'value' in desc) setOwn(out, key, copyOut(desc.value, depth + 1));
    }
    return freeze(out);
  }
  return harden(value);
};

/**
 * Plain data, as the fast path of calls carries it (./fast-calls.ts): what
 * may travel as a structured clone instead of through CapTP's marshal, and
 * the check a receiver makes once on arrival before it hardens it.
 *
 * Plain data is: `undefined`, `null`, booleans, numbers, bigints, strings;
 * bytes (a real `Uint8Array` of the intrinsic prototype, by internal slot);
 * arrays (of the intrinsic `Array`, no holes, no other own property) and
 * records (of the intrinsic `Object.prototype`) of plain data; nested at
 * most `MAX_PLAIN_DEPTH` deep and of at most `MAX_PLAIN_SIZE` units (one per
 * value, plus a string's length or a byte array's). No capabilities,
 * promises or errors: those take CapTP's path, which knows how to carry
 * them. Bytes are copied by the sender, and by the receiver into a buffer
 * of their own (a clone from a child process is a view into a shared pool),
 * made non-extensible (nothing can freeze their indices): `ownPlain` gives
 * a received value's top-level bytes the same treatment.
 *
 * `plainCopy` is the sender's side: a fresh copy, each property read once
 * (a guest's getters and traps run in the guest's own thread, on guest
 * values), or `NOT_PLAIN` for the slow path. `acceptPlain` is the
 * receiver's rule, over a fresh structured clone that holds no getter,
 * Proxy or foreign prototype: it decides, and then the value is hardened.
 */

/** The deepest plain data the fast path carries. */
export const MAX_PLAIN_DEPTH = 256;
/** The most units (values, and string lengths) one fast message carries: the bound on a guest's answer. */
export const MAX_PLAIN_SIZE = 64 * 1024 * 1024;

import { isUint8Array, ownBytes } from '@cathedral/sdk';

const { getPrototypeOf } = Object;
const bytesProto = Uint8Array.prototype;
const { isArray } = Array;
const objectProto = Object.prototype;
const arrayProto = Array.prototype;

/** The units a primitive leaf counts (a string its length and one), or undefined for an object or a value that is not plain. */
const leafUnits = (v: unknown): number | undefined => {
  switch (typeof v) {
    case 'string':
      return v.length + 1;
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return 1;
    default:
      return undefined;
  }
};

/**
 * A copy of `value` when it is a short list (an intrinsic array) of
 * primitives within the bounds, each element read once; else undefined.
 */
const SHORT_LIST = 16;
const primitiveList = (value: unknown): unknown[] | undefined => {
  if (!isArray(value) || getPrototypeOf(value) !== arrayProto) return undefined;
  const n = (value as unknown[]).length;
  if (n > SHORT_LIST) return undefined;
  const out: unknown[] = [];
  let size = 1;
  for (let i = 0; i < n; i += 1) {
    const v = (value as unknown[])[i];
    const units = leafUnits(v);
    if (units === undefined) return undefined;
    size += units;
    out.push(v);
  }
  return size > MAX_PLAIN_SIZE ? undefined : out;
};

/** What `plainCopy` answers for a value that is not plain data within the bounds. */
export const NOT_PLAIN: unknown = harden({ notPlain: true });
const { create, defineProperty, freeze } = Object;

/**
 * A fresh copy of `value` made of plain data within the bounds, or
 * `NOT_PLAIN`: the sender's side. Each property is read once, so what is
 * sent is what was checked, and the copy (own objects, primitives only)
 * always survives a structured clone.
 */
export const plainCopy = (value: unknown): unknown => {
  // A primitive, or a list of primitives (the commonest arguments): no walk.
  const leaf = leafUnits(value);
  if (leaf !== undefined) return leaf > MAX_PLAIN_SIZE ? NOT_PLAIN : value;
  const list = primitiveList(value);
  if (list !== undefined) return list;
  let size = 0;
  const copy = (v: unknown, depth: number): unknown => {
    const units = leafUnits(v);
    if (units !== undefined) {
      size += units;
      if (size > MAX_PLAIN_SIZE) throw NOT_PLAIN;
      return v;
    }
    if (typeof v !== 'object') throw NOT_PLAIN;
    if (v === null) return v;
    if (depth >= MAX_PLAIN_DEPTH) throw NOT_PLAIN;
    size += 1;
    const proto: unknown = getPrototypeOf(v);
    let out: unknown;
    if (proto === bytesProto && isUint8Array(v)) {
      size += v.length;
      out = new Uint8Array(v);
    } else if (proto === arrayProto && isArray(v)) {
      const n = v.length;
      const items: unknown[] = [];
      for (let i = 0; i < n; i += 1) items.push(copy(v[i], depth + 1));
      out = items;
    } else if (proto === objectProto) {
      // A record of no prototype, filled by assignment: it inherits no name
      // (`constructor`, `__proto__` are own properties like any other), and
      // assignment is several times cheaper than `defineProperty`. The
      // structured clone it is sent as arrives as a record of Object.prototype.
      const record = create(null) as Record<string, unknown>;
      for (const key of Object.keys(v)) record[key] = copy((v as Record<string, unknown>)[key], depth + 1);
      out = record;
    } else throw NOT_PLAIN;
    if (size > MAX_PLAIN_SIZE) throw NOT_PLAIN;
    return out;
  };
  try {
    return copy(value, 0);
  } catch {
    return NOT_PLAIN;
  }
};

/**
 * Freezes checked plain data through and through. Its prototypes are the
 * intrinsic `Array.prototype` and `Object.prototype`, already hardened by
 * lockdown, and its leaves are primitives: so this is all `harden` would
 * do, without `harden`'s per-call bookkeeping (a quarter of a fast call's
 * cost in the guest, profiled).
 */
/** True, and the list frozen, when `list` has no holes and holds only primitives within the bounds. */
const acceptPrimitives = (list: unknown[]): boolean => {
  let size = 1;
  for (let i = 0; i < list.length; i += 1) {
    const units = leafUnits(list[i]);
    if (units === undefined || !hasOwn(list, i)) return false;
    size += units;
  }
  if (size > MAX_PLAIN_SIZE) return false;
  freeze(list);
  return true;
};

const hasNoHoles = (list: readonly unknown[]): boolean => {
  for (let i = 0; i < list.length; i += 1) if (!hasOwn(list, i)) return false;
  return true;
};

/**
 * What a receiver keeps of a value `acceptPlain` accepted: the value, or
 * for bytes at its top, their own copy (bytes inside were copied by
 * `acceptPlain`).
 */
export const ownPlain = (accepted: unknown): unknown => (isUint8Array(accepted) ? ownBytes(accepted) : accepted);

const { getOwnPropertyNames, getOwnPropertySymbols, hasOwn } = Object;

/**
 * Why a freshly received clone is not plain data within the bounds, or
 * undefined when it is; it is then frozen through and through, in place (it
 * is the receiver's own fresh object): hardened, in effect.
 */
export const acceptPlain = (value: unknown): string | undefined => accept(value, false);

/**
 * `acceptPlain` for a list the receiver made itself from a fresh clone
 * (`slice` of a received message: own indices only, never another
 * property), whose own keys need no listing: each index is checked to be
 * present (no holes), and each element as `acceptPlain` checks it.
 */
export const acceptPlainList = (list: unknown[]): string | undefined => accept(list, true);

/** What the receiver's walk answers for a part that is not plain data within the bounds. */
const REFUSED: unknown = freeze({ refused: true });

const accept = (value: unknown, ownList: boolean): string | undefined => {
  // A primitive needs no walk (the commonest answer), nor a list of primitives the receiver made (the commonest arguments).
  const leaf = leafUnits(value);
  if (leaf !== undefined) return leaf > MAX_PLAIN_SIZE ? `it is larger than ${MAX_PLAIN_SIZE} units` : undefined;
  if (ownList && isArray(value) && getPrototypeOf(value) === arrayProto && acceptPrimitives(value)) return undefined;
  let size = 0;
  let problem: string | undefined;
  // Checks and freezes in one pass, and answers what the parent keeps: the
  // part itself, or for bytes below the top their own copy (a structured
  // clone from a child process's channel gives views into a pool other
  // messages share). A value that fails is the receiver's own clone and is
  // dropped, so freezing part of it first does no harm.
  const walk = (v: unknown, depth: number): unknown => {
    const units = leafUnits(v);
    if (units !== undefined) {
      size += units;
    } else if (typeof v !== 'object') {
      problem = `it holds a ${typeof v}`;
      return REFUSED;
    } else if (v !== null) {
      if (depth >= MAX_PLAIN_DEPTH) {
        problem = `it nests deeper than ${MAX_PLAIN_DEPTH} levels`;
        return REFUSED;
      }
      size += 1;
      const proto: unknown = getPrototypeOf(v);
      if (proto === bytesProto && isUint8Array(v)) {
        // A structured clone carries no expando property on a typed array: only its bytes.
        size += v.length;
        if (size > MAX_PLAIN_SIZE) {
          problem = `it is larger than ${MAX_PLAIN_SIZE} units`;
          return REFUSED;
        }
        return depth === 0 ? v : ownBytes(v);
      }
      if (proto === arrayProto && isArray(v)) {
        const n = v.length;
        if (ownList && depth === 0 ? !hasNoHoles(v) : Reflect.ownKeys(v).length !== n + 1) {
          problem = 'it holds an array with holes or extra properties';
          return REFUSED;
        }
        for (let i = 0; i < n; i += 1) {
          const item: unknown = v[i];
          const kept = walk(item, depth + 1);
          if (kept === REFUSED) return REFUSED;
          if (kept !== item) v[i] = kept;
        }
      } else if (proto === objectProto) {
        // Names (enumerable or not) then symbols: two lists V8 makes far faster than `Reflect.ownKeys`' one.
        if (getOwnPropertySymbols(v).length !== 0) {
          problem = 'it holds a symbol-keyed property';
          return REFUSED;
        }
        for (const key of getOwnPropertyNames(v)) {
          const item = (v as Record<string, unknown>)[key];
          const kept = walk(item, depth + 1);
          if (kept === REFUSED) return REFUSED;
          if (kept !== item) defineProperty(v, key, { value: kept });
        }
      } else {
        problem = `it holds ${Object.prototype.toString.call(v)}, which is not plain data`;
        return REFUSED;
      }
      freeze(v);
    }
    if (size > MAX_PLAIN_SIZE) {
      problem = `it is larger than ${MAX_PLAIN_SIZE} units`;
      return REFUSED;
    }
    return v;
  };
  if (walk(value, 0) === REFUSED) return problem ?? 'it is not plain data';
  return undefined;
};

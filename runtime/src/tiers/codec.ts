/**
 * What crosses a thread or process boundary besides CapTP's own passables:
 * bytes, and refusals with their code and details.
 *
 * `@endo/marshal` passes neither a mutable `Uint8Array` nor an error's own
 * properties, so both travel as tagged records: `bytes` (base64) and
 * `refusal` (the code and details of a guest-facing error, or a guest
 * error's name, message and location). Each side decodes what it receives
 * into its own fresh objects; nothing here keeps or shares a buffer.
 */
import { types } from 'node:util';
import { getInterfaceOf, getTag, makeTagged, passStyleOf } from '@endo/pass-style';
import { ownBytes } from '@cathedral/sdk';

export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, string | undefined>>;
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** Fresh bytes of their own (a small `Buffer` may sit in a shared pool), hardened in effect (`ownBytes`). */
const fromBase64 = (text: string): Uint8Array => ownBytes(Buffer.from(text, 'base64'));

// Views and buffers are read through the intrinsic getters (internal slots),
// never through the value's prototype, which a guest may have replaced.
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (proto: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(proto, key)?.get as (this: unknown) => unknown;
const typedArrayTag = getter(typedArrayProto, Symbol.toStringTag);
const typed = { buffer: getter(typedArrayProto, 'buffer'), offset: getter(typedArrayProto, 'byteOffset'), length: getter(typedArrayProto, 'byteLength') };
const view = { buffer: getter(DataView.prototype, 'buffer'), offset: getter(DataView.prototype, 'byteOffset'), length: getter(DataView.prototype, 'byteLength') };

/** The bytes a typed array or DataView covers, as a `Uint8Array` over the same memory: read at once, by `toBase64`. */
const viewBytes = (value: ArrayBufferView): Uint8Array => {
  const parts = Reflect.apply(typedArrayTag, value, []) === undefined ? view : typed;
  const buffer = Reflect.apply(parts.buffer, value, []) as ArrayBuffer;
  return new Uint8Array(buffer, Reflect.apply(parts.offset, value, []) as number, Reflect.apply(parts.length, value, []) as number);
};

const isPlainRecord = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && getInterfaceOf(value) === undefined;
};

/**
 * Bytes anywhere in plain data become tagged records; anything else that is
 * not plain data (functions, remotables, errors, promises, class instances)
 * is `mapOther`'s to decide. Arrays are read by index, never through their
 * own `map`: a guest's Array subclass must not be handed this walk's callback.
 */
export const encodeValue = (value: unknown, mapOther: (v: object) => unknown = v => v): unknown => {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? mapOther(value) : value;
  if (ArrayBuffer.isView(value)) return makeTagged('bytes', toBase64(viewBytes(value)));
  if (Array.isArray(value)) {
    const length = value.length;
    const out: unknown[] = [];
    for (let i = 0; i < length; i += 1) out.push(encodeValue(value[i], mapOther));
    return harden(out);
  }
  // An ArrayBuffer by its internal slot, not by throwing: most values asked are records. (A SharedArrayBuffer is not bytes: `mapOther`'s.)
  if (types.isArrayBuffer(value)) return makeTagged('bytes', toBase64(new Uint8Array(value)));
  if (isPlainRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: encodeValue(v, mapOther), enumerable: true });
    return harden(out);
  }
  return mapOther(value);
};

const isTagged = (value: object): boolean => {
  try {
    return (passStyleOf as (v: unknown) => string)(value) === 'tagged';
  } catch {
    return false;
  }
};

/**
 * The inverse of `encodeValue`: arrays and records decoded into fresh ones,
 * tagged bytes into fresh `Uint8Array`s; errors, promises, remotables and
 * tagged records other than bytes are `mapOther`'s to decide, and hardened.
 * What it answers is hardened in effect (a receiver never gets a mutable
 * array): every part is frozen or, for bytes, non-extensible, and each
 * container is frozen once its parts are, so `harden` never walks the bytes.
 */
export const decodeValue = (value: unknown, mapOther: (v: object) => unknown = v => v): unknown => {
  if (typeof value === 'function') return harden(mapOther(value));
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i += 1) out.push(decodeValue(value[i], mapOther));
    return Object.freeze(out);
  }
  if (isTagged(value)) {
    if ((getTag as (v: unknown) => string)(value) === 'bytes') return fromBase64((value as unknown as { payload: string }).payload);
    return harden(mapOther(value));
  }
  if (isPlainRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: decodeValue(v, mapOther), enumerable: true });
    return Object.freeze(out);
  }
  return harden(mapOther(value));
};

/** A refusal as a tagged record that travels as an ordinary answer. */
export const encodeRefusal = (refusal: Refusal): unknown => makeTagged('refusal', harden({ ...refusal }));

/** An error that is a value (not thrown) in an answer: tagged like a refusal, but decoded into an error object, not thrown. */
export const encodeErrorValue = (refusal: Refusal): unknown => makeTagged('error', harden({ ...refusal }));

/** The refusal carried by a tagged `error` value, if `value` is one. */
export const errorValueOf = (value: unknown): Refusal | undefined => {
  if (typeof value !== 'object' || value === null || !isTagged(value) || (getTag as (v: unknown) => string)(value) !== 'error') return undefined;
  return (value as unknown as { payload: Refusal }).payload;
};

/**
 * A guest's own function (`methods` null) or Far object as it travels to the
 * host: its CapTP stand-in and, for an object, its method names, which a
 * presence does not carry. The host makes a capability over it with them.
 */
export const encodeRemotable = (target: object, methods: readonly string[] | null): unknown => makeTagged('remotable', harden({ target, methods }) as never);

/** The guest function or object inside a tagged `remotable` record, if `value` is one. */
export const remotableOf = (value: unknown): { readonly target: object; readonly methods: readonly string[] | null } | undefined => {
  if (typeof value !== 'object' || value === null || !isTagged(value) || (getTag as (v: unknown) => string)(value) !== 'remotable') return undefined;
  const payload = (value as unknown as { payload: unknown }).payload;
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { target, methods } = payload as { target?: unknown; methods?: unknown };
  if ((typeof target !== 'object' && typeof target !== 'function') || target === null) return undefined;
  if (methods === null) return { target, methods };
  if (!Array.isArray(methods) || methods.length > 256 || !methods.every(m => typeof m === 'string' && m.length <= 256)) return undefined;
  return { target, methods: methods as string[] };
};

/**
 * An answer sent beside CapTP as plain data (./plain.ts): CapTP carries only
 * this tag with the number the guest finds the data under.
 */
export const encodePlainRef = (id: number): unknown => makeTagged('plain', id as never);

/** The number in a tagged `plain` reference, if `value` is one. */
export const plainRefOf = (value: unknown): number | undefined => {
  if (typeof value !== 'object' || value === null || !isTagged(value) || (getTag as (v: unknown) => string)(value) !== 'plain') return undefined;
  const id = (value as unknown as { payload: unknown }).payload;
  return typeof id === 'number' ? id : undefined;
};

/** The refusal inside an answer, if the answer is one. */
export const refusalOf = (value: unknown): Refusal | undefined => {
  if (typeof value !== 'object' || value === null || !isTagged(value) || (getTag as (v: unknown) => string)(value) !== 'refusal') return undefined;
  return (value as unknown as { payload: Refusal }).payload;
};

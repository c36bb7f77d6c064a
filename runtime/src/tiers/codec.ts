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
import { getInterfaceOf, getTag, makeTagged, passStyleOf } from '@endo/pass-style';

export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, string | undefined>>;
}

const toBase64 = (bytes: Uint8Array): string => {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

const fromBase64 = (text: string): Uint8Array => {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  return out;
};

const isPlainRecord = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && getInterfaceOf(value) === undefined;
};

/** Bytes anywhere in plain data become tagged records; everything else is left as it is. */
export const encodeValue = (value: unknown, mapOther: (v: object) => unknown = v => v): unknown => {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? mapOther(value) : value;
  if (value instanceof Uint8Array) return makeTagged('bytes', toBase64(value));
  if (ArrayBuffer.isView(value)) return makeTagged('bytes', toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)));
  if (value instanceof ArrayBuffer) return makeTagged('bytes', toBase64(new Uint8Array(value)));
  if (Array.isArray(value)) return harden(value.map(v => encodeValue(v, mapOther)));
  if (value instanceof Error || value instanceof Promise) return value;
  if (isPlainRecord(value)) {
    return harden(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeValue(v, mapOther)])));
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

/** The inverse of `encodeValue`; refusal records are returned by `decodeValue` to the caller as they are. */
export const decodeValue = (value: unknown, mapOther: (v: object) => unknown = v => v): unknown => {
  if (typeof value === 'function') return mapOther(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(v => decodeValue(v, mapOther));
  if (isTagged(value)) {
    if ((getTag as (v: unknown) => string)(value) === 'bytes') return fromBase64((value as unknown as { payload: string }).payload);
    return value;
  }
  if (value instanceof Error || value instanceof Promise) return value;
  if (isPlainRecord(value)) return harden(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(v, mapOther)])));
  return mapOther(value);
};

/** A refusal as a tagged record that travels as an ordinary answer. */
export const encodeRefusal = (refusal: Refusal): unknown => makeTagged('refusal', harden({ ...refusal }));

/** The refusal inside an answer, if the answer is one. */
export const refusalOf = (value: unknown): Refusal | undefined => {
  if (typeof value !== 'object' || value === null || !isTagged(value) || (getTag as (v: unknown) => string)(value) !== 'refusal') return undefined;
  return (value as unknown as { payload: Refusal }).payload;
};

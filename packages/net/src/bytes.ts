/**
 * Bytes a guest hands in, copied into host-made `Uint8Array`s.
 *
 * The check reads the typed array's own internal slot (the intrinsic
 * `%TypedArray%.prototype[@@toStringTag]` getter), never the value's
 * prototype chain, so a guest array whose prototype is a Proxy runs no guest
 * code here; the copy is taken before any await, so a guest cannot change
 * the bytes between the budget check and the send.
 */
import { isUint8Array } from '@cathedral/sdk';
import { invalid } from './refusals.js';

const encoder = new TextEncoder();

export { isUint8Array };

/** A private copy of a string (as UTF-8) or a Uint8Array; a typed refusal for anything else. */
export const toBytes = (operation: string, target: string, data: unknown): Uint8Array => {
  if (typeof data === 'string') return encoder.encode(data);
  if (isUint8Array(data)) return new Uint8Array(data);
  throw invalid(operation, target, `data must be a string or a Uint8Array, got ${data === null ? 'null' : typeof data}`, 'the network carries bytes', 'pass a Uint8Array or a string (sent as UTF-8)');
};

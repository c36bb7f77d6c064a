/**
 * Data crossing into a store: strings become UTF-8, byte arrays are copied
 * before any await so a guest cannot change them mid-write (time-of-check /
 * time-of-use). Anything else is refused; no guest getter or species hook
 * runs here: `new Uint8Array(view)` copies elements directly.
 */
import { isUint8Array, InvalidArgumentError } from '@cathedral/sdk';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** A private copy of guest data as bytes. */
export const toBytes = (operation: string, target: string, data: unknown): Uint8Array => {
  if (typeof data === 'string') return encoder.encode(data);
  if (isUint8Array(data)) return new Uint8Array(data);
  throw new InvalidArgumentError({
    operation,
    target,
    problem: `data must be a string or a Uint8Array, got ${data === null ? 'null' : typeof data}`,
    rule: 'stores hold bytes',
    allow: 'pass a string (written as UTF-8) or a Uint8Array',
  });
};

/** Bytes as text (UTF-8, malformed sequences replaced). */
export const toText = (bytes: Uint8Array): string => decoder.decode(bytes);

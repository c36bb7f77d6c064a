/**
 * What a guest function answers, as the host keeps it: plain data is copied
 * into host-made arrays and records (own enumerable data properties only, so
 * no guest getter or Proxy trap runs later in the host's hands), bytes are
 * copied, and capabilities (Far objects, functions) are hardened and passed.
 * Anything else is hardened as it is. Strings are not cleaned here: a host
 * that prints guest text should neutralise it, as the console does.
 */
import { getInterfaceOf } from '@endo/pass-style';

const MAX_DEPTH = 64;

export const copyOut = (value: unknown, depth = 0): unknown => {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? harden(value) : value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (Array.isArray(value)) {
    const length = value.length;
    const out: unknown[] = [];
    for (let i = 0; i < length; i += 1) out.push(copyOut(value[i], depth + 1));
    return harden(out);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto === Object.prototype || proto === null) && getInterfaceOf(value) === undefined) {
    const out: Record<string, unknown> = {};
    for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
      if (desc.enumerable === true && 'value' in desc) out[key] = copyOut(desc.value, depth + 1);
    }
    return harden(out);
  }
  return harden(value);
};

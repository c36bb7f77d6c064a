/**
 * Turning what a plugin returned into plain host data.
 *
 * A plugin's return value is a guest object: hardened by the runtime, but
 * still the guest's own, so it may be a Proxy or carry getters that run guest
 * code whenever the host touches them. The app never keeps it: it copies own
 * data properties only (never calling a getter, `toString` or `toJSON`),
 * bounded in depth, width and length, into fresh host values.
 *
 * `printable` makes a guest string safe to put on the host's terminal: the
 * runtime does this for guest console lines, but return values are the
 * app's to handle.
 *
 * Deliberately not done: preserving anything but JSON-like data. Functions,
 * symbols, bigints and class instances become short descriptions.
 */

/** JSON-like host data, copied out of a guest value. */
export type Data = null | boolean | number | string | readonly Data[] | { readonly [key: string]: Data };

// Deep enough for a nested host's report: hosted → entry → value → attempts → attempt → field.
const MAX_DEPTH = 8;
const MAX_ENTRIES = 100;
const MAX_STRING = 2_000;

const bounded = (text: string): string => (text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}… (truncated)` : text);

/** The value of an own data property, or undefined (a getter is never called). */
const ownValue = (object: object, key: string): unknown => {
  const desc = Reflect.getOwnPropertyDescriptor(object, key);
  return desc !== undefined && 'value' in desc ? desc.value : undefined;
};

const copy = (value: unknown, depth: number): Data => {
  switch (typeof value) {
    case 'string':
      return bounded(value);
    case 'number':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return '[symbol]';
    case 'function':
      return '[function]';
    case 'object':
      break;
    default:
      return `[${typeof value}]`;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) {
    const length = ownValue(value, 'length');
    const count = typeof length === 'number' ? Math.min(length, MAX_ENTRIES) : 0;
    return Array.from({ length: count }, (_, i) => copy(ownValue(value, String(i)), depth + 1));
  }
  const out: Record<string, Data> = {};
  for (const key of Reflect.ownKeys(value).slice(0, MAX_ENTRIES)) {
    if (typeof key === 'string') out[key] = copy(ownValue(value, key), depth + 1);
  }
  return out;
};

/** A host copy of a guest value. Never throws: a hostile value becomes a description. */
export const toData = (value: unknown): Data => {
  try {
    return copy(value, 0);
  } catch {
    return '[unreadable]'; // a Proxy trap threw
  }
};

/** The record's own string field, or undefined. */
export const field = (data: Data, key: string): Data | undefined =>
  typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Readonly<Record<string, Data>>)[key] : undefined;

// Keep nothing that moves the cursor: every C0/C1 control and DEL, tabs and
// newlines included (a result is printed on one line).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A guest string made safe for one line of the host's terminal. */
export const printable = (text: string, max = 200): string => {
  const one = text.replace(CONTROL, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return one.length > max ? `${one.slice(0, max)}…` : one;
};

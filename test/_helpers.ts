/**
 * Helpers shared by the cross-package tests: a fingerprint of the host's
 * shared state, taken before a suite and compared after each scenario.
 *
 * The fingerprint holds the identity of things, never copies: for each
 * ECMAScript intrinsic a guest shares with the host (and its prototype), every
 * own key with its value or getter/setter and its flags; the host's global
 * names with the same; and a few values only a stack hook or a prototype
 * pollution would change (`Error.prepareStackTrace` as read, the host's own
 * stack for a fresh error, Node's `URL` prototype, the module parser's
 * `Position` prototype). It never calls a getter of the host's globals (some
 * of Node's lazy globals throw under lockdown).
 *
 * It does not restore anything: a scenario that changes the host must show
 * up as a difference.
 */
import { ModuleSource } from '@endo/module-source';

/** Identity of every part of the host's shared state, by a readable label. */
export type Fingerprint = ReadonlyMap<string, unknown>;

const intrinsics: ReadonlyArray<readonly [string, object]> = [
  ['Object', Object],
  ['Array', Array],
  ['Function', Function],
  ['Promise', Promise],
  ['Error', Error],
  ['TypeError', TypeError],
  ['RegExp', RegExp],
  ['Map', Map],
  ['Set', Set],
  ['JSON', JSON],
  ['Reflect', Reflect],
  ['Math', Math],
  ['Date', Date],
  ['Symbol', Symbol],
  ['String', String],
  ['Uint8Array', Uint8Array],
];

const keyLabel = (key: PropertyKey): string => (typeof key === 'symbol' ? `[${key.description ?? ''}]` : String(key));

const record = (out: Map<string, unknown>, label: string, target: object): void => {
  out.set(`${label} (frozen)`, Object.isFrozen(target));
  out.set(`${label} (prototype)`, Object.getPrototypeOf(target));
  out.set(`${label} (keys)`, Reflect.ownKeys(target).map(keyLabel).join(','));
  for (const key of Reflect.ownKeys(target)) {
    const desc = Object.getOwnPropertyDescriptor(target, key);
    if (desc === undefined) continue;
    const name = `${label}.${keyLabel(key)}`;
    if ('value' in desc) out.set(name, desc.value);
    else {
      out.set(`${name} (getter)`, desc.get);
      out.set(`${name} (setter)`, desc.set);
    }
    out.set(`${name} (flags)`, `w:${String(desc.writable)} e:${String(desc.enumerable)} c:${String(desc.configurable)}`);
  }
};

/** The prototype of the module parser's `Position` class, reached the way a syntax error reaches it. */
const parserPositionPrototype = (): object | undefined => {
  try {
    // eslint-disable-next-line no-new
    new ModuleSource('export const = ;');
  } catch (error) {
    const loc: unknown = (error as { cause?: { loc?: unknown } }).cause?.loc;
    if (typeof loc === 'object' && loc !== null) return Object.getPrototypeOf(loc) as object;
  }
  return undefined;
};

/** Takes the host's fingerprint now. */
export const fingerprint = (): Fingerprint => {
  const out = new Map<string, unknown>();
  for (const [name, value] of intrinsics) {
    record(out, name, value);
    const proto: unknown = (value as { prototype?: unknown }).prototype;
    if (typeof proto === 'object' && proto !== null) record(out, `${name}.prototype`, proto);
  }
  record(out, 'globalThis', globalThis);
  record(out, 'URL.prototype', URL.prototype);
  record(out, 'URLSearchParams.prototype', URLSearchParams.prototype);
  const position = parserPositionPrototype();
  if (position !== undefined) record(out, 'parser Position.prototype', position);
  const HostError = Error as ErrorConstructor & { prepareStackTrace?: unknown };
  out.set('Error.prepareStackTrace (as read)', HostError.prepareStackTrace);
  out.set('Error.stackTraceLimit (as read)', Error.stackTraceLimit);
  out.set('a fresh host error .stack', new Error('fingerprint').stack);
  return out;
};

const show = (value: unknown): string => {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object' && value !== null) return `object ${Object.prototype.toString.call(value)}`;
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 120)) : String(value);
};

/** What changed between two fingerprints, one line per label; empty when nothing did. */
export const changes = (before: Fingerprint, after: Fingerprint): string[] => {
  const out: string[] = [];
  for (const label of new Set([...before.keys(), ...after.keys()])) {
    if (!before.has(label)) out.push(`${label}: added (${show(after.get(label))})`);
    else if (!after.has(label)) out.push(`${label}: removed (was ${show(before.get(label))})`);
    else if (!Object.is(before.get(label), after.get(label))) {
      out.push(`${label}: was ${show(before.get(label))}, now ${show(after.get(label))}`);
    }
  }
  return out;
};

/** Text that names the host's own file system or process, which no guest should ever see. */
export const hostMarkers = (): readonly RegExp[] => {
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const cwd = process.cwd();
  const markers = [
    new RegExp(escapeRegExp(cwd)),
    /\/work\//,
    /file:\/\/\/(?!app\/)/, // packages see a virtual file:///app/ tree; anything else is the host's
    /node:internal/,
    /\[object process\]/,
  ];
  const home = process.env['HOME'];
  if (home !== undefined && home.length > 1) markers.push(new RegExp(`${escapeRegExp(home)}/`));
  return markers;
};

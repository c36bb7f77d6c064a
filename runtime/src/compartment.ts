/**
 * The realm's compartments, with the allowlist of globals a guest starts with.
 *
 * SES gives every new compartment the ECMAScript globals plus a few of its
 * own and of the host's. A realm keeps only what `keptGlobals` lists (the
 * ECMAScript intrinsics SES has already tamed and frozen) plus what the
 * spawner endows; everything else — `lockdown`, `Compartment`, and Node's
 * own `TextEncoder`/`TextDecoder` — is removed, whatever a future SES adds.
 * Node's codecs are replaced by pure-JavaScript ones (./text-codec.ts).
 */

/** Globals a guest keeps from a new SES compartment: ECMAScript only. */
import '@cathedral/sdk/shims';

export const keptGlobals: ReadonlySet<string> = new Set([
  'globalThis', 'Infinity', 'NaN', 'undefined',
  'isFinite', 'isNaN', 'parseFloat', 'parseInt',
  'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape',
  'eval', 'Function',
  'Object', 'Array', 'Boolean', 'Number', 'BigInt', 'String', 'Symbol', 'Date', 'Math', 'JSON', 'Reflect', 'Proxy', 'Promise',
  'RegExp', 'Map', 'Set', 'WeakMap', 'WeakSet',
  'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
  'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError',
  'harden',
]);

export type RealmCompartmentClass = typeof Compartment;

const endowedNames = (args: readonly unknown[]): Set<string> => {
  const first = args[0] as { __options__?: unknown; globals?: object } | undefined;
  const globals = first !== undefined && first.__options__ === true ? first.globals : (first as object | undefined);
  return new Set(globals === undefined ? [] : Object.keys(globals));
};

/**
 * The names SES itself puts on every new compartment's global object, less
 * the kept ones: learnt once, from a compartment made with no endowments.
 * SES defines the same names on every global whatever the options (the
 * universal and shared intrinsics, `globalThis`, `Compartment`, `eval`,
 * `Function`) and only then assigns the endowments, so a new global holds
 * exactly these, the kept names and the endowed ones; deleting these is
 * what pruning every key would do, without listing a large global's keys
 * on every spawn. A test pins that a realm's global holds nothing else.
 */
const addedBySes: readonly string[] = (() => {
  const probe = new Compartment();
  return Reflect.ownKeys(probe.globalThis).filter((key): key is string => typeof key === 'string' && !keptGlobals.has(key));
})();

/** A `Compartment` whose global object holds only kept and endowed names. */
export const RealmCompartment: RealmCompartmentClass = class extends Compartment {
  constructor(...args: ConstructorParameters<typeof Compartment>) {
    super(...args);
    const endowed = endowedNames(args);
    const global = this.globalThis;
    for (const key of addedBySes) if (!endowed.has(key)) Reflect.deleteProperty(global, key);
  }
} as RealmCompartmentClass;

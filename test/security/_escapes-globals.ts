/**
 * Escape scenarios: globals that must not exist, and prototype pollution.
 * A realm's global object holds ECMAScript and its endowments only; no
 * clock, no entropy; and no intrinsic, endowment or host-made object it
 * receives accepts a change.
 */
import { type Escape, guest, js } from './_escape-kit.js';

/** A scenario whose attack fails if any of `names` is reachable as a global. */
const absent = (name: string, names: readonly string[]): Escape => ({
  name,
  family: 'missing globals',
  source: guest(js`
const names = ${JSON.stringify(names)};
export const attack = async () => {
  const findings = [];
  for (const name of names) {
    const seen = [];
    if (name in globalThis) seen.push('in globalThis');
    if (Reflect.ownKeys(globalThis).includes(name)) seen.push('an own key');
    let type;
    try { type = (0, eval)('typeof ' + name); } catch (e) { type = 'undefined'; }
    if (type !== 'undefined') seen.push('typeof ' + type);
    try { if (Function('return ' + name)() !== undefined) seen.push('readable'); } catch (e) {}
    if (seen.length > 0) findings.push(name + ' (' + seen.join(', ') + ')');
  }
  return verdict(findings, names.length + ' names are absent');
};`),
});

/** ECMAScript globals and what every realm is endowed with; the scenario's caps come on top. */
const ALLOWED = [
  'globalThis', 'Infinity', 'NaN', 'undefined', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'decodeURI',
  'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape', 'eval', 'Function', 'Object', 'Array',
  'Boolean', 'Number', 'BigInt', 'String', 'Symbol', 'Date', 'Math', 'JSON', 'Reflect', 'Proxy', 'Promise', 'RegExp',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray',
  'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array',
  'BigUint64Array', 'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError',
  'AggregateError', 'harden', 'resolve', 'E', 'Far', 'console', 'TextEncoder', 'TextDecoder', 'request', 'authority',
  'probe', 'probeRecord',
];

export const missingGlobals: readonly Escape[] = [
  absent('process, require, module, exports and Buffer do not exist', ['process', 'require', 'module', 'exports', 'Buffer', '__filename', '__dirname', 'global']),
  absent('fetch, timers and other host APIs do not exist', ['fetch', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout',
    'queueMicrotask', 'performance', 'structuredClone', 'URL', 'URLSearchParams', 'AbortController', 'Blob', 'crypto',
    'navigator', 'WebSocket', 'MessageChannel', 'BroadcastChannel', 'Worker', 'Intl', 'FinalizationRegistry', 'WeakRef']),
  absent('WebAssembly, SharedArrayBuffer and Atomics do not exist', ['WebAssembly', 'SharedArrayBuffer', 'Atomics']),
  absent('lockdown, Compartment, assert and HandledPromise do not exist', ['lockdown', 'Compartment', 'assert', 'HandledPromise', 'ModuleSource', 'getStackString', 'repairIntrinsics', 'hardenIntrinsics']),
  {
    name: 'Date.now, new Date() and Math.random give no clock and no entropy',
    family: 'missing globals',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  const tries = [['Date.now()', () => Date.now()], ['new Date().getTime()', () => new Date().getTime()], ['Date()', () => Date()],
    ['Math.random()', () => Math.random()], ['new Date(Date.now())', () => new Date(Date.now()).getTime()]];
  for (const [label, f] of tries) {
    let value;
    try { value = f(); } catch (e) { continue; }
    if (typeof value === 'number' ? Number.isFinite(value) : value !== 'Invalid Date') findings.push(label + ' gave ' + textOf(value));
  }
  const a = []; for (let i = 0; i < 3; i += 1) { try { a.push(Math.random()); } catch (e) {} }
  if (new Set(a).size > 1) findings.push('Math.random varies');
  return verdict(findings, 'no clock and no entropy');
};`),
  },
  {
    name: 'the global object holds only ECMAScript names and the realm endowments',
    family: 'missing globals',
    caps: true,
    source: guest(js`
const ALLOWED = new Set(${JSON.stringify(ALLOWED)});
export const attack = async () => {
  const extra = Reflect.ownKeys(globalThis).filter(k => typeof k === 'string' && !ALLOWED.has(k));
  let proto = Object.getPrototypeOf(globalThis);
  const inherited = [];
  for (; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) inherited.push(...Object.getOwnPropertyNames(proto));
  return verdict([...extra.map(k => 'the global ' + k), ...inherited.map(k => 'the inherited global ' + k)], 'only allowlisted globals');
};`),
  },
  {
    name: 'globalThis.constructor is the realm frozen Object and cannot be changed',
    family: 'missing globals',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  if (globalThis.constructor !== Object) findings.push('globalThis.constructor is ' + textOf(globalThis.constructor.name));
  if (!Object.isFrozen(globalThis.constructor)) findings.push('globalThis.constructor is not frozen');
  findings.push(...mutate(globalThis.constructor, 'globalThis.constructor'));
  try { globalThis.constructor = mine(function Fake() {}); } catch (e) {}
  return verdict(findings, 'globalThis.constructor is Object, frozen');
};`),
  },
];

const pollute = (name: string, body: string): Escape => ({ name, family: 'prototype pollution', source: guest(body) });

export const prototypePollution: readonly Escape[] = [
  pollute('Object.prototype cannot be polluted', js`
export const attack = async () => {
  const findings = [];
  try { Object.prototype.polluted = 1; } catch (e) {}
  try { Object.defineProperty(Object.prototype, 'polluted', { value: 1, configurable: true }); } catch (e) {}
  try { ({}).__proto__.polluted = 1; } catch (e) {}
  try { Object.prototype.__defineGetter__('polluted', mine(() => 1)); } catch (e) {}
  try { JSON.parse('{"__proto__": {"polluted": 1}}', mine((k, v) => v)); Object.assign({}, JSON.parse('{"__proto__": {"polluted": 1}}')); } catch (e) {}
  if (({}).polluted !== undefined) findings.push('({}).polluted is ' + ({}).polluted);
  findings.push(...mutate(Object.prototype, 'Object.prototype'));
  return verdict(findings, 'Object.prototype is frozen');
};`),
  pollute('Array.prototype.push cannot be replaced', js`
export const attack = async () => {
  const original = Array.prototype.push;
  try { Array.prototype.push = mine(function () { return 'guest'; }); } catch (e) {}
  try { Object.defineProperty(Array.prototype, 'push', { value: mine(() => 'guest') }); } catch (e) {}
  const findings = [];
  if (Array.prototype.push !== original || [].push(1) === 'guest') findings.push('Array.prototype.push was replaced');
  findings.push(...mutate(Array.prototype, 'Array.prototype'));
  return verdict(findings, 'Array.prototype is frozen');
};`),
  pollute('Promise.prototype.then cannot be replaced to intercept the host', js`
export const attack = async () => {
  const original = Promise.prototype.then;
  try { Promise.prototype.then = mine(function (a, b) { return original.call(this, a, b); }); } catch (e) {}
  try { Object.defineProperty(Promise.prototype, 'then', { value: mine(() => 'guest') }); } catch (e) {}
  try { Object.defineProperty(Promise, Symbol.species, { get: mine(() => Promise) }); } catch (e) {}
  const findings = [];
  if (Promise.prototype.then !== original) findings.push('Promise.prototype.then was replaced');
  findings.push(...mutate(Promise.prototype, 'Promise.prototype'), ...mutate(Promise, 'Promise'));
  return verdict(findings, 'Promise and its prototype are frozen');
};`),
  pollute('Function.prototype call, apply and bind cannot be replaced', js`
export const attack = async () => {
  const findings = [];
  for (const key of ['call', 'apply', 'bind', 'toString', Symbol.hasInstance]) {
    const original = Function.prototype[key];
    try { Function.prototype[key] = mine(function () { return 'guest'; }); } catch (e) {}
    if (Function.prototype[key] !== original) findings.push('Function.prototype.' + textOf(key) + ' was replaced');
  }
  findings.push(...mutate(Function.prototype, 'Function.prototype'));
  return verdict(findings, 'Function.prototype is frozen');
};`),
  pollute('no intrinsic constructor or prototype accepts a change', js`
export const attack = async () => {
  const findings = [];
  const roots = [Object, Array, Function, Promise, Error, TypeError, RangeError, SyntaxError, AggregateError, RegExp, Map, Set,
    WeakMap, WeakSet, JSON, Reflect, Math, Date, Symbol, String, Number, Boolean, BigInt, Proxy, ArrayBuffer, DataView,
    Uint8Array, Int32Array, BigInt64Array, Object.getPrototypeOf(Uint8Array),
    Object.getPrototypeOf(async function () {}), Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async function* () {}),
    Object.getPrototypeOf([][Symbol.iterator]()), Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
    Object.getPrototypeOf(new Map().entries()), Object.getPrototypeOf(''[Symbol.iterator]()), Object.getPrototypeOf(/x/g[Symbol.matchAll]('x'))];
  let count = 0;
  for (const root of roots.filter(r => r !== undefined)) {
    for (const target of [root, root.prototype]) {
      if ((typeof target !== 'object' && typeof target !== 'function') || target === null) continue;
      count += 1;
      if (!Object.isFrozen(target)) findings.push(textOf(root.name || root) + (target === root ? '' : '.prototype') + ' is not frozen');
      findings.push(...mutate(target, textOf(root.name || 'an intrinsic') + (target === root ? '' : '.prototype')));
    }
  }
  return verdict(findings, count + ' intrinsics are frozen');
};`),
  {
    name: 'objects received from the host cannot be mutated',
    family: 'prototype pollution',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const file = await resolve('system://etc/app.json');
  const listing = await sys.list('etc');
  const stat = await sys.stat('etc/app.json');
  const refusal = (await settle(() => sys.read('missing'))).error;
  const echoed = await probe.echo(mine({ a: 1 }));
  const findings = [];
  for (const [label, target] of [['a dir node', sys], ['a file node', file], ['a listing', listing], ['a listing entry', listing[0]],
    ['a stat', stat], ['a refusal', refusal], ['an echoed record', echoed], ['console', console], ['resolve', resolve],
    ['the probe', probe], ['E', E], ['Far', Far], ['harden', harden]]) {
    if (!Object.isFrozen(target)) findings.push(label + ' is not frozen');
    findings.push(...mutate(target, label));
  }
  try { listing.push(mine({ name: 'injected', kind: 'file' })); } catch (e) {}
  const again = await sys.list('etc');
  if (again.some(e => e.name === 'injected')) findings.push('a listing change reached the store');
  return verdict(findings, 'nodes, listings, stats, refusals and endowments are frozen');
};`),
  },
  {
    name: 'a host class instance returned by a capability exposes no mutable prototype',
    family: 'prototype pollution',
    caps: true,
    advisory: '2026-11-29-host-instances-cross-raw',
    source: guest(js`
export const attack = async () => {
  const url = await probe.url();
  const findings = [];
  const where = reach(url, 'probe.url()');
  if (where) findings.push(where);
  const proto = Object.getPrototypeOf(url);
  if (proto !== Object.prototype && proto !== null && !Object.isFrozen(proto)) {
    try {
      Object.defineProperty(proto, 'pollutedByGuest', { value: 'guest', configurable: true });
      if (new (url.constructor)('https://example.com/').pollutedByGuest === 'guest') findings.push('the guest changed the prototype of the host class ' + textOf(url.constructor.name) + ' for every host instance');
    } finally {
      try { delete proto.pollutedByGuest; } catch (e) {}
    }
  }
  return verdict(findings, 'the capability result is a frozen copy');
};`),
  },
];

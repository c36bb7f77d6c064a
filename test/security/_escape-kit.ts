/**
 * The shape of a realm escape scenario, and the guest-side prelude every
 * scenario's source starts with.
 *
 * A scenario is data: its guest main module exports `attack`, which returns
 * a verdict string — `held: …` when the attack got nothing, `escaped: …`
 * naming what it got — or throws (the attack failed). The same scenarios
 * run against every tier; a runner supplies what a scenario asks for (see
 * ./_escape-runner.ts):
 *  - `caps`: a memory `system` root (no hostDir), the `probe` capability
 *    (a Far object of host functions a real host might hand out) and
 *    `probeRecord` (the same functions as a plain record);
 *  - `lifecycle: 'terminate'`: a `harness` capability with `ready()` (the
 *    guest holds what it needs) and `terminated()` (a promise that settles
 *    once the host has terminated the realm: refused with REVOKED by the
 *    gate, which is the signal);
 *  - `observer`: a second realm, spawned after the first attacked, whose
 *    own `attack` reports what it can see of the first;
 *  - `files`: more files next to `main.js` in the `app` root.
 *
 * A guest that throws an object it forged to look like a host refusal puts
 * `FORGED-BY-GUEST` in its message: the runner fails the scenario if the
 * host takes it for its own error rather than reporting a guest error.
 *
 * Guest sources are written with `js` (String.raw) so regular expressions
 * keep their backslashes, and never contain the text SES rejects in any
 * evaluated source (a dynamic-import call or HTML comment inside a string).
 */
import type { Tier } from '@cathedral/runtime';

export type Family =
  | 'constructor chains'
  | 'evaluators'
  | 'stack-trace hooks'
  | 'proxies and getters'
  | 'thenables'
  | 'species'
  | 'prototype pollution'
  | 'missing globals'
  | 'error messages'
  | 'console'
  | 'text codecs'
  | 'forgery and this'
  | 'cross-realm'
  | 'revocation'
  | 'node powers'
  | 'boundary';

/** Every family, in the order the suite lists them. */
export const families: readonly Family[] = [
  'constructor chains', 'evaluators', 'stack-trace hooks', 'proxies and getters', 'thenables', 'species',
  'prototype pollution', 'missing globals', 'error messages', 'console', 'text codecs', 'forgery and this',
  'cross-realm', 'revocation', 'node powers', 'boundary',
];

/**
 * How a scenario runs at one tier when not exactly as written, and why; the
 * suite shows the reason in the test's title, so nothing is skipped silently.
 *  - `adapted`: it runs at this tier with other mechanics (`source`,
 *    `observer`), or as written but judged as the runner says for this tier;
 *  - `not applicable`: its mechanics cannot exist at this tier (the test is
 *    listed as skipped, the reason in its title);
 *  - `open`: the attack currently succeeds at this tier; the test is
 *    `failing` (green while the finding is open, loud once it is fixed) and
 *    `finding` names it, with where it comes from, in the suite's report.
 *    `severity` says whether the guest gains something over the host (an
 *    `escape`: host objects, host code run for the guest, guest code run in
 *    the host, a forged host refusal) or the runtime breaks a promise it
 *    makes without the guest gaining anything (a `weakness`).
 */
export type AtTier =
  | { readonly kind: 'adapted'; readonly reason: string; readonly source?: string; readonly observer?: string }
  | { readonly kind: 'not applicable'; readonly reason: string }
  | { readonly kind: 'open'; readonly severity: 'escape' | 'weakness'; readonly finding: string };

/** Files of the app root besides `main.js`: text files, nested records for directories. */
export interface Files {
  readonly [name: string]: string | Files;
}

export interface Escape {
  /** A sentence about what must hold, e.g. 'async function constructor cannot see process'. */
  readonly name: string;
  readonly family: Family;
  /** The guest's `app://main.js`, exporting `attack`. */
  readonly source: string;
  readonly files?: Files;
  readonly caps?: true;
  readonly lifecycle?: 'terminate';
  /** Source of a second realm's `app://main.js`, run after the first attacked. */
  readonly observer?: string;
  /** No console line of the scenario's realms may match this. */
  readonly forbidConsole?: RegExp;
  /** The host's own stdout and stderr must receive nothing while the scenario runs (its routes are the only way out). */
  readonly forbidHostOutput?: true;
  /**
   * What the attack answers: a verdict string (the default), or `data` — the
   * host must then receive only host-made plain data (frozen arrays and
   * records, strings, numbers, bytes, capabilities) or a Cathedral error;
   * every capability in the answer must refuse with REVOKED once the realm
   * is terminated.
   */
  readonly answers?: 'verdict' | 'data';
  /** Tiers at which the scenario runs other than as written (see `AtTier`). */
  readonly tiers?: { readonly [T in Tier]?: AtTier };
  /** The advisory (test/security/advisories/<name>.md) of the escape this scenario once found, now its permanent repro. */
  readonly advisory?: string;
}

/** Writes guest source as it will be read: backslashes stay. */
export const js = String.raw;

/**
 * Helpers every guest starts with:
 *  - `held(what)`, `escaped(what)`, `verdict(findings, what)`;
 *  - `leaks(text)`: the text names a host location;
 *  - `mine(value)`: marks a guest-made object, so walks skip it;
 *  - `reach(value, label, echoes, flagMutable)`: walks own properties (never
 *    running getters), prototypes and constructors from a value and describes
 *    the first host thing found — a host path, an Error constructor with
 *    stack powers, or (unless `flagMutable` is false) a mutable object shared
 *    through a prototype or constructor — or ''; text in `echoes` (the
 *    guest's own input, quoted back) does not count;
 *  - `evalVia(F, label)`: asks a constructor to make a function that looks
 *    for host globals; '' when it refuses or sees none;
 *  - `stackPowers(start, label)`: tries every Error constructor reachable
 *    from `start`: sets a `prepareStackTrace` hook (restored after), calls
 *    `captureStackTrace`, provokes stacks; lists what worked;
 *  - `traps(target, calls)`: a Proxy recording every trap call;
 *  - `foreign(calls, label)`: findings for any host thing a trap or hook
 *    was handed;
 *  - `mutate(target, label)`: tries to add, replace, delete and re-prototype;
 *    lists what worked;
 *  - `settle(f)`, `codeOf(error)`, `textOf(value)`;
 *  - `shared()`: the endowments and intrinsics two realms both hold.
 */
export const PRELUDE = js`
const held = what => 'held: ' + what;
const escaped = what => 'escaped: ' + what;
const verdict = (findings, what) => (findings.length === 0 ? held(what) : escaped(findings.join('; ')));
const HOST_PATH = /file:\/\/\/(?!app\/)|node:internal|\[object process\]|(?:^|[\s'"(=@])\/(?:work|home|usr|etc|tmp|root|opt|var|proc|srv|mnt|nix)\//;
const leaks = text => typeof text === 'string' && HOST_PATH.test(text);
const textOf = value => { try { return String(value); } catch (e) { return '[unprintable]'; } };
const codeOf = error => { try { return typeof error === 'object' && error !== null ? String(error.code) : typeof error; } catch (e) { return 'unreadable'; } };
const settle = async f => { try { return { ok: true, value: await f() }; } catch (error) { return { ok: false, error }; } };
const guestMade = new WeakSet();
const mine = value => { if ((typeof value === 'object' || typeof value === 'function') && value !== null) guestMade.add(value); return value; };
const known = new Set();
const addKnown = value => {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
  known.add(value);
  try { const p = value.prototype; if (typeof p === 'object' && p !== null) known.add(p); } catch (e) {}
};
for (const name of ['Object', 'Function', 'Array', 'Boolean', 'Number', 'BigInt', 'String', 'Symbol', 'Date', 'Math', 'JSON',
  'Reflect', 'Promise', 'RegExp', 'Map', 'Set', 'WeakMap', 'WeakSet', 'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array',
  'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
  'BigInt64Array', 'BigUint64Array', 'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError',
  'URIError', 'AggregateError']) addKnown(globalThis[name]);
addKnown(Object.getPrototypeOf(Uint8Array));
const reach = (root, label, echoes = [], flagMutable = true) => {
  const seen = new Set();
  const queue = [[root, label, false]];
  while (queue.length > 0 && seen.size < 3000) {
    const [value, path, shared] = queue.shift();
    if (typeof value === 'string') {
      const text = echoes.reduce((t, echo) => t.split(echo).join(''), value);
      if (leaks(text)) return path + ' names a host location: ' + value.slice(0, 200);
      continue;
    }
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) continue;
    if (seen.has(value) || known.has(value) || guestMade.has(value) || value === globalThis) continue;
    seen.add(value);
    let keys;
    try {
      if (typeof value === 'function' && value !== Error && Object.getOwnPropertyDescriptor(value, 'prepareStackTrace') !== undefined) {
        return path + ' is an Error constructor with stack powers (' + textOf(value.name) + ')';
      }
      if (flagMutable && shared && !Object.isFrozen(value)) return path + ' is a mutable ' + typeof value + ' shared through a prototype or constructor';
      keys = Reflect.ownKeys(value);
    } catch (e) { continue; }
    for (const key of keys) {
      let desc;
      try { desc = Object.getOwnPropertyDescriptor(value, key); } catch (e) { continue; }
      if (desc === undefined) continue;
      const where = path + '.' + textOf(key);
      const isShared = shared || key === 'constructor' || key === 'prototype';
      if ('value' in desc) queue.push([desc.value, where, isShared]);
      else { queue.push([desc.get, where + ' (getter)', true]); queue.push([desc.set, where + ' (setter)', true]); }
    }
    let proto = null;
    try { proto = Object.getPrototypeOf(value); } catch (e) {}
    queue.push([proto, path + '.__proto__', true]);
  }
  return '';
};
const LOOK = 'return [typeof process, typeof require, typeof Buffer, typeof module, typeof lockdown, typeof Compartment, typeof globalThis.process].join()';
const NOTHING = 'undefined,undefined,undefined,undefined,undefined,undefined,undefined';
const evalVia = async (F, label) => {
  let fn;
  try { fn = F(LOOK); } catch (e) { return ''; }
  let out;
  try {
    out = fn();
    if (out !== null && typeof out === 'object' && typeof out.next === 'function') out = out.next();
    if (out !== null && typeof out === 'object' && typeof out.then === 'function') out = await out;
    if (out !== null && typeof out === 'object' && 'value' in out) out = out.value;
  } catch (e) { return ''; }
  return out === NOTHING ? '' : label + ' made a function that saw ' + textOf(out);
};
const errorConstructorsFrom = start => {
  const found = new Set();
  const climb = c => {
    for (let x = c, n = 0; typeof x === 'function' && n < 12; n += 1) {
      found.add(x);
      try { x = Object.getPrototypeOf(x); } catch (e) { break; }
    }
  };
  if (typeof start === 'function') climb(start);
  try { climb(start.constructor); } catch (e) {}
  try {
    for (let p = Object.getPrototypeOf(start), n = 0; p !== null && p !== undefined && n < 12; n += 1) {
      climb(p.constructor);
      p = Object.getPrototypeOf(p);
    }
  } catch (e) {}
  return [...found];
};
const stackPowers = async (start, label) => {
  const findings = [];
  let calls = 0;
  let sawFile = '';
  let sawHostError = '';
  const hook = mine((error, frames) => {
    calls += 1;
    try {
      if (sawHostError === '' && typeof error === 'object' && error !== null && !guestMade.has(error)) {
        const own = Object.getOwnPropertyNames(error).map(k => { const d = Object.getOwnPropertyDescriptor(error, k); return d && 'value' in d ? textOf(d.value) : ''; }).join(' ');
        if (leaks(own)) sawHostError = own.slice(0, 160);
      }
      for (const frame of frames) {
        const file = textOf(frame.getFileName && frame.getFileName());
        if (sawFile === '' && file !== 'undefined' && file !== 'null' && !file.startsWith('app://')) sawFile = file;
      }
    } catch (e) {}
    return 'hooked by the guest';
  });
  const hooked = [];
  for (const C of errorConstructorsFrom(start)) {
    if (C === Error) continue;
    const powers = ['prepareStackTrace', 'captureStackTrace', 'stackTraceLimit'].filter(k => Object.getOwnPropertyDescriptor(C, k) !== undefined);
    if (powers.length > 0 && !Object.isFrozen(C)) findings.push(label + ': the Error constructor ' + textOf(C.name) + ' with ' + powers.join(', ') + ' is not frozen');
    if (powers.includes('captureStackTrace')) {
      const target = mine({});
      try { C.captureStackTrace(target); } catch (e) {}
      const stack = textOf(target.stack);
      if (leaks(stack) || /:\d+:\d+/.test(stack)) findings.push(label + ': captureStackTrace of ' + textOf(C.name) + ' gave frames: ' + stack.slice(0, 200));
    }
    if (powers.includes('prepareStackTrace')) {
      let old;
      try { old = C.prepareStackTrace; C.prepareStackTrace = hook; hooked.push([C, old]); } catch (e) {}
    }
  }
  try { void mine(new Error('provoke')).stack; } catch (e) {}
  try { await resolve('nope://provoke'); } catch (e) { void e.stack; }
  if (typeof globalThis.probe === 'object') { try { await globalThis.probe.failHost(); } catch (e) {} }
  for (const [C, old] of hooked.reverse()) { try { C.prepareStackTrace = old; } catch (e) {} }
  if (calls > 0) {
    findings.push(label + ': a prepareStackTrace hook set through ' + hooked.map(([C]) => textOf(C.name)).join(', ') +
      ' ran ' + calls + ' times' + (sawFile === '' ? '' : ', saw the host file ' + sawFile) +
      (sawHostError === '' ? '' : ' and was handed a host error holding ' + sawHostError));
  }
  return findings;
};
const TRAPS = ['get', 'set', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'setPrototypeOf',
  'defineProperty', 'deleteProperty', 'apply', 'construct', 'isExtensible', 'preventExtensions'];
const traps = (target, calls) => {
  mine(target);
  const handler = mine({});
  for (const trap of TRAPS) handler[trap] = mine((...args) => { calls.push([trap, args]); return Reflect[trap](...args); });
  return mine(new Proxy(target, handler));
};
const foreign = (calls, label) => {
  const findings = [];
  for (const [what, args, self] of calls) {
    for (const arg of [self, ...args]) {
      if ((typeof arg !== 'object' && typeof arg !== 'function') || arg === null || guestMade.has(arg)) continue;
      const where = reach(arg, label + ' ' + what + ' argument');
      if (where !== '') findings.push(where);
    }
  }
  return findings;
};
const mutate = (target, label) => {
  const done = [];
  const attempts = [
    ['set a new property', () => { target.leftByGuest = 'guest'; return target.leftByGuest === 'guest'; }],
    ['define a new property', () => { Object.defineProperty(target, 'definedByGuest', { value: 'guest', configurable: true }); return true; }],
    ['replace toString', () => { const old = target.toString; target.toString = mine(() => 'guest'); return target.toString !== old; }],
    ['delete an own property', () => { const key = Reflect.ownKeys(target)[0]; return key !== undefined && Reflect.deleteProperty(target, key) && !Reflect.ownKeys(target).includes(key); }],
    ['change its prototype', () => Reflect.setPrototypeOf(target, mine({}))],
  ];
  for (const [what, attempt] of attempts) {
    try { if (attempt() === true) done.push(label + ': ' + what); } catch (e) {}
  }
  return done;
};
const shared = () => [
  ['console', console], ['console.log', console.log], ['E', E], ['Far', Far], ['harden', harden], ['resolve', resolve],
  ['TextEncoder', TextEncoder], ['TextEncoder.prototype', TextEncoder.prototype],
  ['TextDecoder', TextDecoder], ['TextDecoder.prototype', TextDecoder.prototype],
  ['Object.prototype', Object.prototype], ['Array.prototype', Array.prototype], ['Function.prototype', Function.prototype],
  ['Promise.prototype', Promise.prototype], ['Error', Error], ['Error.prototype', Error.prototype], ['Object', Object],
  ['JSON', JSON], ['Math', Math], ['Reflect', Reflect], ['Symbol', Symbol], ['RegExp.prototype', RegExp.prototype],
  ['Map.prototype', Map.prototype], ['Uint8Array.prototype', Uint8Array.prototype],
];
`;

/** A guest main module: the prelude, then the scenario's own code. */
export const guest = (body: string): string => `${PRELUDE}\n${body}\n`;

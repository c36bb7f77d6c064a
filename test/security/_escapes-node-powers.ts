/**
 * Escape scenarios: the Node powers of a remote guest's own thread or
 * process. The bootstrap's start compartment holds `process`, `import()`
 * and the channel; every chain from what the guest holds (adapters and
 * their methods under any name, errors made by `refusalError`, CapTP and
 * pass-style, `E` and its promises, decoded bytes, the console, every
 * constructor) must end at an evaluator that sees only the realm, and no
 * specifier may load the bootstrap or a Node built-in.
 */
import { type Escape, guest, js } from './_escape-kit.js';
import { remote } from './_escapes-remote-kit.js';

/** Where the bootstrap and the channel really are (this file is test/dist/security/), and other ways to name them. */
const tiersDir = new URL('../../../runtime/dist/src/tiers/', import.meta.url).href;
const BOOTSTRAP_SPECIFIERS: readonly string[] = [
  'node:worker_threads', 'worker_threads', 'node:process', 'node:child_process', 'node:module', 'node:inspector', 'node:v8',
  '@cathedral/runtime', '@cathedral/sdk', '@endo/captp', 'ses', '../../runtime/dist/src/tiers/channel.js',
  '../../../../../../runtime/dist/src/tiers/guest-main.js', 'app://../runtime/dist/src/tiers/channel.js',
  `${tiersDir}channel.js`, `${tiersDir}guest-main.js`, `${tiersDir}adapter.js`, 'file:///proc/self/environ', '/proc/self/cmdline',
];

export const nodePowers: readonly Escape[] = [
  {
    name: 'capability adapters lead to no Node power through their constructor, prototype, descriptors or construction',
    family: 'node powers',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const file = await resolve('system://etc/app.json');
  const greeter = await probe.greeter();
  const findings = [];
  let count = 0;
  for (const [label, x] of [['probe', probe], ['probe.echo', probe.echo], ['a dir node', sys], ['sys.read', sys.read], ['a file node', file],
    ['a function capability', greeter], ['resolve', resolve], ['request', request]]) {
    const starts = [];
    const add = (how, f) => { try { starts.push([label + how, f()]); } catch (e) { starts.push([label + how + ' (thrown)', e]); } };
    add('.constructor', () => x.constructor);
    add('.__proto__', () => x.__proto__);
    add(' Object.getPrototypeOf', () => Object.getPrototypeOf(x));
    add(' Reflect.getPrototypeOf', () => Reflect.getPrototypeOf(x));
    add(' own prototype', () => { const d = Object.getOwnPropertyDescriptor(x, 'prototype'); return d && d.value; });
    add(' descriptors', () => Object.getOwnPropertyDescriptors(x));
    add(' constructed', () => new x());
    add(' constructed by Reflect', () => Reflect.construct(Object, [], x));
    add('.call', () => x.call);
    add('.bind()', () => Function.prototype.bind.call(x, undefined));
    add(' source', () => Function.prototype.toString.call(x));
    for (const [how, value] of starts) {
      count += 1;
      findings.push(...await nodePowers(value, how));
      if (typeof value === 'object' && value !== null && value instanceof Error) findings.push(...await stackPowers(value, how));
    }
  }
  return verdict(findings, count + ' ways into 8 capabilities lead to no Node power');
};`),
  },
  {
    name: 'capability adapters are frozen through and through, like the forwarders of the compartment tier',
    family: 'node powers',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const greeter = await probe.greeter();
  const findings = [];
  for (const [label, x] of [['probe', probe], ['a dir node', sys], ['a function capability', greeter]]) {
    if (!Object.isFrozen(x)) findings.push(label + ' is not frozen');
    for (const key of ['echo', 'read', 'length', 'name', 'prototype']) {
      let a; let b;
      try { a = x[key]; b = x[key]; } catch (e) { findings.push(label + '.' + key + ' throws when read: ' + textOf(e && e.message).slice(0, 80)); continue; }
      if (typeof a === 'function' && a !== b) findings.push(label + '.' + key + ' is a different function at every read');
      if (typeof a === 'function' && !Object.isFrozen(a)) findings.push(label + '.' + key + ' is not frozen');
    }
    const d = Object.getOwnPropertyDescriptor(x, 'prototype');
    if (d !== undefined && typeof d.value === 'object' && d.value !== null && !Object.isFrozen(d.value)) findings.push(label + ' has a mutable own prototype object');
    try { const made = new x(); const p = Object.getPrototypeOf(made); if (p !== null && !Object.isFrozen(p)) findings.push('new ' + label + '() inherits from a mutable object'); } catch (e) {}
  }
  return verdict(findings, 'capabilities are frozen, stable and keep the Proxy invariants');
};`),
  },
  {
    name: 'capability methods named constructor, __proto__, call, apply, bind, then and the like reach no Node power',
    family: 'node powers',
    caps: true,
    source: remote(js`
const NAMES = ['constructor', '__proto__', 'call', 'apply', 'bind', 'then', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty',
  'isPrototypeOf', 'propertyIsEnumerable', '__defineGetter__', '__lookupGetter__', 'caller', 'arguments'];
export const attack = async () => {
  const sys = await resolve('system://');
  const greeter = await probe.greeter();
  const findings = [];
  let calls = 0;
  for (const [label, x] of [['probe', probe], ['a dir node', sys], ['a function capability', greeter]]) {
    const then = (() => { try { return x.then; } catch (e) { return undefined; } })();
    if (then !== undefined) findings.push(label + '.then is defined: the capability is a thenable');
    if ((await x) !== x) findings.push('awaiting ' + label + ' gave something else');
    for (const name of NAMES) {
      let m;
      try { m = x[name]; } catch (e) { continue; }
      if (typeof m !== 'function' || known.has(m)) continue;
      for (const args of [['return process'], [undefined, 'return process'], [mine(() => 'guest')], [mine({}), mine(['return process'])]]) {
        calls += 1;
        const r = await settle(() => Reflect.apply(m, x, args));
        const what = label + '.' + name + '(' + args.map(a => typeof a).join(', ') + ')';
        if (r.ok) {
          if (typeof r.value === 'string' && /\b(?:object|function),/.test(r.value)) findings.push(what + ' answered ' + r.value);
          findings.push(...await nodePowers(r.value, what + ' answer'));
        } else {
          findings.push(...await nodePowers(r.error, what + ' refusal'));
          findings.push(...await stackPowers(r.error, what + ' refusal'));
        }
      }
    }
  }
  return verdict(findings, calls + ' calls of inherited method names reach no Node power');
};`),
  },
  {
    name: 'errors made in the guest thread (refusals, CapTP rejections, codec and pass-style errors) lead to no Node power',
    family: 'node powers',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const withProps = mine(() => 'guest');
  withProps.extra = 1;
  let deep = mine([]);
  for (let i = 0; i < 20000; i += 1) deep = mine([deep]);
  const errors = [];
  for (const [label, op] of [['a capability refusal', () => probe.fail()], ['a host failure', () => probe.failHost()],
    ['a missing method', () => probe.noSuchMethod('x')], ['a Map argument', () => probe.echo(mine(new Map([[1, 2]])))],
    ['a function with properties', () => probe.echo(withProps)], ['a too deep argument', () => probe.echo(deep)],
    ['a Proxy of bytes', () => probe.echo(mine(new Proxy(mine(new Uint8Array(2)), mine({}))))], ['a symbol', () => probe.echo(Symbol('guest'))],
    ['a rejected job', async () => (await probe.job()).done], ['a missing file', () => sys.read('missing')], ['E of undefined', () => E(undefined).m()],
    ['Far of a non-method', () => Far('x', mine({ a: 1 }))], ['a refused import', () => import('node:fs')]]) {
    const r = await settle(op);
    if (!r.ok) errors.push([label, r.error]);
  }
  const findings = [];
  for (const [label, error] of errors) {
    findings.push(...await nodePowers(error, label));
    findings.push(...await stackPowers(error, label));
    for (const C of errorConstructorsFrom(error)) {
      const found = await evalVia(C, label + ' constructor chain');
      if (found) findings.push(found);
    }
  }
  return verdict(findings, errors.length + ' errors lead only to the realm Error');
};`),
  },
  {
    name: 'E, Far, HandledPromise and the promises E answers lead to no Node power and accept no change',
    family: 'node powers',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const pending = E(probe).echo('x');
  const local = E(mine(Far('Local', { m: mine(() => 1) }))).m();
  // Fresh values (made for this call only) are checked for what they lead to; shared ones must also be frozen.
  const roots = [['E', E, 'shared'], ['E.get', E.get, 'shared'], ['E.when', E.when, 'shared'], ['E.sendOnly', E.sendOnly, 'shared'],
    ['E(probe)', E(probe), 'fresh'], ['E(probe).echo', E(probe).echo, 'fresh'], ['a promise E answered', pending, 'fresh'],
    ['a local E promise', local, 'fresh'], ['Far', Far, 'shared'], ['harden', harden, 'shared'], ['resolve', resolve, 'shared'], ['request', request, 'shared']];
  const findings = [];
  for (const [label, value, kind] of roots) {
    if (value === undefined) continue;
    findings.push(...await nodePowers(value, label));
    const checked = [['.constructor', (() => { try { return value.constructor; } catch (e) { return undefined; } })()]];
    if (kind === 'shared') checked.push(['', value]);
    for (const [how, target] of checked) {
      if ((typeof target !== 'object' && typeof target !== 'function') || target === null || known.has(target)) continue;
      if (!Object.isFrozen(target)) findings.push(label + how + ' is not frozen');
      findings.push(...mutate(target, label + how));
      const proto = target.prototype;
      if (typeof proto === 'object' && proto !== null && !known.has(proto) && !Object.isFrozen(proto)) findings.push(label + how + '.prototype is not frozen');
    }
  }
  await pending; await local;
  return verdict(findings, 'E and its promises are frozen and lead nowhere');
};`),
  },
  {
    name: 'values decoded at the boundary (bytes, records, lists) are fresh and lead to no Node power',
    family: 'node powers',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const sys = await resolve('system://');
  await sys.write('scratch/bytes.bin', mine(new Uint8Array([1, 2, 3])));
  const bytes = await sys.read('scratch/bytes.bin');
  const text = await sys.read('etc/app.json');
  const echoed = await probe.echo(mine(new Uint8Array([9, 8, 7])));
  const listing = await sys.list('');
  const stat = await sys.stat('etc');
  const findings = [];
  for (const [label, b] of [['read bytes', bytes], ['read text bytes', text], ['echoed bytes', echoed]]) {
    if (!(b instanceof Uint8Array) || b.constructor !== Uint8Array) { findings.push(label + ' are a ' + Object.prototype.toString.call(b)); continue; }
    if (b.byteOffset !== 0 || b.buffer.byteLength !== b.byteLength) findings.push(label + ' are a view of ' + b.buffer.byteLength + ' bytes at ' + b.byteOffset + ' (a shared pool)');
    const all = new TextDecoder().decode(new Uint8Array(b.buffer));
    if (leaks(all)) findings.push(label + ' buffer holds host text: ' + all.slice(0, 120));
    findings.push(...await nodePowers(b, label), ...await nodePowers(b.buffer, label + ' buffer'));
  }
  for (const [label, v] of [['a listing', listing], ['a listing entry', listing[0]], ['a stat', stat]]) findings.push(...await nodePowers(v, label));
  return verdict(findings, 'decoded values are fresh and inert');
};`),
  },
  {
    name: 'process and globalThis.process are out of reach through every constructor chain a guest can start from',
    family: 'node powers',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const ns = await import('./main.js');
  const errorFrom = async f => (await settle(f)).error;
  const roots = [
    ['an object literal', mine({})], ['an array', mine([])], ['a function', mine(function f() {})], ['an arrow', mine(() => 1)],
    ['an async function', mine(async () => 1)], ['a generator', mine(function* g() {})()], ['an async generator', mine(async function* g() {})()],
    ['a class', mine(class K {})], ['a promise', mine(Promise.resolve())], ['a regexp iterator', /x/g[Symbol.matchAll]('x')],
    ['a map iterator', new Map().entries()], ['a string iterator', ''[Symbol.iterator]()], ['a revocable proxy', Proxy.revocable({}, {})],
    ['globalThis', globalThis], ['import.meta', import.meta], ['the module namespace', ns], ['console', console], ['console.log', console.log],
    ['TextEncoder', TextEncoder], ['a TextDecoder', new TextDecoder()], ['E', E], ['Far', Far], ['harden', harden], ['resolve', resolve],
    ['request', request], ['probe', probe], ['probe.echo', probe.echo], ['a dir node', sys], ['sys.list', sys.list],
    ['read bytes', await sys.read('etc/app.json')], ['a listing', await sys.list('')],
    ['a refusal', await errorFrom(() => probe.fail())], ['a CapTP rejection', await errorFrom(() => probe.noSuchMethod())],
    ['a job rejection', await errorFrom(async () => (await probe.job()).done)], ['a resolve refusal', await errorFrom(() => resolve('nope://x'))],
  ];
  const findings = [];
  for (const [label, root] of roots) findings.push(...await nodePowers(root, label));
  const sloppy = [['Function("return this")()', () => Function('return this')()], ['indirect eval this', () => (0, eval)('this')],
    ['a sloppy function this', () => Function('return (function () { return this; })()')()],
    ['Reflect.apply of a sloppy function', () => Reflect.apply(Function('return this'), undefined, [])]];
  for (const [label, f] of sloppy) {
    let g;
    try { g = f(); } catch (e) { continue; }
    if (g !== undefined && g !== globalThis) findings.push(label + ' is a foreign global object');
    if (g !== undefined && g !== null && typeof g.process !== 'undefined') findings.push(label + '.process is reachable');
  }
  return verdict(findings, roots.length + ' starting points lead to no evaluator that sees Node');
};`),
  },
  {
    name: 'the bootstrap, the channel and Node built-ins cannot be imported by any specifier',
    family: 'node powers',
    source: guest(js`
const specifiers = ${JSON.stringify(BOOTSTRAP_SPECIFIERS)};
export const attack = async () => {
  const findings = [];
  const refused = [];
  for (const specifier of specifiers) {
    try {
      const ns = await import(specifier);
      findings.push(specifier + ' loaded with ' + Object.keys(ns).slice(0, 5).join(','));
    } catch (error) {
      refused.push(textOf(error && error.name));
      const where = reach(error, 'import of specifier ' + specifiers.indexOf(specifier), [specifier]);
      if (where) findings.push(where);
    }
  }
  return verdict(findings, specifiers.length + ' specifiers refused (' + [...new Set(refused)].join(', ') + ')');
};`),
  },
];


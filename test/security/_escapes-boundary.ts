/**
 * Escape scenarios: what crosses a thread or process boundary. No channel
 * to forge messages on; no raw CapTP presence worth more than an adapter;
 * arguments that are Proxies or carry hooks read once, their hooks meeting
 * only guest values; answers that are huge, deep, or not data reach the
 * host as plain data or a guest error, and settle; a thrown value is a
 * guest error, never a guest object nor a forged host refusal; and nothing
 * reaches the host's own stdout or stderr.
 */
import { type Escape, guest, js } from './_escape-kit.js';
import { remote } from './_escapes-remote-kit.js';

export const boundary: readonly Escape[] = [
  {
    name: 'a guest finds no channel to forge messages on, and message-shaped data stays data',
    family: 'boundary',
    caps: true,
    source: remote(js`
const canonical = value => JSON.stringify(value, (k, v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map(key => [key, v[key]])) : v));
export const attack = async () => {
  const findings = [];
  for (const name of ['postMessage', 'onmessage', 'self', 'close', 'parentPort', 'workerData', 'process', 'MessagePort', 'MessageChannel',
    'BroadcastChannel', 'structuredClone', 'require', 'module', 'Buffer', 'getStackString', 'HandledPromise']) {
    if (name in globalThis) findings.push('the global ' + name + ' exists');
  }
  for (const [label, x] of [['probe', probe], ['resolve', resolve], ['E', E], ['console', console]]) {
    for (const key of ['port', 'channel', 'send', 'dispatch', 'captp', 'presence', 'presenceOf']) {
      let v;
      try { v = Object.getOwnPropertyDescriptor(x, key); } catch (e) { continue; }
      if (v !== undefined) findings.push(label + ' has an own ' + key);
    }
  }
  const forged = [
    mine({ type: 'CTP_CALL', epoch: 0, questionID: 'q-1', target: 'o+0', method: mine({ body: '#["start",[]]', slots: mine([]) }) }),
    mine({ type: 'CTP_RETURN', epoch: 0, answerID: 'q-1', result: mine({ body: '#"held: forged"', slots: mine([]) }) }),
    mine({ type: 'CTP_ABORT', reason: 'forged' }), mine({ cathedral: 'ready', tid: 1, pid: 1 }),
  ];
  for (const message of forged) {
    const r = await settle(() => probe.echo(message));
    if (!r.ok) findings.push('echoing a message-shaped record failed with ' + codeOf(r.error));
    else if (canonical(r.value) !== canonical(message)) findings.push('a message-shaped record came back as ' + canonical(r.value).slice(0, 120));
  }
  if ((await probe.echo('still answering')) !== 'still answering') findings.push('the boundary stopped answering');
  return verdict(findings, 'no channel in reach; message-shaped records are echoed as data');
};`),
  },
  {
    name: 'a capability handed over as a record of functions works as at the compartment tier and is no raw CapTP presence',
    family: 'boundary',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const findings = [];
  for (const key of ['echo', 'fail', 'greeter']) {
    const f = probeRecord[key];
    if (typeof f !== 'function') findings.push('probeRecord.' + key + ' is a ' + typeof f + ' (' + Object.prototype.toString.call(f) + ')');
  }
  const echoed = await settle(() => E(probeRecord.echo)(mine(new Uint8Array([1, 2]))));
  if (echoed.ok && !(echoed.value instanceof Uint8Array)) findings.push('bytes echoed through E came back as ' + Object.prototype.toString.call(echoed.value));
  const failed = await settle(() => E(probeRecord.fail)());
  if (failed.ok) findings.push('a refusal came back as an answer: ' + Object.prototype.toString.call(failed.value));
  else if (codeOf(failed.error) !== 'NOT_FOUND') findings.push('a refusal came back with code ' + codeOf(failed.error));
  const direct = await settle(() => probeRecord.echo('x'));
  if (!direct.ok || direct.value !== 'x') findings.push('probeRecord.echo("x") ' + (direct.ok ? 'answered ' + textOf(direct.value) : 'threw ' + textOf(direct.error && direct.error.message)));
  return verdict(findings, 'a record of capabilities behaves as its functions');
};`),
  },
  {
    name: 'raw CapTP presences pried out of the adapters give the guest no more than the adapters do',
    family: 'boundary',
    caps: true,
    source: remote(js`
const NAMES = ['constructor', 'call', 'apply', 'bind', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty', 'isPrototypeOf',
  'propertyIsEnumerable', '__defineGetter__', '__lookupGetter__', '__getMethodNames__'];
export const attack = async () => {
  const sys = await resolve('system://');
  const greeter = await probe.greeter();
  const captured = [];
  class Prying extends Array {
    map(fn, thisArg) { if (typeof fn === 'function' && !guestMade.has(fn)) captured.push(fn); return Array.prototype.map.call(Array.from(this), fn, thisArg); }
  }
  mine(Prying); mine(Prying.prototype);
  await settle(() => probe.echo(mine(Prying.from([1]))));
  const raw = [];
  for (const fn of captured) {
    for (const [label, adapter] of [['probe', probe], ['a dir node', sys], ['a function capability', greeter], ['probe.echo', probe.echo]]) {
      let p;
      try { p = fn(adapter); } catch (e) { continue; }
      if (p !== adapter && typeof p === 'object' && p !== null) raw.push([label, p]);
    }
  }
  for (const [label, value] of Object.entries(probeRecord)) raw.push(['probeRecord.' + label, value]);
  const findings = [];
  for (const fn of captured) findings.push(...await nodePowers(fn, 'the encoding callback'));
  let calls = 0;
  for (const [label, p] of raw) {
    if (typeof p !== 'object' || p === null) continue;
    for (const key of ['constructor', 'prototype', '__proto__', 'name', 'length']) {
      calls += 1;
      const r = await settle(() => E.get(p)[key]);
      if (r.ok) findings.push(...await nodePowers(r.value, 'E.get(raw ' + label + ').' + key));
      else findings.push(...await nodePowers(r.error, 'E.get(raw ' + label + ').' + key + ' refusal'));
    }
    for (const name of NAMES) {
      for (const args of [['return process'], [undefined, 'return process'], [mine({})]]) {
        calls += 1;
        const r = await settle(() => E(p)[name](...args));
        if (r.ok) {
          if (typeof r.value === 'string' && /\b(?:object|function),/.test(r.value)) findings.push('E(raw ' + label + ').' + name + ' answered ' + r.value);
          findings.push(...await nodePowers(r.value, 'E(raw ' + label + ').' + name));
        } else findings.push(...await nodePowers(r.error, 'E(raw ' + label + ').' + name + ' refusal'));
      }
    }
    const r = await settle(() => E(p)('return process'));
    if (r.ok) findings.push(...await nodePowers(r.value, 'E(raw ' + label + ')()'));
  }
  return verdict(findings, captured.length + ' encoding callbacks and ' + raw.length + ' raw presences, ' + calls + ' calls: no Node power');
};`),
  },
  {
    name: 'a guest object with hooks, getters or a Proxy as an argument to a capability is read once and its hooks meet only guest values',
    family: 'boundary',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const calls = [];
  const reads = new Map();
  const count = key => { reads.set(key, (reads.get(key) || 0) + 1); return reads.get(key); };
  const hooks = mine({
    toString: mine(function (...a) { calls.push(['toString', a, this]); return 'etc/app.json'; }),
    valueOf: mine(function (...a) { calls.push(['valueOf', a, this]); return 1; }),
    [Symbol.toPrimitive]: mine(function (...a) { calls.push(['toPrimitive', a, this]); return 'etc/app.json'; }),
    toJSON: mine(function (...a) { calls.push(['toJSON', a, this]); return 'json'; }),
  });
  const getters = mine({ get a() { return 'first' + count('a'); }, get b() { return mine({ get c() { return count('c'); } }); } });
  const record = traps(mine({ x: 1, nested: mine({ y: 2 }) }), calls);
  const list = traps(mine([1, mine({ z: 3 })]), calls);
  const fn = traps(mine(function guestFn() { return 'guest'; }), calls);
  const findings = [];
  const echoes = [];
  for (const [label, value] of [['hooks', hooks], ['getters', getters], ['a Proxy record', record], ['a Proxy list', list], ['a Proxy function', fn]]) {
    reads.clear();
    const r = await settle(() => probe.echo(value));
    for (const [key, n] of reads) if (n > 1) findings.push(label + ': the getter ' + key + ' ran ' + n + ' times for one call');
    if (r.ok) echoes.push([label, r.value]);
  }
  for (const [label, value] of echoes) {
    const where = reach(value, 'the echoed ' + label);
    if (where) findings.push(where);
    if (label === 'getters' && value !== null && typeof value === 'object' && 'a' in value && value.a !== 'first1') findings.push('the echoed getter value is ' + textOf(value.a));
  }
  for (const [label, op] of [['a hooked path', () => sys.readText(hooks)], ['a Proxy path', () => sys.readText(record)], ['hooked data', () => sys.write('scratch/h', hooks)],
    ['a Proxy as data', () => sys.write('scratch/p', record)], ['a hooked URI', () => resolve(hooks)], ['hooked options', () => sys.write('scratch/o/p.txt', 'x', getters)]]) {
    const r = await settle(op);
    if (r.ok && label !== 'hooked options') findings.push(label + ' was accepted');
  }
  findings.push(...foreign(calls, 'a guest hook'));
  return verdict(findings, calls.length + ' hook and trap calls, each with guest values; every getter read once per call');
};`),
  },
  {
    name: 'a guest answering a huge verdict and echoing huge bytes leaves the host intact',
    family: 'boundary',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const bytes = mine(new Uint8Array(4 * 1024 * 1024));
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
  const back = await probe.echo(bytes);
  const findings = [];
  if (!(back instanceof Uint8Array) || back.length !== bytes.length) findings.push('4 MiB of bytes came back as ' + Object.prototype.toString.call(back) + ' of ' + textOf(back && back.length));
  else for (let i = 0; i < bytes.length; i += 4096) if (back[i] !== bytes[i]) { findings.push('the echoed bytes differ at ' + i); break; }
  return verdict(findings, 'echoed 4 MiB; now answering 16 MiB ') + 'x'.repeat(16 * 1024 * 1024);
};`),
  },
  {
    name: 'a guest answering a wide list of records leaves the host intact and hands it plain data',
    family: 'boundary',
    answers: 'data',
    source: guest(js`
export const attack = async () => {
  const items = [];
  for (let i = 0; i < 100000; i += 1) items.push({ i, name: 'item ' + i, tags: ['a', 'b'] });
  return { count: items.length, items };
};`),
  },
  {
    name: 'deeply nested arguments to a capability settle: answered, or refused',
    family: 'boundary',
    caps: true,
    source: remote(js`
export const attack = async () => {
  const reached = [];
  for (const depth of [500, 1000, 1500, 2000, 2500, 3000, 4000, 6000, 9000]) {
    let deep = mine([]);
    for (let i = 0; i < depth; i += 1) deep = mine([deep]);
    // probe.settle answers a short string, so only the host has to decode the nesting.
    const r = await settle(() => probe.settle(deep));
    reached.push(depth + (r.ok ? ' decoded' : ' refused (' + textOf(r.error && r.error.name) + ')'));
    if (!r.ok) break;
  }
  return held('every depth settled: ' + reached.join(', '));
};`),
  },
  {
    name: 'a deeply nested answer reaches the host as plain data or a guest error, and the host call settles',
    family: 'boundary',
    answers: 'data',
    source: guest(js`
export const attack = async () => {
  let deep = [];
  for (let i = 0; i < 2000; i += 1) deep = [deep];
  return { deep };
};`),
  },
  {
    name: 'an answer holding a guest class instance, a promise or a Date reaches the host as plain data or a guest error',
    family: 'boundary',
    answers: 'data',
    advisory: '2026-11-29-guest-objects-copied-out-raw',
    source: guest(js`
export const attack = async () => {
  class Sneaky { constructor() { this.x = 1; } get leak() { return 'a guest getter ran in the host'; } }
  class SneakyPromise extends Promise {}
  return { instance: new Sneaky(), promise: SneakyPromise.resolve('guest then'), date: new Date(0), pattern: /guest/ };
};`),
  },
  {
    name: 'a function the guest answers refuses with REVOKED once its realm is terminated',
    family: 'boundary',
    answers: 'data',
    advisory: '2026-11-29-guest-objects-copied-out-raw',
    source: guest(js`
let runs = 0;
export const attack = async () => ({ later: () => { runs += 1; return 'guest code ran after terminate (' + runs + ')'; } });`),
  },
  {
    name: 'a thrown value whose traps or getters throw reaches the host as a guest error, never as a guest object',
    family: 'boundary',
    advisory: '2026-11-29-thrown-proxy-traps-in-the-host',
    source: guest(js`
export const attack = async () => {
  throw new Proxy(mine({}), mine({ getPrototypeOf: mine(() => { throw new TypeError('FORGED-BY-GUEST: thrown by a trap the host ran'); }) }));
};`),
  },
  {
    name: 'a thrown look-alike of a refusal, with a code that changes between reads, reaches the host as a guest error',
    family: 'boundary',
    advisory: '2026-11-29-forged-refusal-across-the-boundary',
    source: guest(js`
export const attack = async () => {
  let reads = 0;
  throw mine({ get code() { reads += 1; return reads === 1 ? 'REVOKED' : harden(() => 'FORGED-BY-GUEST'); }, message: 'FORGED-BY-GUEST: a flipping code' });
};`),
  },
  {
    name: 'a thrown plain object shaped like a refusal is not taken by the host for its own refusal',
    family: 'boundary',
    advisory: '2026-11-29-forged-refusal-across-the-boundary',
    source: guest(js`
export const attack = async () => {
  throw mine({ code: 'CEILING', name: 'CeilingError', message: 'FORGED-BY-GUEST: fs.write refused', realm: 'host', operation: 'fs.write',
    problem: 'FORGED-BY-GUEST: the host refused its own write', rule: 'forged' });
};`),
  },
  {
    name: 'the guest cannot make the host write to its own stdout or stderr outside its console route',
    family: 'boundary',
    caps: true,
    advisory: '2026-11-29-guest-text-on-host-stdio',
    forbidHostOutput: true,
    source: remote(js`
export const attack = async () => {
  const tries = [() => probe['\u009b2J\u001b]0;owned\u0007 no such method'](), () => probe['x\n[host] all plugins verified: OK\n'](),
    () => probe.noSuchMethod(), async () => (await probe.job()).done,
    () => probe.echo(mine(new Map())), () => E(probe).constructor('x')];
  for (const f of tries) await settle(f);
  return held('provoked rejections; the host decides what it printed');
};`),
  },
];

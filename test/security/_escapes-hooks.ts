/**
 * Escape scenarios: thenables and `Symbol.species` returned to the host or
 * handed to capabilities, and capability forgery and `this` rebinding. The
 * host's resolving functions and callbacks lead nowhere; a guest species or
 * `then` gains nothing; node methods ignore `this`, refuse construction, and
 * a guest-made look-alike node gains no authority.
 */
import { type AtTier, type Escape, guest, js } from './_escape-kit.js';

/** The same entry for both remote tiers. */
const atRemote = (entry: AtTier) => ({ worker: entry, process: entry });

export const thenables: readonly Escape[] = [
  {
    name: 'a thenable returned to the host gets resolving functions that lead nowhere',
    family: 'thenables',
    source: guest(js`
export const attack = () => mine({
  then: mine((res, rej) => {
    const findings = [];
    for (const [label, f] of [['resolve', res], ['reject', rej]]) {
      const where = reach(f, 'the host ' + label + ' function');
      if (where) findings.push(where);
      try { f.constructor('return process'); findings.push('the host ' + label + ' function leads to a Function constructor'); } catch (e) {}
      if (Object.getPrototypeOf(f) !== Function.prototype) findings.push('the host ' + label + ' function has a foreign prototype');
      try { f.leftByGuest = 1; } catch (e) {}
    }
    // A host object as this changes nothing: resolving functions ignore it.
    res.call(rej, verdict(findings, 'the resolving functions are plain intrinsic functions'));
  }),
});`),
  },
  {
    name: 'a thenable that resolves twice and re-enters gives the host exactly one verdict',
    family: 'thenables',
    source: guest(js`
export const attack = () => mine({
  then: mine((res, rej) => {
    res(mine({ then: mine(res2 => {
      try { res(escaped('the outer resolve accepted a second value')); } catch (e) {}
      res2(held('the first resolution won'));
      try { res2(escaped('the inner resolve accepted a second value')); } catch (e) {}
    }) }));
    try { res(escaped('resolved twice')); } catch (e) {}
    try { rej(mine(new Error('a late rejection'))); } catch (e) {}
  }),
});`),
  },
  {
    name: 'a thenable whose then getter throws reaches the host as a guest error',
    family: 'thenables',
    source: guest(js`
export const attack = () => mine({ get then() { throw mine(new Error('the then getter refused')); } });`),
  },
  {
    name: 'a thenable handed to a capability that awaits it gets nothing from the host',
    family: 'thenables',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const findings = [];
  const thenable = mine({ then: mine((res, rej) => {
    const where = reach(res, 'the host resolve') || reach(rej, 'the host reject');
    if (where) findings.push(where);
    res(mine({ guest: 'object' }));
  }) });
  const seen = await probe.settle(thenable);
  return verdict(findings, 'the host awaited a guest thenable and saw a ' + seen);
};`),
  },
];

export const species: readonly Escape[] = [
  {
    name: 'Symbol.species and map on an array handed to a capability give the guest nothing of the host',
    family: 'species',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const log = [];
  const captured = [];
  class Sneaky extends Array {
    static get [Symbol.species]() { log.push('species'); return Sneaky; }
    map(fn, thisArg) { log.push('map'); captured.push(fn); return super.map(fn, thisArg); }
  }
  mine(Sneaky); mine(Sneaky.prototype);
  const arr = mine(Sneaky.from([1, 'two', mine({ three: 3 })]));
  const back = await probe.echo(arr);
  const findings = [];
  const where = reach(back, 'the echoed array');
  if (where) findings.push(where);
  for (const fn of captured) {
    const w = reach(fn, 'a host callback');
    if (w) findings.push(w);
    for (const probeValue of [Object.prototype, globalThis, mine({ k: 1 })]) {
      const r = await settle(() => fn(probeValue));
      if (r.ok) { const w2 = reach(r.value, 'what a host callback made'); if (w2) findings.push(w2); }
    }
  }
  return verdict(findings, 'the host ran ' + log.join(', ') + ' and handed over ' + captured.length + ' callback(s) that lead nowhere');
};`),
  },
  {
    name: 'Symbol.species and then on a promise handed to a capability give the guest nothing of the host',
    family: 'species',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const log = [];
  const captured = [];
  class SneakyPromise extends Promise {
    static get [Symbol.species]() { log.push('species'); return Promise; }
    then(a, b) { log.push('then'); captured.push(a, b); return super.then(a, b); }
  }
  mine(SneakyPromise); mine(SneakyPromise.prototype);
  const p = mine(new SneakyPromise(mine(r => r(mine({ v: 1 })))));
  const back = await probe.echo(p);
  const findings = [];
  const where = reach(back, 'the echoed value');
  if (where) findings.push(where);
  for (const fn of captured) { const w = reach(fn, 'a host callback'); if (w) findings.push(w); }
  return verdict(findings, 'the host ran ' + log.join(', ') + ' and handed over ' + captured.length + ' callback(s) that lead nowhere');
};`),
  },
  {
    name: 'Symbol.species and then on a promise returned to the host give the guest nothing of the host',
    family: 'species',
    source: guest(js`
export const attack = () => {
  const findings = [];
  let constructorReads = 0;
  class SneakyPromise extends Promise {
    static get [Symbol.species]() { return Promise; }
    then(a, b) {
      const where = reach(a, 'the host onFulfilled') || reach(b, 'the host onRejected');
      if (where) findings.push(where);
      return super.then(() => a(verdict(findings, 'the host awaited a promise subclass (constructor read ' + constructorReads + ' times)')), b);
    }
  }
  mine(SneakyPromise); mine(SneakyPromise.prototype);
  const p = new SneakyPromise(mine(r => r('pending')));
  Object.defineProperty(p, 'constructor', { get: mine(() => { constructorReads += 1; return SneakyPromise; }) });
  return mine(p);
};`),
  },
  {
    name: 'Symbol.species and overrides on bytes written through a node are never used',
    family: 'species',
    caps: true,
    source: guest(js`
export const attack = async () => {
  let calls = 0;
  class Bytes extends Uint8Array {
    static get [Symbol.species]() { calls += 1; return Uint8Array; }
    get length() { calls += 1; return 1; }
    subarray(...a) { calls += 1; return super.subarray(...a); }
    slice(...a) { calls += 1; return super.slice(...a); }
    [Symbol.iterator]() { calls += 1; return super[Symbol.iterator](); }
  }
  const sys = await resolve('system://');
  await sys.write('scratch/species.txt', mine(new Bytes([72, 105, 33])));
  const text = await sys.readText('scratch/species.txt');
  const findings = [];
  if (text !== 'Hi!') findings.push('the host wrote ' + JSON.stringify(text));
  if (calls > 0) findings.push('the host ran ' + calls + ' byte hooks');
  return verdict(findings, 'the bytes were copied by their internal slots');
};`),
    tiers: atRemote({
      kind: 'adapted',
      reason: "the guest's own adapter encodes the bytes in the guest's thread (running the subclass's overrides there); the host receives " +
        'a copy. Checked instead: the host wrote one reading the object gives, and the overrides met only guest values',
      source: guest(js`
export const attack = async () => {
  const calls = [];
  class Bytes extends Uint8Array {
    static get [Symbol.species]() { calls.push(['species', [], this]); return Uint8Array; }
    get length() { calls.push(['length', [], this]); return 1; }
    subarray(...a) { calls.push(['subarray', a, this]); return super.subarray(...a); }
    slice(...a) { calls.push(['slice', a, this]); return super.slice(...a); }
    [Symbol.iterator]() { calls.push(['iterator', [], this]); return super[Symbol.iterator](); }
  }
  mine(Bytes); mine(Bytes.prototype);
  const sys = await resolve('system://');
  await sys.write('scratch/species.txt', mine(new Bytes([72, 105, 33])));
  const text = await sys.readText('scratch/species.txt');
  const findings = foreign(calls, 'a byte hook');
  if (text !== 'Hi!' && text !== 'H') findings.push('the host wrote ' + JSON.stringify(text) + ', which no reading of the bytes gives');
  return verdict(findings, 'the host wrote ' + JSON.stringify(text) + ' after ' + calls.length + ' hooks ran in the guest thread');
};`),
    }),
  },
  {
    name: 'arrays returned by the host are frozen and carry no species hook',
    family: 'species',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const listing = await sys.list('');
  const findings = [];
  if (!Object.isFrozen(listing)) findings.push('the listing is not frozen');
  if (listing.constructor !== Array) findings.push('the listing constructor is ' + textOf(listing.constructor && listing.constructor.name));
  try { listing.constructor = mine(class extends Array {}); } catch (e) {}
  try { Object.defineProperty(listing, 'constructor', { value: 1 }); } catch (e) {}
  if (listing.constructor !== Array) findings.push('the listing constructor was replaced');
  const where = reach(listing, 'the listing');
  if (where) findings.push(where);
  return verdict(findings, 'the listing is a frozen plain array');
};`),
  },
];

export const forgery: readonly Escape[] = [
  {
    name: 'a node method called with another object as this still acts on its own node',
    family: 'forgery and this',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const app = await resolve('app://');
  const file = await resolve('system://etc/app.json');
  const expected = await file.readText();
  const findings = [];
  const a = await settle(() => file.readText.call(app));
  if (!a.ok || a.value !== expected) findings.push('file.readText with app as this gave ' + textOf(a.ok ? a.value : codeOf(a.error)));
  const b = await settle(() => Reflect.apply(sys.readText, app, ['etc/app.json']));
  if (!b.ok || b.value !== expected) findings.push('sys.readText with app as this gave ' + textOf(b.ok ? b.value : codeOf(b.error)));
  const c = await settle(() => app.read.bind(sys)('etc/app.json'));
  if (c.ok) findings.push('app.read bound to sys read a system file');
  const d = await settle(() => sys.readText.call(mine({ store: 'fake', at: ['..'] }), 'etc/app.json'));
  if (!d.ok || d.value !== expected) findings.push('sys.readText with a fake this gave ' + textOf(d.ok ? d.value : codeOf(d.error)));
  return verdict(findings, 'node methods ignore this');
};`),
  },
  {
    name: 'a fake node made with Far gains no authority from the gate',
    family: 'forgery and this',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const seen = [];
  const fake = mine(Far('Dir', {
    readText: mine(async p => { seen.push(p); return 'fake:' + textOf(p); }),
    resolve: mine(async p => fake),
    write: mine(async () => undefined),
  }));
  const findings = [];
  const wrapped = await probe.echo(fake);
  const r = await settle(() => wrapped.readText('etc/app.json'));
  if (!r.ok || r.value !== 'fake:etc/app.json') findings.push('the wrapped fake read ' + textOf(r.ok ? r.value : codeOf(r.error)));
  for (const [label, op] of [['the realm resolve', () => resolve(fake)], ['a rename onto it', async () => (await resolve('system://')).rename(fake, 'scratch/x')]]) {
    const x = await settle(op);
    if (x.ok) findings.push(label + ' accepted a fake node');
  }
  const where = reach(wrapped, 'the wrapped fake');
  if (where) findings.push(where);
  return verdict(findings, 'the fake stays the guest own object');
};`),
  },
  {
    name: 'node methods are frozen and cannot be replaced, deleted or redefined',
    family: 'forgery and this',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const file = await resolve('system://etc/app.json');
  const findings = [];
  const METHODS = ['resolve', 'list', 'stat', 'read', 'readText', 'write', 'mkdir', 'remove', 'rename'];
  for (const [label, node] of [['a dir node', sys], ['a file node', file]]) {
    for (const key of new Set([...Reflect.ownKeys(node), ...METHODS])) {
      let method;
      try { method = node[key]; } catch (e) { findings.push(label + '.' + textOf(key) + ' throws when read: ' + textOf(e && e.message).slice(0, 100)); continue; }
      if (typeof method !== 'function') continue;
      if (!Object.isFrozen(method)) findings.push(label + '.' + textOf(key) + ' is not frozen');
      try { node[key] = mine(() => 'guest'); } catch (e) {}
      try { Object.defineProperty(node, key, { value: mine(() => 'guest') }); } catch (e) {}
      try { delete node[key]; } catch (e) {}
      if (node[key] !== method) findings.push(label + '.' + textOf(key) + ' was replaced');
      findings.push(...mutate(method, label + '.' + textOf(key)));
    }
  }
  if ((await file.readText()) !== '{"name":"probe"}') findings.push('the file node reads something else now');
  return verdict(findings, 'node methods are frozen');
};`),
  },
  {
    name: 'a guest cannot throw a forged host refusal that the host takes for its own',
    family: 'forgery and this',
    caps: true,
    advisory: '2026-11-29-stack-hook-through-rejected-capability-promise',
    source: guest(js`
export const attack = async () => {
  const candidates = [];
  for (const op of [() => resolve('nope://x'), async () => (await probe.job()).done, () => probe.fail()]) {
    const r = await settle(op);
    if (!r.ok) candidates.push(Object.getPrototypeOf(r.error));
  }
  const proto = candidates.find(p => p !== Error.prototype) || Error.prototype;
  throw Object.create(proto, {
    message: { value: 'FORGED-BY-GUEST: the host revoked this realm' },
    code: { value: 'REVOKED' },
    realm: { value: 'another-realm' },
  });
};`),
  },
  {
    name: 'capability functions ignore this and cannot be constructed',
    family: 'forgery and this',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const findings = [];
  for (const [label, f] of [['resolve', resolve], ['sys.read', sys.read], ['probe.echo', probe.echo], ['console.log', console.log], ['request', request]]) {
    try { new f('system://etc/app.json'); findings.push(label + ' was constructed'); } catch (e) {}
    try { Reflect.construct(f, []); findings.push(label + ' was constructed by Reflect'); } catch (e) {}
    if (f.prototype !== undefined && !Object.isFrozen(f.prototype)) findings.push(label + '.prototype is mutable');
  }
  const a = await settle(() => resolve.call(mine({ table: 'fake' }), 'system://etc/app.json'));
  if (!a.ok) findings.push('resolve with a fake this failed with ' + codeOf(a.error));
  else if ((await a.value.readText()) !== '{"name":"probe"}') findings.push('resolve with a fake this reached another node');
  const echoed = await probe.echo.call(mine({}), 'plain');
  if (echoed !== 'plain') findings.push('probe.echo with a fake this returned ' + textOf(echoed));
  return verdict(findings, 'capability functions ignore this and are not constructors');
};`),
  },
];

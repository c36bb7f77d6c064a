/**
 * Escape scenarios: Proxies and getters handed to capabilities. A path, a
 * piece of data or an options record from the guest is read once, as plain
 * data, or refused; no guest trap or hook runs twice (time of check, time of
 * use), and none is ever handed a host object.
 */
import { type AtTier, type Escape, guest, js } from './_escape-kit.js';

/**
 * At the worker and process tiers the host never holds a guest object: the
 * guest's own adapter (tiers/adapter.ts, in the guest's thread) copies each
 * argument before it travels, running the guest's traps and getters there.
 * What must hold then is what the copy guarantees.
 */
const copiedByAdapter = (source: string): { worker: AtTier; process: AtTier } => {
  const entry: AtTier = {
    kind: 'adapted',
    reason: "the guest's own adapter copies every argument in the guest's thread before it travels, running the guest's traps and " +
      'getters there, once per property; the host only sees the copy. Checked instead: nothing is accepted that the copy does not allow, ' +
      'hooks meet only guest values, no property is read twice for one call',
    source,
  };
  return { worker: entry, process: entry };
};

/**
 * A Proxy as options whose descriptor flips after the first read. At the
 * compartment tier the host reads each option once through
 * `getOwnPropertyDescriptor` and must run no other trap; at the remote tiers
 * the guest's own adapter copies the options in the guest's thread, where
 * running its traps is allowed, so only the single read is checked.
 */
const hostRunsNoOtherTrap = js`  const others = calls.filter(c => c[0] !== 'getOwnPropertyDescriptor');
  if (others.length > 0) findings.push('the host ran the traps ' + others.map(c => c[0]).join(', '));
`;
const proxyOptionsAttack = (onlyDescriptorsRead: boolean): string => guest(js`
export const attack = async () => {
  const calls = [];
  let reads = 0;
  const readsOf = new Map();
  const target = mine({ parents: true, recursive: true });
  const handler = mine({
    getOwnPropertyDescriptor: mine((t, key) => { reads += 1; readsOf.set(key, (readsOf.get(key) || 0) + 1); calls.push(['getOwnPropertyDescriptor', [t, key]]);
      return mine({ value: reads === 1, writable: true, enumerable: true, configurable: true }); }),
    get: mine((t, key, receiver) => { calls.push(['get', [t, key, receiver]]); return false; }),
    ownKeys: mine(t => { calls.push(['ownKeys', [t]]); return Reflect.ownKeys(t); }),
    has: mine((t, key) => { calls.push(['has', [t, key]]); return true; }),
  });
  const options = mine(new Proxy(target, handler));
  const sys = await resolve('system://');
  const findings = [];
  const r = await settle(() => sys.write('scratch/deep/er/file.txt', 'x', options));
  const exists = await settle(() => sys.readText('scratch/deep/er/file.txt'));
  if (r.ok !== exists.ok) findings.push('the write said ' + (r.ok ? 'done' : 'refused') + ' but the file ' + (exists.ok ? 'exists' : 'does not exist'));
  for (const [key, n] of readsOf) if (n > 1) findings.push('the option ' + textOf(key) + ' was read ' + n + ' times');
${onlyDescriptorsRead ? hostRunsNoOtherTrap : ''}  findings.push(...foreign(calls, 'options'));
  return verdict(findings, 'each option was read at most once; the write ' + (r.ok ? 'created the parents' : 'was refused'));
};`);

export const proxiesAndGetters: readonly Escape[] = [
  {
    name: 'a Proxy as a path is refused without running any trap',
    family: 'proxies and getters',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const calls = [];
  const path = traps(mine({ toString: mine(() => 'etc/app.json') }), calls);
  const callable = traps(mine(function etc() {}), calls);
  const sys = await resolve('system://');
  const findings = [];
  for (const p of [path, callable]) {
    const ops = [['read', () => sys.read(p)], ['readText', () => sys.readText(p)], ['write', () => sys.write(p, 'x')], ['list', () => sys.list(p)],
      ['stat', () => sys.stat(p)], ['resolve', () => sys.resolve(p)], ['mkdir', () => sys.mkdir(p)], ['remove', () => sys.remove(p)],
      ['rename from', () => sys.rename(p, 'scratch/x')], ['rename to', () => sys.rename('etc/app.json', p)], ['the realm resolve', () => resolve(p)]];
    for (const [label, op] of ops) { const r = await settle(op); if (r.ok) findings.push(label + ' accepted a Proxy path'); }
  }
  if (calls.length > 0) findings.push('the host ran ' + calls.length + ' traps: ' + [...new Set(calls.map(c => c[0]))].join(', '));
  findings.push(...foreign(calls, 'path'));
  return verdict(findings, 'every Proxy path was refused without a trap');
};`),
    tiers: copiedByAdapter(guest(js`
export const attack = async () => {
  const calls = [];
  const path = traps(mine({ toString: mine(() => 'etc/app.json') }), calls);
  const callable = traps(mine(function etc() {}), calls);
  const sys = await resolve('system://');
  const findings = [];
  for (const p of [path, callable]) {
    const ops = [['read', () => sys.read(p)], ['readText', () => sys.readText(p)], ['write', () => sys.write(p, 'x')], ['list', () => sys.list(p)],
      ['stat', () => sys.stat(p)], ['resolve', () => sys.resolve(p)], ['mkdir', () => sys.mkdir(p)], ['remove', () => sys.remove(p)],
      ['rename from', () => sys.rename(p, 'scratch/x')], ['rename to', () => sys.rename('etc/app.json', p)], ['the realm resolve', () => resolve(p)]];
    for (const [label, op] of ops) { const r = await settle(op); if (r.ok) findings.push(label + ' accepted a Proxy path'); }
  }
  findings.push(...foreign(calls, 'path'));
  return verdict(findings, 'every Proxy path was refused; ' + calls.length + ' traps ran in the guest thread, with guest values');
};`)),
  },
  {
    name: 'a Proxy as write data is refused without running any trap',
    family: 'proxies and getters',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const calls = [];
  const bytes = traps(mine(new Uint8Array([104, 105])), calls);
  const fake = traps(mine(Object.create(Uint8Array.prototype)), calls);
  const sys = await resolve('system://');
  const file = await resolve('system://etc/app.json');
  const before = await file.readText();
  const findings = [];
  for (const [label, op] of [['dir write', () => sys.write('scratch/p', bytes)], ['dir write of a fake view', () => sys.write('scratch/q', fake)],
    ['file write', () => file.write(bytes)], ['file write of a fake view', () => file.write(fake)]]) {
    const r = await settle(op);
    if (r.ok) findings.push(label + ' accepted a Proxy');
  }
  if ((await file.readText()) !== before) findings.push('the file changed');
  if (calls.length > 0) findings.push('the host ran ' + calls.length + ' traps: ' + [...new Set(calls.map(c => c[0]))].join(', '));
  findings.push(...foreign(calls, 'data'));
  return verdict(findings, 'Proxy data was refused without a trap');
};`),
    tiers: copiedByAdapter(guest(js`
export const attack = async () => {
  const calls = [];
  const bytes = traps(mine(new Uint8Array([104, 105])), calls);
  const fake = traps(mine(Object.create(Uint8Array.prototype)), calls);
  const sys = await resolve('system://');
  const file = await resolve('system://etc/app.json');
  const before = await file.readText();
  const findings = [];
  for (const [label, op] of [['dir write', () => sys.write('scratch/p', bytes)], ['dir write of a fake view', () => sys.write('scratch/q', fake)],
    ['file write', () => file.write(bytes)], ['file write of a fake view', () => file.write(fake)]]) {
    const r = await settle(op);
    if (r.ok) findings.push(label + ' accepted a Proxy');
  }
  if ((await file.readText()) !== before) findings.push('the file changed');
  findings.push(...foreign(calls, 'data'));
  return verdict(findings, 'Proxy data was refused; its traps ran in the guest thread, with guest values');
};`)),
  },
  {
    name: 'a Proxy as options is read once per option and cannot flip the outcome',
    family: 'proxies and getters',
    caps: true,
    source: proxyOptionsAttack(true),
    tiers: copiedByAdapter(proxyOptionsAttack(false)),
  },
  {
    name: 'a getter on an options object that flips on the second read is never run',
    family: 'proxies and getters',
    caps: true,
    source: guest(js`
export const attack = async () => {
  let reads = 0;
  const flipping = mine({ get parents() { reads += 1; return reads > 1; }, get recursive() { reads += 1; return reads > 1; } });
  const inherited = mine(Object.create(mine({ parents: true, recursive: true })));
  const sys = await resolve('system://');
  const findings = [];
  for (const [label, op] of [['write', () => sys.write('scratch/a/b/c.txt', 'x', flipping)], ['mkdir', () => sys.mkdir('scratch/m/n', flipping)],
    ['remove', () => sys.remove('etc', flipping)], ['write with inherited options', () => sys.write('scratch/i/j/k.txt', 'x', inherited)],
    ['remove with inherited options', () => sys.remove('etc', inherited)]]) {
    const r = await settle(op);
    if (r.ok) findings.push(label + ' acted on a getter or inherited option');
  }
  if (reads > 0) findings.push('the host ran an option getter ' + reads + ' times');
  return verdict(findings, 'options are own data properties or refused');
};`),
    tiers: copiedByAdapter(guest(js`
export const attack = async () => {
  let reads = 0;
  const flipping = mine({ get parents() { reads += 1; return reads > 1; }, get recursive() { reads += 1; return reads > 1; } });
  const sys = await resolve('system://');
  await sys.mkdir('scratch/victim');
  await sys.mkdir('scratch/victim/inside');
  const findings = [];
  const exists = async p => (await settle(() => sys.stat(p))).ok;
  for (const [label, op, path, made] of [['write', () => sys.write('scratch/a/b/c.txt', 'x', flipping), 'scratch/a/b/c.txt', true],
    ['mkdir', () => sys.mkdir('scratch/m/n', flipping), 'scratch/m/n', true], ['remove', () => sys.remove('scratch/victim', flipping), 'scratch/victim', false]]) {
    const before = reads;
    const r = await settle(op);
    if (reads - before > 2) findings.push(label + ' read its two getters ' + (reads - before) + ' times');
    if (r.ok && (await exists(path)) !== made) findings.push(label + ' said done but did not act');
    if (!r.ok && (await exists(path)) === made) findings.push(label + ' was refused but acted');
  }
  return verdict(findings, 'each getter ran once per call, in the guest thread, and the host acted on that one reading');
};`)),
  },
  {
    name: 'toString, valueOf and Symbol.toPrimitive on a path are never invoked',
    family: 'proxies and getters',
    caps: true,
    source: guest(js`
export const attack = async () => {
  let calls = 0;
  const hook = mine(() => { calls += 1; return 'etc/app.json'; });
  const paths = [mine({ toString: hook }), mine({ valueOf: hook }), mine({ [Symbol.toPrimitive]: hook }), mine(new String('etc/app.json')),
    mine(['etc', 'app.json']), mine(Object.defineProperty(function etc() {}, 'toString', { value: hook }))];
  const sys = await resolve('system://');
  const findings = [];
  for (const p of paths) {
    for (const [label, op] of [['read', () => sys.readText(p)], ['resolve', () => sys.resolve(p)], ['write', () => sys.write(p, 'x')],
      ['realm resolve', () => resolve(mine({ toString: mine(() => { calls += 1; return 'system://etc/app.json'; }) }))]]) {
      const r = await settle(op);
      if (r.ok) findings.push(label + ' accepted a ' + typeof p + ' path');
    }
  }
  if (calls > 0) findings.push('the host converted a path object ' + calls + ' times');
  return verdict(findings, 'path objects were refused unconverted');
};`),
  },
  {
    name: 'bytes changed after a write call do not change what was written',
    family: 'proxies and getters',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const bytes = mine(new Uint8Array([65, 65, 65]));
  const pending = sys.write('scratch/t.txt', bytes);
  bytes.fill(66);
  await pending;
  const findings = [];
  const text = await sys.readText('scratch/t.txt');
  if (text !== 'AAA') findings.push('the store holds ' + JSON.stringify(text));
  const read = await sys.read('scratch/t.txt');
  read.fill(67);
  if ((await sys.readText('scratch/t.txt')) !== 'AAA') findings.push('changing read bytes changed the store');
  return verdict(findings, 'writes copy before the first await and reads are copies');
};`),
  },
  {
    name: 'a Proxy handed to a capability function meets only its own target and receiver',
    family: 'proxies and getters',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const calls = [];
  const record = traps(mine({ a: 1, nested: mine({ b: 2 }), fn: mine(() => 'guest fn') }), calls);
  const list = traps(mine([1, mine({ c: 3 })]), calls);
  const findings = [];
  const back = [];
  for (const p of [record, list]) {
    const r = await settle(() => probe.echo(p));
    if (r.ok) back.push(r.value);
  }
  findings.push(...foreign(calls, 'echo'));
  for (const value of back) { const where = reach(value, 'echoed value'); if (where) findings.push(where); }
  return verdict(findings, 'the gate ran ' + calls.length + ' traps, each with guest values only');
};`),
  },
  {
    name: 'an array-like Proxy as the arguments of a node method gives the host only values',
    family: 'proxies and getters',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const calls = [];
  const args = traps(mine(['etc/app.json']), calls);
  const sys = await resolve('system://');
  const r = await settle(() => Reflect.apply(sys.readText, undefined, args));
  const findings = foreign(calls, 'arguments');
  if (r.ok && r.value !== '{"name":"probe"}') findings.push('the read returned ' + textOf(r.value));
  return verdict(findings, 'the arguments were spread by the guest own call');
};`),
  },
  {
    name: 'a Proxy or getters as a request reach the host decider only as plain data',
    family: 'proxies and getters',
    source: guest(js`
export const attack = async () => {
  const calls = [];
  let getters = 0;
  const viaProxy = traps(mine({ kind: 'fs.read', purpose: 'more' }), calls);
  const viaGetters = mine({ get kind() { getters += 1; return 'fs.read'; }, get purpose() { getters += 1; return 'more'; } });
  const findings = [];
  for (const [label, req] of [['a Proxy', viaProxy], ['getters', viaGetters], ['a string', 'fs.read']]) {
    const r = await settle(() => request(req));
    if (r.ok) findings.push('a request made of ' + label + ' was granted');
  }
  if (getters > 0) findings.push('the host ran request getters ' + getters + ' times');
  const repeated = calls.filter(c => c[0] === 'getOwnPropertyDescriptor').length;
  if (repeated > 2) findings.push('the host read request fields ' + repeated + ' times');
  findings.push(...foreign(calls, 'request'));
  return verdict(findings, 'requests are read once as own data');
};`),
    tiers: copiedByAdapter(guest(js`
export const attack = async () => {
  const calls = [];
  let getters = 0;
  const viaProxy = traps(mine({ kind: 'fs.read', purpose: 'more' }), calls);
  const viaGetters = mine({ get kind() { getters += 1; return 'fs.read'; }, get purpose() { getters += 1; return 'more'; } });
  const findings = [];
  for (const [label, req] of [['a Proxy', viaProxy], ['getters', viaGetters], ['a string', 'fs.read']]) {
    const r = await settle(() => request(req));
    if (r.ok) findings.push('a request made of ' + label + ' was granted');
  }
  if (getters > 2) findings.push('the two request getters ran ' + getters + ' times');
  const repeated = calls.filter(c => c[0] === 'getOwnPropertyDescriptor').length;
  if (repeated > 2) findings.push('the host read request fields ' + repeated + ' times');
  findings.push(...foreign(calls, 'request'));
  return verdict(findings, 'requests are read once as own data');
};`)),
  },
];

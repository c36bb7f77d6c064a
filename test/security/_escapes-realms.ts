/**
 * Escape scenarios: reach across realms, and revocation. Realm A cannot
 * leave anything on what it shares with realm B (endowments, intrinsics,
 * module sources, the parser, process-wide hooks); and once a realm is
 * terminated, everything it held refuses with `REVOKED`.
 */
import { type AtTier, type Escape, guest, js } from './_escape-kit.js';

const SAME_SOURCE = guest(js`
export const attack = async () => {
  const seen = [];
  if (import.meta.leftByARealm !== undefined) seen.push('import.meta carried ' + textOf(import.meta.leftByARealm));
  if (globalThis.leftByARealm !== undefined) seen.push('the global object carried ' + textOf(globalThis.leftByARealm));
  try { import.meta.leftByARealm = 'an earlier realm'; } catch (e) {}
  globalThis.leftByARealm = 'an earlier realm';
  const lib = await import('./lib.js');
  if (lib.counter.count > 0) seen.push('a module instance carried the count ' + lib.counter.count);
  lib.counter.count += 1;
  const json = await import('./data.json');
  try { json.default.leftByARealm = 'an earlier realm'; } catch (e) {}
  return verdict(seen, 'no state of another realm loading the same source');
};`);

const PARSER_A = guest(js`
export const attack = async () => {
  try { await import('./bad.js'); } catch (error) {
    const loc = error && error.cause && error.cause.loc;
    if (loc === undefined || loc === null) return held('the syntax error carries no parser object');
    const proto = Object.getPrototypeOf(loc);
    try { proto.leftByRealmA = 'realm A was here'; } catch (e) { return held('the parser prototype is frozen'); }
    return escaped('realm A wrote on the parser prototype of ' + textOf(proto.constructor && proto.constructor.name));
  }
  return escaped('a module that does not parse loaded');
};`);

const PARSER_B = guest(js`
export const attack = async () => {
  try { await import('./bad.js'); } catch (error) {
    const loc = error && error.cause && error.cause.loc;
    if (loc === undefined || loc === null) return held('the syntax error carries no parser object');
    const proto = Object.getPrototypeOf(loc);
    const seen = proto.leftByRealmA;
    try { delete proto.leftByRealmA; } catch (e) {}
    return seen === undefined ? held('realm B sees nothing of realm A') : escaped('realm B read ' + JSON.stringify(seen) + ' on a parser object');
  }
  return escaped('a module that does not parse loaded');
};`);

const HOOK_A = guest(js`
export const attack = async () => {
  const job = await probe.job();
  const r = await settle(() => job.done);
  if (r.ok) return held('the job did not fail');
  const found = errorConstructorsFrom(r.error).filter(C => C !== Error && Object.getOwnPropertyDescriptor(C, 'prepareStackTrace') !== undefined);
  if (found.length === 0) return held('no Error constructor with stack powers is reachable');
  const C = found[0];
  const old = C.prepareStackTrace;
  let calls = 0;
  const hook = mine((error, frames) => {
    calls += 1;
    const message = textOf(error && error.message);
    const fromB = message === 'a probe from realm B';
    // Removes itself once it has shown the reach, or after a while, so the suite can go on.
    if (fromB || calls > 500) { try { C.prepareStackTrace = old; } catch (e) {} }
    return fromB ? 'realm A read an error of realm B' : typeof old === 'function' ? old(error, frames) : '';
  });
  try { C.prepareStackTrace = hook; } catch (e) { return held('the hook was refused'); }
  return escaped('realm A installed a process-wide stack hook through ' + textOf(C.name));
};`);

const HOOK_B = guest(js`
export const attack = async () => {
  const stack = textOf(new Error('a probe from realm B').stack);
  return stack.includes('realm A') ? escaped('the stack of a realm B error was made by realm A: ' + stack) : held('realm B stacks are its own');
};`);

export const crossRealm: readonly Escape[] = [
  {
    name: 'realm A cannot leave a property on shared endowments or intrinsics that realm B reads',
    family: 'cross-realm',
    source: guest(js`
export const attack = async () => {
  const set = [];
  for (const [label, thing] of shared()) {
    try { thing.leftByRealmA = 'A'; if (thing.leftByRealmA === 'A') set.push(label); } catch (e) {}
    try { Object.defineProperty(thing, 'definedByRealmA', { value: 'A', configurable: true }); set.push(label); } catch (e) {}
    try { thing[Symbol.for('cathedral.leftByRealmA')] = 'A'; if (thing[Symbol.for('cathedral.leftByRealmA')] === 'A') set.push(label); } catch (e) {}
  }
  return verdict(set.map(s => 'realm A set a property on ' + s), 'nothing shared accepted a property');
};`),
    observer: guest(js`
export const attack = async () => {
  const seen = [];
  for (const [label, thing] of shared()) {
    for (const key of ['leftByRealmA', 'definedByRealmA', Symbol.for('cathedral.leftByRealmA')]) {
      if (Object.prototype.hasOwnProperty.call(thing, key) || thing[key] !== undefined) seen.push(label + '.' + textOf(key));
    }
  }
  if (({}).leftByRealmA !== undefined || [].leftByRealmA !== undefined) seen.push('every object');
  return verdict(seen.map(s => 'realm B sees ' + s), 'realm B sees nothing of realm A');
};`),
  },
  {
    name: 'realm A global properties and var declarations are invisible to realm B',
    family: 'cross-realm',
    source: guest(js`
export const attack = async () => {
  globalThis.leftByRealmA = 'A';
  (0, globalThis.eval)('globalThis.evalLeftByRealmA = 1; var varLeftByRealmA = 1;');
  Function('globalThis.fnLeftByRealmA = 1')();
  return held('realm A changed its own global object only');
};`),
    observer: guest(js`
export const attack = async () => {
  const seen = ['leftByRealmA', 'evalLeftByRealmA', 'varLeftByRealmA', 'fnLeftByRealmA'].filter(k => k in globalThis);
  return verdict(seen.map(k => 'realm B sees ' + k), 'realm B global object is its own');
};`),
  },
  {
    name: 'two realms loading the same source share no module state or import.meta',
    family: 'cross-realm',
    files: { 'lib.js': 'export const counter = { count: 0 };\n', 'data.json': '{"shared": false}' },
    source: SAME_SOURCE,
    observer: SAME_SOURCE,
  },
  {
    name: 'realm A cannot leave state on parser objects that realm B reaches through a syntax error',
    family: 'cross-realm',
    files: { 'bad.js': 'export const = ;' },
    advisory: '2026-11-29-parser-objects-through-syntax-error',
    source: PARSER_A,
    observer: PARSER_B,
  },
  {
    name: 'a stack hook realm A installs through a capability promise never runs for realm B',
    family: 'cross-realm',
    caps: true,
    advisory: '2026-11-29-stack-hook-through-rejected-capability-promise',
    source: HOOK_A,
    observer: HOOK_B,
  },
];

const REVOKED_ALL = js`
// The host ends the realm, then settles the promise harness.terminated()
// answered; the gate then refuses that promise (REVOKED), as good a signal.
const terminated = () => settle(() => harness.terminated());
const revokedAll = async ops => {
  const findings = [];
  for (const [label, op] of ops) {
    const r = await settle(op);
    if (r.ok) findings.push(label + ' still worked after terminate');
    else if (codeOf(r.error) !== 'REVOKED') findings.push(label + ' failed with ' + codeOf(r.error) + ', not REVOKED');
  }
  return findings;
};`;

/** At a remote tier the guest cannot run after terminate: what is judged instead. */
const STOPPED: AtTier = {
  kind: 'adapted',
  reason: 'the guest thread or process is stopped at terminate, so the part of the attack after it cannot run: ' +
    'the runner requires its pending call to be refused with REVOKED and no effect to land after terminate',
};

const revocation = (name: string, body: string, extra: Partial<Escape> = {}): Escape => ({
  name,
  family: 'revocation',
  caps: true,
  lifecycle: 'terminate',
  tiers: { worker: STOPPED, process: STOPPED },
  source: guest(`${REVOKED_ALL}\n${body}`),
  ...extra,
});

export const revocationEscapes: readonly Escape[] = [
  revocation('writes racing terminate land before it or not at all', js`
export const attack = async () => {
  const sys = await resolve('system://');
  let refused = 0;
  const fire = i => { try { sys.write('scratch/race-' + i, 'x').catch(() => { refused += 1; }); } catch (e) { refused += 1; } };
  for (let i = 0; i < 50; i += 1) fire(i);
  harness.ready();
  let i = 50;
  const over = terminated().then(() => { i = Infinity; });
  while (i < 3000) { fire(i); i += 1; await null; }
  await over;
  return held('fired writes around terminate; ' + refused + ' were refused; the runner compares the system root after terminate');
};`),
  {
    name: 'a node the guest answers refuses with REVOKED once its realm is terminated',
    family: 'revocation',
    caps: true,
    answers: 'data',
    source: guest(js`
export const attack = async () => ({ root: await resolve('system://'), file: await resolve('system://etc/app.json'), echo: probe.echo });`),
  },
  revocation('a node obtained before terminate refuses every operation after it with REVOKED', js`
export const attack = async () => {
  const sys = await resolve('system://');
  const file = await resolve('system://etc/app.json');
  const etc = await sys.resolve('etc');
  harness.ready();
  await terminated();
  return verdict(await revokedAll([
    ['sys.read', () => sys.read('etc/app.json')], ['sys.readText', () => sys.readText('etc/app.json')], ['sys.list', () => sys.list('')],
    ['sys.stat', () => sys.stat('etc')], ['sys.resolve', () => sys.resolve('etc')], ['sys.write', () => sys.write('scratch/after', 'x')],
    ['sys.mkdir', () => sys.mkdir('scratch/after-dir')], ['sys.remove', () => sys.remove('etc/passwd')],
    ['sys.rename', () => sys.rename('etc/passwd', 'scratch/passwd')], ['file.read', () => file.read()], ['file.readText', () => file.readText()],
    ['file.stat', () => file.stat()], ['file.write', () => file.write('x')], ['etc.list', () => etc.list()],
    ['E(sys).read', () => E(sys).read('etc/app.json')], ['E(file).readText', () => E(file).readText()],
  ]), 'every node operation refused with REVOKED');
};`),
  revocation('resolve after terminate refuses with REVOKED', js`
export const attack = async () => {
  harness.ready();
  await terminated();
  return verdict(await revokedAll([['resolve system://', () => resolve('system://etc/app.json')], ['resolve app://', () => resolve('app://main.js')],
    ['resolve of an unknown name', () => resolve('nope://x')], ['resolve of a number', () => resolve(1)]]), 'resolve refused with REVOKED');
};`),
  revocation('capability functions after terminate refuse with REVOKED', js`
export const attack = async () => {
  const echo = probe.echo;
  harness.ready();
  await terminated();
  return verdict(await revokedAll([['probe.echo', () => echo('x')], ['probe.fail', () => probe.fail()], ['probe.table', () => probe.table()],
    ['probe.url', () => probe.url()], ['request', () => request(mine({ kind: 'fs.read', purpose: 'more' }))], ['harness.ready', () => harness.ready()]]),
    'capability functions refused with REVOKED');
};`),
  revocation('a node from a call pending at terminate is revoked when it arrives', js`
export const attack = async () => {
  const pendingNode = resolve('system://etc');
  const sys = await resolve('system://');
  const pendingChild = sys.resolve('etc');
  harness.ready();
  await terminated();
  const ops = [];
  for (const [label, pending] of [['a pending resolve', pendingNode], ['a pending node resolve', pendingChild]]) {
    const r = await settle(() => pending);
    if (r.ok) ops.push([label + ' result list', () => r.value.list()], [label + ' result read', () => r.value.read('app.json')]);
  }
  return verdict(await revokedAll(ops), 'nodes arriving after terminate refuse with REVOKED');
};`),
  revocation('dynamic import after terminate loads nothing', js`
export const attack = async () => {
  harness.ready();
  await terminated();
  const findings = [];
  const codes = [];
  for (const specifier of ['./other.js', 'system://lib/util.js', './data.json']) {
    const r = await settle(() => import(specifier));
    if (r.ok) findings.push(specifier + ' loaded after terminate');
    else codes.push(specifier + ': ' + textOf(r.error && r.error.name) + ' ' + codeOf(r.error));
  }
  return verdict(findings, 'nothing loads after terminate (' + codes.join('; ') + ')');
};`, { files: { 'other.js': 'export const other = 1;\n', 'data.json': '{"a": 1}' } }),
  revocation('the console is silent after terminate', js`
export const attack = async () => {
  console.log('printed before terminate');
  harness.ready();
  await terminated();
  console.log('printed after terminate');
  console.error('printed after terminate, as an error');
  return held('printed after terminate; the host route decides');
};`, { forbidConsole: /printed after terminate/ }),
  revocation('a node and a function held inside a Map from a capability are revoked at terminate', js`
export const attack = async () => {
  const table = await probe.table();
  const findings = [];
  if (table instanceof Map && !Object.isFrozen(table)) {
    try { table.set('leftByGuest', 1); findings.push('the host Map reached the guest mutable'); } catch (e) {}
  }
  const store = table.get('store');
  const greet = table.get('greet');
  harness.ready();
  await terminated();
  findings.push(...await revokedAll([['a node from the Map', () => store.readText('secret')], ['a function from the Map', () => greet()]]));
  return verdict(findings, 'everything in the Map refused with REVOKED');
};`, { advisory: '2026-11-29-host-instances-cross-raw' }),
];

/**
 * What a compartment-tier realm's answers become in the host's hands
 * (src/copy-out.ts): host-made copies, followed promises, refusals for what
 * cannot cross, and host-side capabilities that refuse once the realm ended.
 */
import test from 'ava';
import { Far, getInterfaceOf } from '@endo/pass-style';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import { createHost } from '../src/index.js';
import { call } from './_realm.js';

const quiet = () => {};

const spawn = async (main: string) => {
  const host = await createHost({ console: quiet, report: quiet });
  return host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory({ 'main.js': main }) } });
};

test('answers - records, arrays and bytes are host-made frozen copies', async t => {
  const realm = await spawn(`
    export const bytes = new Uint8Array([1, 2, 3]);
    export const data = () => ({ list: [1, { a: 'b' }], bytes, hidden: Object.defineProperty({}, 'x', { get() { return 'ran'; }, enumerable: true }) });
    export const mutate = () => { bytes[0] = 9; };`);
  const answer = await call<{ list: unknown[]; bytes: Uint8Array; hidden: object }>(realm, 'data');
  t.deepEqual(answer.list, [1, { a: 'b' }]);
  t.true(Object.isFrozen(answer) && Object.isFrozen(answer.list) && Object.isFrozen(answer.list[1]));
  t.is(Object.getPrototypeOf(answer), Object.prototype);
  t.deepEqual([...answer.bytes], [1, 2, 3]);
  t.deepEqual(Object.keys(answer.hidden), [], 'a getter is not copied, so it never runs in the host');
  await call(realm, 'mutate');
  t.is(answer.bytes[0], 1, 'the host holds its own copy of the bytes');
});

test('answers - a promise is followed and what it settles with is copied', async t => {
  const realm = await spawn(`export const later = () => ({ p: Promise.resolve({ n: 1 }), q: Promise.reject(new RangeError('no')) });`);
  const answer = await call<{ p: Promise<unknown>; q: Promise<unknown> }>(realm, 'later');
  t.deepEqual(await answer.p, { n: 1 });
  const error = await t.throwsAsync(answer.q);
  t.true(isCathedralError(error, 'GUEST'));
  t.regex(error!.message, /RangeError: no/);
});

for (const [what, expression, named] of [
  ['a Date', 'new Date(0)', /holds a Date/],
  ['a RegExp', '/x/', /holds a RegExp/],
  ['a Map', 'new Map()', /holds a Map/],
  ['a class instance', 'new (class { get leak() { return 1; } })()', /a class of its own/],
  ['a promise subclass', '(class extends Promise {}).resolve(1)', /a promise of a class of its own/],
  ['a thenable', '({ then: r => r(1) })', /thenable/],
] as const) {
  test(`answers - ${what} is refused with GuestError naming where it sits`, async t => {
    const realm = await spawn(`export const f = () => ({ inner: [${expression}] });`);
    const error = await t.throwsAsync(call(realm, 'f'));
    t.true(isCathedralError(error, 'GUEST'), String(error));
    t.regex(error!.message, named);
    t.regex(error!.message, /receive "f\(\)\.inner\[0\]" in realm/);
  });
}

test('answers - a function the guest answers runs while the realm lives, then refuses with REVOKED', async t => {
  const realm = await spawn(`
    let runs = 0;
    export const make = () => ({ count: x => { runs += 1; return { runs, x }; } });
    export const runsSoFar = () => runs;`);
  const { count } = await call<{ count: (x: unknown) => Promise<unknown> }>(realm, 'make');
  t.deepEqual(await count('a'), { runs: 1, x: 'a' });
  await realm.terminate();
  const error = await t.throwsAsync(count('b'));
  t.true(isCathedralError(error, 'REVOKED'));
  t.regex(error!.message, /call "make\(\)\.count"/);
});

test('answers - a Far object the guest answers becomes a host Far object that refuses after terminate', async t => {
  const realm = await spawn(`
    const counter = Far('Counter', { next: () => 1 });
    export const get = () => counter;
    export const same = c => c === counter;`);
  const counter = await call<{ next: () => Promise<number> }>(realm, 'get');
  t.is(getInterfaceOf(counter), 'Alleged: Counter');
  t.is(await counter.next(), 1);
  t.is(await call(realm, 'get'), counter, 'the same guest object gives the same host capability');
  t.true(await call<boolean>(realm, 'same', counter), 'handed back, the guest gets its own object');
  await realm.terminate();
  t.true(isCathedralError(await t.throwsAsync(counter.next()), 'REVOKED'));
});

test('answers - a promise that settles after terminate gives the host a refusal', async t => {
  const realm = await spawn(`export const wait = source => ({ p: source.next().then(v => ({ v })) });`);
  let release: (value: string) => void = () => {};
  const source = Far('Source', { next: () => new Promise<string>(r => { release = r; }) });
  const { p } = await call<{ p: Promise<unknown> }>(realm, 'wait', source);
  await realm.terminate();
  release('late');
  t.true(isCathedralError(await t.throwsAsync(p), 'REVOKED'));
});

test('answers - a host Far object handed in and answered back reaches the host as the gate made it, never raw', async t => {
  const realm = await spawn(`export const echo = x => x;`);
  const mine = Far('Mine', { hello: () => 'hi' });
  const back = await call<{ hello: () => unknown }>(realm, 'echo', mine);
  t.not(back, mine);
  t.is(await back.hello(), 'hi');
  await realm.terminate();
  t.true(isCathedralError(await t.throwsAsync(async () => back.hello()), 'REVOKED'));
});

test('answers - a Proxy whose trap throws while its answer is copied gives the host a GuestError, never the thrown value', async t => {
  const realm = await spawn(`
    const thrown = { code: 'REVOKED', message: 'FORGED-BY-GUEST' };
    export const f = () => new Proxy({}, { getPrototypeOf() { throw thrown; }, ownKeys() { throw thrown; } });
    // Not a thenable (its then reads undefined), so the promise fulfils with it and the copy meets the trap.
    export const g = () => ({ p: Promise.resolve(new Proxy([], { get(t, k) { if (k === 'then') return undefined; throw thrown; } })) });`);
  const direct = await t.throwsAsync(call(realm, 'f'));
  t.true(isCathedralError(direct, 'GUEST'), String(direct));
  t.regex(direct!.message, /FORGED-BY-GUEST/);
  const { p } = await call<{ p: Promise<unknown> }>(realm, 'g');
  const settled = await t.throwsAsync(p);
  t.true(isCathedralError(settled, 'GUEST'), String(settled));
  t.regex(settled!.message, /FORGED-BY-GUEST/);
});

test('answers - an export that cannot cross fails the spawn with a GuestError naming the export', async t => {
  const error = await t.throwsAsync(spawn(`export const when = new (class When {})();`));
  t.true(isCathedralError(error, 'GUEST'), String(error));
  t.regex(error!.message, /receive "when"/);
});

test('answers - a Proxy posing as a promise is refused, not followed', async t => {
  const realm = await spawn(`export const f = () => ({ p: new Proxy(Promise.resolve(1), {}) });`);
  const { p } = await call<{ p: Promise<unknown> }>(realm, 'f');
  const error = await t.throwsAsync(p);
  t.true(isCathedralError(error, 'GUEST'), String(error));
  t.regex(error!.message, /posing as a promise/);
});

test('arguments - a guest function or Far object passed to a host capability is a capability over it that refuses once the realm ended; the gate\'s own wrappers and data pass as they are', async t => {
  const host = await createHost({ console: quiet, report: quiet });
  const got: unknown[] = [];
  const sink = Far('Sink', { keep: (...args: unknown[]) => void got.push(...args) });
  const seen = Far('Seen', { same: (node: unknown) => node });
  const realm = await host.spawn({
    tier: 'compartment',
    main: 'app://main.js',
    realms: {
      app: memory({
        'main.js': `
          export const pass = async () => {
            const node = await resolve('app://main.js');
            const fn = () => 'called back';
            const listener = Far('Listener', { hear: x => 'heard ' + x });
            await sink.keep(fn, listener, node, { n: 1 });
            await sink.keep(fn);
            return (await seen.same(node)) === node;
          };`,
      }),
    },
    caps: { sink, seen },
  });
  t.true(await call<boolean>(realm, 'pass'), 'a node handed back to the guest is the one it passed');
  const [fn, listener, node, data, again] = got as [() => Promise<unknown>, { hear(x: string): Promise<unknown> }, object, { n: number }, unknown];
  t.is(getInterfaceOf(node), 'Alleged: File', "a node the guest holds reaches the host as the gate's wrapper");
  t.deepEqual(data, { n: 1 });
  t.is(again, fn, 'one capability per guest function');
  t.is(await fn(), 'called back', 'a guest function reaches the host as a capability over it');
  t.is(await listener.hear('x'), 'heard x', 'a guest Far object, likewise');
  await realm.terminate();
  for (const kept of [() => fn(), () => listener.hear('y')]) {
    const refusal = await t.throwsAsync(kept());
    t.true(isCathedralError(refusal, 'REVOKED'), 'which refuses once the realm ended: no guest code runs for the host after terminate()');
  }
});

test('answers - data shared within an answer stays shared, and a cycle is copied as a cycle', async t => {
  const realm = await spawn(`
    export const dag = () => { let node = { leaf: true }; for (let i = 0; i < 40; i += 1) node = { left: node, right: node }; return node; };
    export const cycle = () => { const a = { name: 'a' }; a.self = a; return [a, a]; };`);
  const started = Date.now();
  let node = await call<{ left?: unknown; right?: unknown; leaf?: boolean }>(realm, 'dag');
  t.true(Date.now() - started < 2000, 'a DAG 40 levels deep (2^40 paths) copies in well under a second or two');
  for (let i = 0; i < 40; i += 1) {
    t.is(node.left, node.right);
    t.true(Object.isFrozen(node));
    node = node.left as typeof node;
  }
  t.true(node.leaf);
  const [a, b] = await call<Array<{ name: string; self: unknown }>>(realm, 'cycle');
  t.is(a, b);
  t.is(a!.self, a);
  t.true(Object.isFrozen(a));
});

/**
 * What a guest receives from a host capability through its realm's gate
 * (src/gate.ts, src/copy-in.ts): hardened copies of data, made without `harden`'s walk.
 */
import test from 'ava';
import { Far, getInterfaceOf } from '@endo/pass-style';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import { makeGate } from '../src/gate.js';
import { makeTestHost } from './_realm.js';

const hardenedPrototypes = new Set<unknown>([null, Object.prototype, Array.prototype, Uint8Array.prototype, Promise.prototype, Function.prototype]);

/** Frozen through and through (bytes: non-extensible, only their indices own), every prototype a hardened intrinsic. */
const hardenedInEffect = (value: unknown, seen = new Set<unknown>()): boolean => {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return true;
  seen.add(value);
  if (!hardenedPrototypes.has(Object.getPrototypeOf(value))) return false;
  if (value instanceof Uint8Array) return !Object.isExtensible(value) && Reflect.ownKeys(value).every(key => typeof key === 'string' && /^\d+$/.test(key));
  if (!Object.isFrozen(value)) return false;
  return Reflect.ownKeys(value).every(key => {
    const desc = Object.getOwnPropertyDescriptor(value, key)!;
    return 'value' in desc ? hardenedInEffect(desc.value, seen) : hardenedInEffect(desc.get, seen) && hardenedInEffect(desc.set, seen);
  });
};

const gateFor = () => {
  const reports: string[] = [];
  const gate = makeGate({ realm: 'plugin', ceiling: new Set(), report: message => reports.push(message), grantor: 'host' });
  return { gate, reports };
};

test('gate - a host answer reaches the guest as a hardened copy: records, arrays, bytes and promises', async t => {
  const { gate } = gateFor();
  const bytes = new Uint8Array([1, 2, 3]);
  const record = { status: 200, list: [1, { a: 'b' }], bytes, later: Promise.resolve({ n: 1 }), hidden: Object.defineProperty({}, 'x', { get: () => 'ran', enumerable: true }) };
  const cap = gate.wrap(Far('Cap', { get: () => record }), 'cap');
  const answer = (await cap.get()) as typeof record;
  t.true(hardenedInEffect(answer), 'every part is frozen, bytes non-extensible, prototypes intrinsics');
  t.not(answer, record);
  t.not(answer.bytes, bytes);
  t.deepEqual([...answer.bytes], [1, 2, 3]);
  bytes[0] = 9;
  t.is(answer.bytes[0], 1, 'the guest holds its own copy of the bytes');
  t.deepEqual(Object.keys(answer.hidden), [], 'a getter is not copied, so it never runs in the guest');
  t.deepEqual(await answer.later, { n: 1 });
  t.false(Object.isFrozen(record), "the host's own record is left as it was");
});

test('gate - a record dressed as a remotable is copied as data, as @endo/pass-style deems it (src/copy-in.ts relies on this)', async t => {
  const { gate } = gateFor();
  const PASS_STYLE = Symbol.for('passStyle');
  const dressed = (proto: object | null) =>
    Object.freeze(Object.assign(Object.create(proto) as Record<PropertyKey, unknown>, { [PASS_STYLE]: 'remotable', [Symbol.toStringTag]: 'Alleged: Fake', n: 1 }));
  for (const record of [dressed(Object.prototype), dressed(null)]) {
    t.is(getInterfaceOf(record), undefined, 'a record of Object.prototype or null is never a remotable');
    const cap = gate.wrap(Far('Cap', { get: () => record }), 'cap');
    const answer = (await cap.get()) as Record<string, unknown>;
    t.not(answer, record, 'a copy, not a wrapper');
    t.deepEqual(Object.keys(answer), ['n'], 'its string-named data only');
    t.true(hardenedInEffect(answer));
  }
});

test('gate - a megabyte of bytes in a record crosses as a non-extensible copy of its own', async t => {
  // harden's walk of such a copy enumerates every index (about 3 s for a
  // MiB here); the gate makes it non-extensible instead, which is all that
  // walk would do. How fast it is, is a benchmark's to say (net-fetch-*).
  const { gate } = gateFor();
  const body = new Uint8Array(1024 * 1024).fill(7);
  const cap = gate.wrap(Far('Cap', { get: () => Object.freeze({ body }) }), 'cap');
  const answer = (await cap.get()) as { body: Uint8Array };
  t.not(answer.body, body);
  t.is(answer.body.length, body.length);
  t.is(answer.body[body.length - 1], 7);
  t.false(Object.isExtensible(answer.body));
  t.true(hardenedInEffect(answer));
  body[0] = 1;
  t.is(answer.body[0], 7);
});

test('gate - names a record inherits (constructor, __proto__, toString) are copied as the own properties they were', async t => {
  const { gate } = gateFor();
  const record: Record<string, unknown> = { constructor: 'c', toString: 't' };
  Object.defineProperty(record, '__proto__', { value: { inner: 1 }, enumerable: true, writable: true, configurable: true });
  const cap = gate.wrap(Far('Cap', { get: () => record }), 'cap');
  const answer = (await cap.get()) as Record<string, unknown>;
  t.is(Object.getPrototypeOf(answer), Object.prototype, 'a __proto__ property never becomes the prototype');
  t.deepEqual(Object.keys(answer).sort(), ['__proto__', 'constructor', 'toString']);
  t.is(Object.getOwnPropertyDescriptor(answer, 'constructor')?.value, 'c');
  t.deepEqual(Object.getOwnPropertyDescriptor(answer, '__proto__')?.value, { inner: 1 });
  t.true(hardenedInEffect(answer));
});

test('gate - data shared within an answer stays shared, a cycle is copied as a cycle, and each answer is a fresh copy', async t => {
  const { gate } = gateFor();
  const shared = { n: 1 };
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic['self'] = cyclic;
  const state = { count: 0 };
  const cap = gate.wrap(Far('Cap', { shared: () => [shared, shared, { shared }], cyclic: () => cyclic, state: () => state }), 'cap');
  const [a, b, c] = (await cap.shared()) as [object, object, { shared: object }];
  t.is(a, b);
  t.is(c.shared, a);
  t.not(a, shared);
  const loop = (await cap.cyclic()) as Record<string, unknown>;
  t.is(loop['self'], loop);
  t.not(loop, cyclic);
  t.true(hardenedInEffect(loop));
  t.deepEqual(await cap.state(), { count: 0 });
  state.count = 1;
  t.deepEqual(await cap.state(), { count: 1 }, 'a host record answered again is copied again, never answered stale');
});

test('gate - capabilities in answers keep their identity; the gate hands back its own wrapper, never the original', async t => {
  const { gate } = gateFor();
  const inner = Far('Inner', { hi: () => 'hi' });
  const cap = gate.wrap(Far('Cap', { get: () => ({ inner }), again: () => [inner] }), 'cap');
  const first = ((await cap.get()) as unknown as { inner: { hi(): Promise<string> } }).inner;
  const [second] = (await cap.again()) as unknown as [unknown];
  t.is(first as unknown, second);
  t.not(first as unknown, inner as unknown);
  t.is(await first.hi(), 'hi');
  t.is(gate.unwrap(first)?.original, inner);
});

test('gate - a failure while an answer is copied reaches the guest as a refusal; the host error is reported to the host only', async t => {
  const { gate, reports } = gateFor();
  const secret = new Error('/home/host/secret path');
  const hostile = new Proxy({}, { ownKeys: () => { throw secret; } });
  const cap = gate.wrap(Far('Cap', { get: () => Promise.resolve({ hostile }), now: () => ({ hostile }) }), 'cap');
  for (const call of [() => cap.get(), async () => cap.now()]) {
    const error = await t.throwsAsync(call());
    t.true(isCathedralError(error, 'IO'), String(error));
    t.not(error, secret);
    t.notRegex(error!.message, /secret/);
  }
  t.true(reports.length === 2 && reports.every(line => line.includes('in realm "plugin" failed in the host')), reports.join('\n'));
});

test('gate - a guest of a compartment realm gets hardened copies from its caps and its bytes are its own', async t => {
  const { host } = await makeTestHost();
  const body = new Uint8Array([104, 105]);
  const cap = Far('Cap', { get: () => Object.freeze({ status: 200, headers: Object.freeze({ constructor: 'c' }), body }) });
  const realm = await host.spawn({
    tier: 'compartment',
    main: 'app://main.js',
    realms: {
      app: memory({
        'main.js': `export const look = async () => {
          const answer = await cap.get();
          let added = true;
          try { answer.body.extra = 1; } catch { added = false; }
          answer.body[0] = 0;
          return { frozen: Object.isFrozen(answer) && Object.isFrozen(answer.headers), added, header: answer.headers.constructor, body: [...answer.body] };
        };`,
      }),
    },
    caps: { cap },
  });
  t.deepEqual(await realm.call('look'), { frozen: true, added: false, header: 'c', body: [0, 105] });
  t.deepEqual([...body], [104, 105], "the guest's writes reach its own copy only");
  await realm.terminate();
});

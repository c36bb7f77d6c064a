/**
 * The transport to worker and process realms: the fast path for plain data
 * (src/tiers/fast-calls.ts, src/tiers/plain.ts), CapTP's path for anything
 * else, the host's checks on what a guest sends (src/tiers/inbound.ts), and
 * the bounds on a guest's answers.
 *
 * One realm per tier serves most tests, spawned once: each spawn is a thread
 * or process on a shared two-core machine.
 */
import test from 'ava';
import { Far } from '@endo/far';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import type { Realm } from '../src/index.js';
import { MAX_PLAIN_DEPTH, NOT_PLAIN, acceptPlain, acceptPlainList, ownPlain, plainCopy } from '../src/tiers/plain.js';
import { decodeValue, encodeValue } from '../src/tiers/codec.js';
import { callerOf, makeFastCaller, serveFastCalls } from '../src/tiers/fast-calls.js';
import { type Channel, batching } from '../src/tiers/channel.js';
import { MAX_DEPTH, depthOf, makeInbound } from '../src/tiers/inbound.js';
import { call, makeTestHost } from './_realm.js';
import { type RemoteTier, remoteTiers } from './_supervision.js';

const MAIN = `
export const echo = x => x;
export const record = x => ({ ...x, seen: true });
export const bytes = n => new Uint8Array(n).fill(7);
export const fail = m => { throw new TypeError(m); };
export const never = () => new Promise(() => {});
export const nest = depth => { let v = []; for (let i = 0; i < depth; i += 1) v = [v]; return v; };
export const frozen = x => Object.isFrozen(x) && (typeof x !== 'object' || Object.values(x).every(v => typeof v !== 'object' || v === null || Object.isFrozen(v)));
export const useCap = async (cap, x) => cap.twice(x);
export const date = () => ({ when: new Date(0) });
export const fn = () => x => x * 2;
export const obj = () => ({ counter: Far('Counter', { add: (a, b) => a + b }) });
export const thenable = () => ({ counter: Far('Counter', { add: (a, b) => a + b, then: () => 'a guest then' }) });
`;

const realms = new Map<RemoteTier, Realm>();
const realmAt = async (tier: RemoteTier): Promise<Realm> => {
  const known = realms.get(tier);
  if (known !== undefined) return known;
  const { host } = await makeTestHost();
  const realm = await host.spawn({ tier, name: `transport-${tier}`, main: 'app://main.js', realms: { app: memory({ 'main.js': MAIN }) } });
  realms.set(tier, realm);
  return realm;
};
test.after.always(async () => {
  for (const realm of realms.values()) await realm.terminate();
});

const deepFrozen = (value: unknown): boolean =>
  typeof value !== 'object' || value === null || (Object.isFrozen(value) && Object.values(value).every(deepFrozen));

for (const tier of remoteTiers) {
  test.serial(`[${tier}] plain data goes both ways and arrives hardened, as host-made data`, async t => {
    const realm = await realmAt(tier);
    const input = { name: 'x', tags: ['a', 'b'], n: 3, big: 10n, nothing: undefined, nested: { deep: [1, { z: null }] } };
    const answer = await call<Record<string, unknown>>(realm, 'record', input);
    t.deepEqual(answer, { ...input, seen: true });
    t.true(deepFrozen(answer));
    t.is(Object.getPrototypeOf(answer), Object.prototype);
    t.true(await call<boolean>(realm, 'frozen', { a: { b: [1] } }), 'the guest receives hardened arguments');
    t.false(Object.isFrozen(input), "the host's own argument is not hardened by the call");
  });

  test.serial(`[${tier}] answers that are not plain data still cross: bytes through CapTP, a guest error for a Date`, async t => {
    const realm = await realmAt(tier);
    const bytes = await call<Uint8Array>(realm, 'bytes', 3);
    t.true(bytes instanceof Uint8Array);
    t.deepEqual([...bytes], [7, 7, 7]);
    const dated = await t.throwsAsync(call(realm, 'date'));
    t.true(isCathedralError(dated, 'GUEST'), String(dated));
  });

  test.serial(`[${tier}] arguments that are not plain data take CapTP's path: bytes and capabilities`, async t => {
    const realm = await realmAt(tier);
    const back = await call<Uint8Array>(realm, 'echo', new Uint8Array([1, 2, 3]));
    t.deepEqual([...back], [1, 2, 3]);
    const cap = Far('Twice', { twice: (x: number) => x * 2 });
    t.is(await call(realm, 'useCap', cap, 5), 10);
  });

  test.serial(`[${tier}] a guest throw on the fast path is a GuestError naming the guest's error`, async t => {
    const realm = await realmAt(tier);
    const error = await t.throwsAsync(call(realm, 'fail', 'no luck'));
    t.true(isCathedralError(error, 'GUEST'));
    t.regex(error!.message, /TypeError: no luck/);
  });

  test.serial(`[${tier}] a guest answer nested deeper than the bound is refused with a GuestError, and the host goes on`, async t => {
    const realm = await realmAt(tier);
    t.is((await call<unknown[]>(realm, 'nest', 10)).length, 1);
    const error = await t.throwsAsync(call(realm, 'nest', MAX_DEPTH + 10));
    t.true(isCathedralError(error, 'GUEST'), String(error));
    t.regex(error!.message, /nests deeper than/);
    t.is(await call(realm, 'echo', 'still answering'), 'still answering');
  });

  test.serial(`[${tier}] many calls in flight each get their own answer`, async t => {
    const realm = await realmAt(tier);
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => call(realm, i % 3 === 0 ? 'echo' : 'record', i % 3 === 0 ? i : { i })));
    answers.forEach((answer, i) => t.deepEqual(answer, i % 3 === 0 ? i : { i, seen: true }));
  });

  test.serial(`[${tier}] a function or Far object the guest answers is a host capability over it; a thenable one is a GuestError`, async t => {
    const realm = await realmAt(tier);
    const twice = await call<(x: number) => Promise<number>>(realm, 'fn');
    t.is(typeof twice, 'function');
    t.is(await twice(21), 42);
    const { counter } = await call<{ counter: { add(a: number, b: number): Promise<number> } }>(realm, 'obj');
    t.is(await counter.add(2, 3), 5);
    const thenable = await t.throwsAsync(call(realm, 'thenable'));
    t.true(isCathedralError(thenable, 'GUEST'), String(thenable));
    t.regex(thenable!.message, /thenable/);
  });

  test.serial(`[${tier}] a fast call still waiting when the realm ends rejects with RevokedError, as does a guest function the host kept`, async t => {
    const { host } = await makeTestHost();
    const realm = await host.spawn({ tier, name: `transport-end-${tier}`, main: 'app://main.js', realms: { app: memory({ 'main.js': MAIN }) } });
    const twice = await call<(x: number) => Promise<number>>(realm, 'fn');
    const pending = call(realm, 'never');
    await realm.terminate();
    const error = await t.throwsAsync(pending);
    t.true(isCathedralError(error, 'REVOKED'), String(error));
    const after = await t.throwsAsync(twice(1));
    t.true(isCathedralError(after, 'REVOKED'), 'a guest function the host kept refuses once the realm ended');
  });
}

test('plain - acceptPlain takes plain data and hardens it', t => {
  const value = { a: [1, 'x', null, undefined, true, 2n], b: { c: {} } };
  t.is(acceptPlain(value), undefined);
  t.true(deepFrozen(value));
});

test('plain - bytes are plain data: copied by the sender, made non-extensible by the receiver', t => {
  const bytes = new Uint8Array([1, 2, 3]);
  const copy = plainCopy({ body: bytes, list: [bytes] }) as { body: Uint8Array; list: Uint8Array[] };
  t.not(copy.body, bytes, 'the sender copies the bytes');
  t.deepEqual([...copy.body], [1, 2, 3]);
  bytes[0] = 9;
  t.is(copy.body[0], 1);
  const received = structuredClone(copy);
  t.is(acceptPlain(received), undefined);
  t.true(Object.isFrozen(received) && Object.isFrozen(received.list));
  t.false(Object.isExtensible(received.body));
  const disguised = plainCopy([Object.setPrototypeOf(new Uint8Array([7]), Object.prototype)]) as unknown[];
  t.false(disguised[0] instanceof Uint8Array, 'bytes posing as a record travel as the record of indices they show, never as bytes');
  t.is(plainCopy([Buffer.from('x')]), NOT_PLAIN, 'a Buffer (a Uint8Array subclass) is not plain');
  // A clone from a child process's channel is a view into a pool other messages share: the receiver keeps its own copy.
  const pool = new Uint8Array(64).fill(42);
  const view = new Uint8Array(pool.buffer, 8, 4);
  const arrived = { body: view, list: [view] };
  t.is(acceptPlain(arrived), undefined);
  for (const bytes of [arrived.body, arrived.list[0]!, ownPlain(view) as Uint8Array]) {
    t.is(bytes.buffer.byteLength, 4, 'a buffer of its own');
    t.false(Object.isExtensible(bytes));
  }
});

test('plain - acceptPlain refuses what is not plain data, naming it', t => {
  t.regex(acceptPlain({ when: new Date(0) }) ?? '', /Date/);
  t.regex(acceptPlain([new Map()]) ?? '', /Map/);
  t.regex(acceptPlain({ b: new Uint16Array(1) }) ?? '', /Uint16Array/);
  t.regex(acceptPlain({ b: new DataView(new ArrayBuffer(1)) }) ?? '', /DataView/);
  // eslint-disable-next-line no-sparse-arrays
  t.regex(acceptPlain([1, , 3]) ?? '', /holes/);
  t.regex(acceptPlain({ [Symbol('s')]: 1 }) ?? '', /symbol/);
  let deep: unknown = [];
  for (let i = 0; i < MAX_PLAIN_DEPTH + 1; i += 1) deep = [deep];
  t.regex(acceptPlain(deep) ?? '', /deeper/);
  t.false(Object.isFrozen(deep), 'a refused value is not hardened');
});

test('plain - plainCopy copies plain data, reading each property once, and sends anything else down the slow path', t => {
  let reads = 0;
  const source = { get a() { reads += 1; return [1, { b: 'x' }]; } };
  const copy = plainCopy(source);
  t.deepEqual(copy, { a: [1, { b: 'x' }] });
  t.is(reads, 1);
  t.not(copy, source);
  t.is(Object.getOwnPropertyDescriptor(copy, 'a')?.get, undefined, 'the copy holds data, not the getter');
  for (const value of [[new Uint16Array(1)], [new ArrayBuffer(1)], [() => 1], [new (class X {})()], [Promise.resolve(1)], { s: Symbol('s') }]) t.is(plainCopy(value), NOT_PLAIN);
  const proxied = plainCopy(new Proxy([1, 2], {}));
  t.deepEqual(proxied, [1, 2]);
  t.notThrows(() => structuredClone(proxied), 'a Proxy is copied into a fresh array that a structured clone takes');
});

test('plain - acceptPlainList checks each element and refuses holes, without listing the list\'s keys', t => {
  const list = [1, { a: ['x'] }];
  t.is(acceptPlainList(list), undefined);
  t.true(deepFrozen(list));
  // eslint-disable-next-line no-sparse-arrays
  t.regex(acceptPlainList([1, , 3]) ?? '', /holes/);
  t.regex(acceptPlainList([1, { when: new Date(0) }]) ?? '', /Date/);
  // eslint-disable-next-line no-sparse-arrays
  t.regex(acceptPlainList([[1, , 3]]) ?? '', /holes/, 'a nested array is checked as acceptPlain checks it');
});

/** What a fast call settles with other than plain data, as a record. */
const settle = { other: async (answer: unknown) => ({ other: answer }), ended: () => new Error('ended') };

/** A fast caller whose sent messages are kept, and its waiting count. */
const fastCaller = () => {
  const sent: unknown[][] = [];
  let waiting = 0;
  const caller = makeFastCaller(
    message => sent.push(message as unknown[]),
    delta => {
      waiting += delta;
    },
    problem => ({ code: 'GUEST', message: problem, details: { problem } }),
  );
  return { caller, sent, waiting: () => waiting };
};

test('fast calls - a call is one array [id, index, ...args], a copy of plain arguments; anything else takes the slow path', t => {
  const { caller, sent, waiting } = fastCaller();
  const args = [1, { a: 'x' }];
  void caller.call([3], args, settle);
  t.deepEqual(sent, [[1, 3, 1, { a: 'x' }]]);
  t.not(sent[0]?.[3], args[1], 'the arguments are copied');
  t.is(waiting(), 1);
  t.is(caller.call([0], [new Date(0)], settle), undefined, 'arguments that are not plain data take CapTP\'s path');
  t.is(sent.length, 1);
});

test('fast calls - the host takes [id, value], [id, refusal, "refusal"] and [id, null, "held"], and nothing else', async t => {
  const { caller, waiting } = fastCaller();
  const value = caller.call([0], [], settle)!;
  const refused = caller.call([0], [], settle)!;
  const held = caller.call([0], [], settle)!;
  const odd = caller.call([0], [], settle)!;
  const deep = caller.call([0], [], settle)!;
  const ended = caller.call([0], [], settle)!;
  t.is(waiting(), 6);
  t.true(caller.onReturn([1, { a: [1] }]));
  t.false(caller.onReturn([1, 2]), 'an answer to a call already answered is not taken');
  t.false(caller.onReturn([99, 2]), 'nor one to a call never made');
  t.true(caller.onReturn([2, { code: 'GUEST', message: 'no', details: { guestName: 'TypeError' } }, 'refusal']));
  t.true(caller.onReturn([3, null, 'held']));
  t.false(caller.onReturn([4, 1, 'something']), 'an unknown kind of answer is refused');
  let nested: unknown = [];
  for (let i = 0; i < MAX_PLAIN_DEPTH + 1; i += 1) nested = [nested];
  t.true(caller.onReturn([5, nested]));
  t.is(waiting(), 1);
  caller.rejectAll();
  t.is(waiting(), 0);
  const got = await value;
  t.deepEqual(got, { a: [1] }, 'a plain answer is what the call settles with');
  t.true(deepFrozen(got), 'a value is hardened as it is taken');
  t.like(await refused, { other: { kind: 'refusal', refusal: { code: 'GUEST', message: 'no' } } });
  t.deepEqual(await held, { other: { kind: 'held', id: 3 } });
  t.like(await odd, { other: { kind: 'refusal', refusal: { message: 'the guest sent a malformed answer' } } });
  const tooDeep = (await deep) as { other: { kind: string; refusal: { message: string } } };
  t.is(tooDeep.other.kind, 'refusal');
  t.regex(tooDeep.other.refusal.message, /deeper/);
  await t.throwsAsync(ended, { message: 'ended' }, 'a call still waiting when the realm ends rejects with its settle.ended()');
});

test('fast calls - the guest answers a primitive in the same turn, a promise once settled, holds what is not plain data and refuses a throw', async t => {
  const sent: unknown[][] = [];
  const held = new Map<number, unknown>();
  const exports = [(x: number) => x + 1, async (x: number) => x * 2, () => new Date(0), () => {
    throw new TypeError('no');
  }];
  const serve = serveFastCalls(
    message => sent.push(message as unknown[]),
    (message, args) => {
      const index = message[1];
      const fn = typeof index === 'number' ? exports[index] : undefined;
      if (fn === undefined) throw new RangeError(`no export ${String(index)}`);
      return Reflect.apply(fn, undefined, args);
    },
    thrown => ({ code: 'GUEST', message: (thrown as Error).message, details: {} }),
    (id, value) => held.set(id, value),
  );
  serve([1, 0, 41]);
  t.deepEqual(sent, [[1, 42]], 'a primitive answer leaves in the same turn');
  serve([2, 1, 21]);
  serve([3, 2]);
  serve([4, 3]);
  serve([5, 9]);
  serve(['x', 0, 1]);
  serve([6, 0, { when: new Date(0) }]);
  await new Promise(resolve => setImmediate(resolve));
  t.deepEqual(sent, [
    [1, 42],
    [4, { code: 'GUEST', message: 'no', details: {} }, 'refusal'],
    [5, { code: 'GUEST', message: 'no export 9', details: {} }, 'refusal'],
    [2, 42],
    [3, null, 'held'],
  ]);
  t.true(held.get(3) instanceof Date);
});

test('fast calls - the guest\'s calls of host capabilities are numbered below zero, [id, slot, method, ...args], and each end tells calls from answers by the sign', async t => {
  const sent: unknown[][] = [];
  const guest = makeFastCaller(message => sent.push(message as unknown[]), () => {}, problem => ({ code: 'IO', message: problem, details: {} }), 'guest');
  const first = guest.call(['o+3', 'read'], ['a.txt'], settle)!;
  const second = guest.call(['o+4', null], [], settle)!;
  t.deepEqual(sent, [[-1, 'o+3', 'read', 'a.txt'], [-2, 'o+4', null]]);
  t.is(callerOf(sent[0]!), 'guest', 'a guest call is the guest\'s');
  t.is(callerOf([-1, 'answer']), 'guest', 'and so is the host\'s answer to it');
  t.is(callerOf([1, 0, 'x']), 'host', 'a host call, and its answer, are the host\'s');
  t.false(guest.onReturn([1, 'an answer to a call the guest never made']));
  t.true(guest.onReturn([-2, null, 'held']));
  t.true(guest.onReturn([-1, { size: 3 }]));
  t.deepEqual(await first, { size: 3 });
  t.deepEqual(await second, { other: { kind: 'held', id: -2 } });

  // The host's end serves them: the head is [slot, method], checked by `invoke`.
  const answers: unknown[][] = [];
  const served: unknown[] = [];
  const serve = serveFastCalls(
    message => answers.push(message as unknown[]),
    (message, args) => {
      if (message[1] !== 'o+3' || message[2] !== 'read') throw new TypeError('no such method');
      served.push(args);
      return `read ${String(args[0])}`;
    },
    thrown => ({ code: 'GUEST', message: (thrown as Error).message, details: {} }),
    () => {},
    2,
  );
  serve([-1, 'o+3', 'read', 'a.txt']);
  serve([-2, 'o+3', 'constructor']);
  serve([-3, 'o+3']);
  t.deepEqual(answers, [[-1, 'read a.txt'], [-2, { code: 'GUEST', message: 'no such method', details: {} }, 'refusal']], 'a message without a whole head is dropped');
  t.deepEqual(served, [['a.txt']]);
});

test('batching - the first message of a turn leaves at once, the rest of the turn together at its end, in order, unpacked on arrival', async t => {
  const wire: unknown[] = [];
  let deliver: (message: unknown) => void = () => {};
  const raw: Channel = { send: message => wire.push(message), onMessage: listener => (deliver = listener), close: () => {} };
  const channel = batching(raw);
  const received: unknown[] = [];
  channel.onMessage(message => received.push(message));
  channel.send([1]);
  t.deepEqual(wire, [[1]], 'a lone message waits for nothing');
  channel.send([2]);
  channel.send({ cathedral: 'x' });
  t.is(wire.length, 1);
  await null;
  t.deepEqual(wire, [[1], { cathedral: 'batch', messages: [[2], { cathedral: 'x' }] }]);
  channel.send([3]);
  t.deepEqual(wire.at(-1), [3], 'a later turn starts again at once');
  for (const message of wire) deliver(message);
  t.deepEqual(received, [[1], [2], { cathedral: 'x' }, [3]]);
});

test('inbound - depthOf counts JSON nesting, skipping strings', t => {
  t.is(depthOf('[[["[[[[", {"a": [1]}]]]', 10), 5);
  t.is(depthOf('[[["[[[[", {"a": [1]}]]]', 2), 3, 'stops one past the limit');
  t.is(depthOf('"\\"[[[["', 1), 0);
  t.is(depthOf(`${'['.repeat(600)}${']'.repeat(600)}`, MAX_DEPTH), MAX_DEPTH + 1);
});

test('inbound - a call on a missing method, a pipelined answer or a property read is answered by the host, never dispatched', t => {
  const facet = { echo: () => 1 };
  const inbound = makeInbound({ realm: 'r', exported: slot => (slot === 'o+1' ? facet : undefined), answers: (o, m) => o === facet && m === 'echo' });
  const callOf = (target: string, body: string) => ({ type: 'CTP_CALL', epoch: 0, questionID: 'q-1', target, method: { body, slots: [] } });
  t.is(inbound.check(callOf('o-1', '["echo",[1]]')).kind, 'dispatch');
  for (const message of [callOf('o-1', '["nope",[1]]'), callOf('q-3', '["echo",[1]]'), callOf('p-1', '["echo",[1]]'), callOf('o-1', '["echo"]'), callOf('o-2', '["echo",[1]]')]) {
    const verdict = inbound.check(message);
    t.is(verdict.kind, 'refuse-call', message.method.body);
    if (verdict.kind === 'refuse-call') t.is((verdict.reply as { answerID: string }).answerID, 'q-1');
  }
  t.is(inbound.check(callOf('o-1', `["echo",[${'['.repeat(600)}${']'.repeat(600)}]]`)).kind, 'refuse-call');
});

test('inbound - an answer too deep is replaced by a refusal; an unknown message is a violation', t => {
  const inbound = makeInbound({ realm: 'r', exported: () => undefined, answers: () => false });
  const deep = inbound.check({ type: 'CTP_RETURN', epoch: 0, answerID: 'q-2', result: { body: `${'['.repeat(600)}${']'.repeat(600)}`, slots: [] } });
  t.is(deep.kind, 'replace');
  if (deep.kind === 'replace') {
    const replaced = deep.message as { answerID: string; result: { body: string } };
    t.is(replaced.answerID, 'q-2');
    t.regex(replaced.result.body, /refusal/);
    t.regex(replaced.result.body, /nests deeper than 512/);
  }
  t.is(inbound.check({ type: 'CTP_RETURN', epoch: 0, answerID: 'q-2', result: { body: '[1]', slots: [] } }).kind, 'dispatch');
  t.is(inbound.check({ type: 'CTP_ABORT', epoch: 0 }).kind, 'violation');
  t.is(inbound.check('CTP_CALL').kind, 'violation');
});

test('codec - bytes of any view or ArrayBuffer are tagged; a SharedArrayBuffer is not bytes but another value, and decoded bytes are their own', t => {
  const others: unknown[] = [];
  const shared = new SharedArrayBuffer(4);
  t.is(encodeValue(shared, v => (others.push(v), 'other')), 'other');
  t.deepEqual(others, [shared]);
  const pool = new Uint8Array([9, 1, 2, 3, 9]);
  for (const value of [pool.subarray(1, 4), new DataView(pool.buffer, 1, 3), new Uint8Array([1, 2, 3]).buffer]) {
    const decoded = decodeValue(encodeValue(value)) as Uint8Array;
    t.deepEqual([...decoded], [1, 2, 3]);
    t.false(Object.isExtensible(decoded));
  }
});

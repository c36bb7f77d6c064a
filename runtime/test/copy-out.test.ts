/**
 * Copies of what a guest answers, as the host keeps them (src/copy-out.ts):
 * hardened without `harden`'s walk, so bytes of any size are copied in time
 * proportional to a copy, and every own name of a record survives.
 */
import test from 'ava';
import { memory } from '@cathedral/powerbox';
import { copyOut } from '../src/copy-out.js';
import { call, makeTestHost } from './_realm.js';

const spawn = async (main: string) => {
  const { host } = await makeTestHost();
  return host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory({ 'main.js': main }) } });
};

const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

test('copy-out - a megabyte of bytes a guest answers inside a record is copied in milliseconds, non-extensible', async t => {
  const realm = await spawn(`export const big = () => ({ body: new Uint8Array(1024 * 1024).fill(7), list: [new Uint8Array(3)] });`);
  const start = process.hrtime.bigint();
  const answer = await call<{ body: Uint8Array; list: Uint8Array[] }>(realm, 'big');
  const ms = msSince(start);
  t.is(answer.body.length, 1024 * 1024);
  t.is(answer.body[1024 * 1024 - 1], 7);
  t.true(Object.isFrozen(answer) && Object.isFrozen(answer.list));
  t.false(Object.isExtensible(answer.body));
  t.false(Object.isExtensible(answer.list[0]));
  // harden's walk of the copy took about 3 s here; a copy takes about a millisecond.
  t.true(ms < 500, `took ${ms.toFixed(1)} ms`);
  await realm.terminate();
});

test('copy-out - names a record inherits (constructor, __proto__) stay own properties of the copy', async t => {
  const realm = await spawn(`export const odd = () => {
    const record = { constructor: 'c', hasOwnProperty: 'h' };
    Object.defineProperty(record, '__proto__', { value: { inner: 1 }, enumerable: true, writable: true, configurable: true });
    return record;
  };`);
  const answer = await call<Record<string, unknown>>(realm, 'odd');
  t.is(Object.getPrototypeOf(answer), Object.prototype, 'a __proto__ property never becomes the prototype');
  t.deepEqual(Object.keys(answer).sort(), ['__proto__', 'constructor', 'hasOwnProperty']);
  t.is(Object.getOwnPropertyDescriptor(answer, 'constructor')?.value, 'c');
  t.deepEqual(Object.getOwnPropertyDescriptor(answer, '__proto__')?.value, { inner: 1 });
  t.true(Object.isFrozen(answer));
  await realm.terminate();
});

test('copy-out - an error inside an answer is hardened with it; one answered alone is handed over as made', async t => {
  const realm = await spawn(`export const inside = () => ({ error: new RangeError('no') }); export const alone = () => new RangeError('no');`);
  const inside = await call<{ error: Error }>(realm, 'inside');
  t.true(Object.isFrozen(inside.error));
  t.regex(inside.error.message, /RangeError: no/);
  const alone = await call<Error>(realm, 'alone');
  t.regex(alone.message, /RangeError: no/);
  t.false(Object.isFrozen(alone));
  await realm.terminate();
});

test('copyOut - decoded data is copied into frozen records and arrays and non-extensible bytes, fast at any size', t => {
  const decoded = { list: [1, { a: 'b' }], body: new Uint8Array(1024 * 1024), constructor: 'c' };
  const start = process.hrtime.bigint();
  const copy = copyOut(decoded) as typeof decoded;
  const ms = msSince(start);
  t.not(copy, decoded);
  t.not(copy.body, decoded.body);
  t.true(Object.isFrozen(copy) && Object.isFrozen(copy.list) && Object.isFrozen(copy.list[1]));
  t.false(Object.isExtensible(copy.body));
  t.is(Object.getOwnPropertyDescriptor(copy, 'constructor')?.value, 'c');
  t.true(ms < 500, `took ${ms.toFixed(1)} ms`);
});

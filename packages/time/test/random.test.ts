import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { MAX_RANDOM_BYTES, makeRandom, makeSeededRandom } from '../src/index.js';
import { type State, nextWord, seedState } from '../src/xoshiro.js';

test('xoshiro128** - matches the reference implementation from a known state', t => {
  // Vectors of the C reference (prng.di.unimi.it/xoshiro128starstar.c), as published with xoshiro-6502's test data.
  const state: State = [0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0];
  const words = [nextWord(state), nextWord(state), nextWord(state), nextWord(state)];
  t.deepEqual(words, [0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70]);
  t.deepEqual(state, [0xfc65379c, 0x52006d70, 0x87487639, 0xf1908343]);
});

test('seeding - SplitMix64 gives distinct, non-zero states for nearby seeds', t => {
  // SplitMix64(0)'s first output is 0xe220a8397b1dcdaf (Vigna's splitmix64.c).
  t.deepEqual(seedState(0).slice(0, 2), [0x7b1dcdaf, 0xe220a839]);
  t.notDeepEqual(seedState(1), seedState(2));
});

test('makeSeededRandom - the same seed gives the same bytes and numbers, another seed others', async t => {
  const a = makeSeededRandom(7);
  const b = makeSeededRandom(7);
  const c = makeSeededRandom(8);
  const bytesA = await a.getRandomValues(33);
  t.deepEqual(bytesA, await b.getRandomValues(33));
  t.notDeepEqual(bytesA, await c.getRandomValues(33));
  t.is(await a.random(), await b.random());
  t.is(bytesA.length, 33);
});

test('random() - numbers lie in [0, 1) and vary', async t => {
  for (const source of [makeSeededRandom(1), makeRandom()]) {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i += 1) {
      const x = await source.random();
      t.true(x >= 0 && x < 1);
      seen.add(x);
    }
    t.true(seen.size > 190);
  }
});

test('makeRandom - bytes come from the host source and differ between calls', async t => {
  const random = makeRandom();
  const one = await random.getRandomValues(32);
  const two = await random.getRandomValues(32);
  t.is(one.length, 32);
  t.notDeepEqual(one, two);
  t.is(Object.getPrototypeOf(one), Uint8Array.prototype, 'a plain Uint8Array, not a Node Buffer');
});

test('getRandomValues - more than 65536 bytes, or a non-integer length, is refused with InvalidArgumentError', async t => {
  for (const source of [makeSeededRandom(1), makeRandom()]) {
    t.is((await source.getRandomValues(MAX_RANDOM_BYTES)).length, MAX_RANDOM_BYTES);
    for (const bad of [MAX_RANDOM_BYTES + 1, -1, 1.5, '8']) {
      const error = await t.throwsAsync(source.getRandomValues(bad as number));
      t.true(isCathedralError(error, 'INVALID_ARGUMENT'));
      t.regex(error!.message, /getRandomValues "length".*at most 65536/);
    }
  }
});

test('makeSeededRandom - a seed that is not a safe whole number is refused', t => {
  for (const bad of [-1, 1.5, 2 ** 60, '1']) {
    t.true(isCathedralError(t.throws(() => makeSeededRandom(bad as number)), 'INVALID_ARGUMENT'));
  }
});

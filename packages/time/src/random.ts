/**
 * Randomness as a capability: `makeRandom()` (the host's cryptographic
 * source) and `makeSeededRandom(seed)` (xoshiro128**, ./xoshiro.ts: the same
 * seed gives the same sequence on every machine and tier, because the
 * generator runs in the host and every call is answered in the order the
 * guest's calls arrive).
 *
 * Both have one shape: `getRandomValues(length)` answers a fresh
 * `Uint8Array` of at most 65 536 bytes (the Web Crypto limit; more is an
 * `InvalidArgumentError`), `random()` a number in [0, 1) with 53 random bits.
 * The host's `randomBytes` is passed in, with `node:crypto`'s as the default
 * at this outermost edge. A seeded generator is not for secrets.
 */
import { declareEffects } from '@cathedral/sdk';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { Far } from '@endo/far';
import { InvalidArgumentError } from '@cathedral/sdk';
import { checkCount, describe } from './checks.js';
import { fillBytes, nextWord, seedState, toUnitFloat } from './xoshiro.js';

/** The random capability a realm holds. */
export interface Random {
  getRandomValues(length: number): Promise<Uint8Array>;
  random(): Promise<number>;
}

/** The most bytes one call answers. */
export const MAX_RANDOM_BYTES = 65536;

const checkLength = (length: unknown): number =>
  checkCount(length, 0, MAX_RANDOM_BYTES, 'length', { operation: 'getRandomValues' }, `ask for at most ${MAX_RANDOM_BYTES} bytes per call`);

export interface RandomPowers {
  readonly randomBytes?: (length: number) => Uint8Array;
}

const randomEffects = { getRandomValues: 'random', random: 'random' } as const;

export const makeRandom = (powers: RandomPowers = {}): Random => {
  const { randomBytes = nodeRandomBytes } = powers;
  return declareEffects(Far('Random', {
    getRandomValues: async (length: number) => new Uint8Array(randomBytes(checkLength(length))),
    random: async () => {
      const bytes = new Uint8Array(randomBytes(8));
      const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
      return toUnitFloat(view.getUint32(0, true), view.getUint32(4, true));
    },
  }), randomEffects);
};

export const makeSeededRandom = (seed: number): Random => {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new InvalidArgumentError({
      operation: 'makeSeededRandom',
      target: 'seed',
      problem: `a seed is a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${describe(seed)}`,
      rule: 'a seed is plain data, so a run can be repeated from it',
    });
  }
  const state = seedState(seed);
  const word = () => nextWord(state);
  return declareEffects(Far('Random', {
    getRandomValues: async (length: number) => fillBytes(word, checkLength(length)),
    random: async () => toUnitFloat(word(), word()),
  }), randomEffects);
};

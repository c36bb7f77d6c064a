/**
 * xoshiro128** 1.1 (Blackman and Vigna, https://prng.di.unimi.it/), seeded
 * by SplitMix64: the generator behind seeded randomness.
 *
 * Pure integer arithmetic (`Math.imul`, `>>>`), so a seed gives the same
 * words on every machine, thread and process. Not cryptographic: it is for
 * reproducible runs, never for secrets.
 *
 * Seeding, exactly: the seed (a safe integer ≥ 0) is SplitMix64's starting
 * state; its first two 64-bit outputs a, b give the state words
 * [low32(a), high32(a), low32(b), high32(b)].
 */

export type State = [number, number, number, number];

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** Advances `state` in place and answers the next 32-bit word. */
export const nextWord = (state: State): number => {
  const [s0, s1, s2, s3] = state;
  const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
  const t = (s1 << 9) >>> 0;
  const n2 = (s2 ^ s0) >>> 0;
  const n3 = (s3 ^ s1) >>> 0;
  const n1 = (s1 ^ n2) >>> 0;
  const n0 = (s0 ^ n3) >>> 0;
  state[0] = n0;
  state[1] = n1;
  state[2] = (n2 ^ t) >>> 0;
  state[3] = rotl(n3, 11);
  return result;
};

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64's outputs from `seed`, as the xoshiro authors recommend for seeding. */
const splitMix64 = (seed: bigint): (() => bigint) => {
  let x = seed & MASK64;
  return () => {
    x = (x + 0x9e3779b97f4a7c15n) & MASK64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
};

export const seedState = (seed: number): State => {
  const next = splitMix64(BigInt(seed));
  const a = next();
  const b = next();
  const word = (v: bigint, shift: bigint) => Number((v >> shift) & 0xffffffffn);
  // SplitMix64 never gives two zero outputs in a row, so the state is never all zero.
  return [word(a, 0n), word(a, 32n), word(b, 0n), word(b, 32n)];
};

/** `length` bytes from successive words, little-endian; a partly used last word is dropped. */
export const fillBytes = (words: () => number, length: number): Uint8Array => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const w = words();
    for (let j = 0; j < 4 && i + j < length; j += 1) out[i + j] = (w >>> (8 * j)) & 0xff;
  }
  return out;
};

/** A double in [0, 1) with 53 random bits, from two words (the usual construction). */
export const toUnitFloat = (a: number, b: number): number => ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992;

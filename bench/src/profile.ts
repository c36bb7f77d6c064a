/**
 * How long each benchmark runs: `full` for RESULTS.md, `quick` for the smoke
 * test and for checking the harness works (seconds, figures are rough).
 */

export interface TimedProfile {
  /** Measured rounds per contender. */
  readonly rounds: number;
  /** Discarded rounds before them (JIT, caches, first GCs). */
  readonly warmup: number;
  /** Operations per round; the round's figure is their mean. */
  readonly batch: number;
}

export interface MemoryProfile {
  /** Child processes per contender, interleaved. */
  readonly rounds: number;
  /** Realms (or compartments) each child holds when it measures. */
  readonly realms: number;
}

/** Spawns of a worker or process: one per round, a thread or process each. */
export interface SpawnProfile {
  readonly rounds: number;
  readonly warmup: number;
}

export interface CallsProfile {
  readonly rounds: number;
  readonly warmup: number;
  /** Calls per round, one at a time. */
  readonly batch: number;
  /** Calls per round with `inFlight` outstanding. */
  readonly flightBatch: number;
  readonly inFlight: number;
}

/** `batch` is N, the mints and lookups of one round. */
export type MintProfile = TimedProfile;

export interface Profile {
  readonly name: 'quick' | 'full';
  readonly spawn: TimedProfile;
  readonly read: TimedProfile;
  readonly memory: MemoryProfile;
  readonly tierSpawn: SpawnProfile;
  readonly calls: CallsProfile;
  readonly layers: TimedProfile;
  readonly mint: MintProfile;
}

export const fullProfile: Profile = Object.freeze({
  name: 'full',
  spawn: Object.freeze({ rounds: 41, warmup: 4, batch: 50 }),
  read: Object.freeze({ rounds: 41, warmup: 4, batch: 200 }),
  memory: Object.freeze({ rounds: 5, realms: 1000 }),
  tierSpawn: Object.freeze({ rounds: 11, warmup: 1 }),
  calls: Object.freeze({ rounds: 21, warmup: 2, batch: 100, flightBatch: 500, inFlight: 100 }),
  layers: Object.freeze({ rounds: 41, warmup: 4, batch: 200 }),
  mint: Object.freeze({ rounds: 21, warmup: 3, batch: 200 }),
});

export const quickProfile: Profile = Object.freeze({
  name: 'quick',
  spawn: Object.freeze({ rounds: 5, warmup: 1, batch: 10 }),
  read: Object.freeze({ rounds: 5, warmup: 1, batch: 20 }),
  memory: Object.freeze({ rounds: 1, realms: 500 }),
  tierSpawn: Object.freeze({ rounds: 1, warmup: 0 }),
  calls: Object.freeze({ rounds: 2, warmup: 1, batch: 10, flightBatch: 100, inFlight: 100 }),
  layers: Object.freeze({ rounds: 5, warmup: 1, batch: 20 }),
  mint: Object.freeze({ rounds: 3, warmup: 1, batch: 20 }),
});

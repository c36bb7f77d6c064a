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

export interface Profile {
  readonly name: 'quick' | 'full';
  readonly spawn: TimedProfile;
  readonly read: TimedProfile;
  readonly memory: MemoryProfile;
}

export const fullProfile: Profile = Object.freeze({
  name: 'full',
  spawn: Object.freeze({ rounds: 41, warmup: 4, batch: 50 }),
  read: Object.freeze({ rounds: 41, warmup: 4, batch: 200 }),
  memory: Object.freeze({ rounds: 5, realms: 1000 }),
});

export const quickProfile: Profile = Object.freeze({
  name: 'quick',
  spawn: Object.freeze({ rounds: 5, warmup: 1, batch: 10 }),
  read: Object.freeze({ rounds: 5, warmup: 1, batch: 20 }),
  memory: Object.freeze({ rounds: 1, realms: 500 }),
});

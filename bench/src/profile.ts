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
  /** isolated-vm isolates per child (each is a V8 heap). */
  readonly isolates: number;
  /** Worker- or process-tier realms, bare threads or processes per child. */
  readonly heavy: number;
  /** Discarded ones made before them (0 in quick: each costs seconds). */
  readonly heavyWarmup: number;
  /** Child processes per contender for those (fewer: each child spawns threads or processes). */
  readonly heavyRounds: number;
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

/** Budget enforcement: one realm (and one isolate) run to its end per round. */
export interface BudgetProfile {
  readonly rounds: number;
  /** The CPU budget and isolated-vm timeout, ms. */
  readonly cpuMs: number;
  /** The heap budget and isolated-vm memoryLimit, MB. */
  readonly heapMb: number;
}

/** Fresh node processes, one per contender per round. */
export interface LockdownProfile {
  readonly rounds: number;
  readonly warmup: number;
}

/** Fresh node processes through the launcher and directly, one per contender per round. */
export interface ConfineProfile {
  readonly rounds: number;
  readonly warmup: number;
  /** `fs.fstatSync(1)` calls each syscall-timing node makes. */
  readonly syscalls: number;
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
  /** Calls into and out of a compartment-tier realm and the in-thread peers. */
  readonly inThreadCalls: TimedProfile;
  readonly write: TimedProfile;
  readonly budget: BudgetProfile;
  readonly lockdown: LockdownProfile;
  /** Process-tier spawns: warm pool, cold, unconfined, stock fork; one each per round. */
  readonly warmSpawn: SpawnProfile;
  readonly confine: ConfineProfile;
  /** Requests (or no-op calls) per round of the net fetch rows. */
  readonly net: TimedProfile;
}

export const fullProfile: Profile = Object.freeze({
  name: 'full',
  spawn: Object.freeze({ rounds: 41, warmup: 4, batch: 50 }),
  read: Object.freeze({ rounds: 41, warmup: 4, batch: 200 }),
  memory: Object.freeze({ rounds: 5, realms: 1000, isolates: 100, heavy: 4, heavyWarmup: 1, heavyRounds: 3 }),
  tierSpawn: Object.freeze({ rounds: 11, warmup: 1 }),
  calls: Object.freeze({ rounds: 41, warmup: 2, batch: 100, flightBatch: 500, inFlight: 100 }),
  layers: Object.freeze({ rounds: 41, warmup: 4, batch: 200 }),
  mint: Object.freeze({ rounds: 21, warmup: 3, batch: 200 }),
  inThreadCalls: Object.freeze({ rounds: 21, warmup: 3, batch: 1000 }),
  write: Object.freeze({ rounds: 21, warmup: 2, batch: 20 }),
  budget: Object.freeze({ rounds: 5, cpuMs: 200, heapMb: 64 }),
  lockdown: Object.freeze({ rounds: 11, warmup: 1 }),
  warmSpawn: Object.freeze({ rounds: 11, warmup: 1 }),
  confine: Object.freeze({ rounds: 11, warmup: 1, syscalls: 200_000 }),
  net: Object.freeze({ rounds: 41, warmup: 2, batch: 200 }),
});

export const quickProfile: Profile = Object.freeze({
  name: 'quick',
  spawn: Object.freeze({ rounds: 5, warmup: 1, batch: 10 }),
  read: Object.freeze({ rounds: 5, warmup: 1, batch: 20 }),
  memory: Object.freeze({ rounds: 1, realms: 300, isolates: 20, heavy: 1, heavyWarmup: 0, heavyRounds: 1 }),
  tierSpawn: Object.freeze({ rounds: 1, warmup: 0 }),
  calls: Object.freeze({ rounds: 2, warmup: 1, batch: 10, flightBatch: 100, inFlight: 100 }),
  layers: Object.freeze({ rounds: 5, warmup: 1, batch: 20 }),
  mint: Object.freeze({ rounds: 3, warmup: 1, batch: 20 }),
  inThreadCalls: Object.freeze({ rounds: 3, warmup: 1, batch: 50 }),
  write: Object.freeze({ rounds: 3, warmup: 1, batch: 5 }),
  budget: Object.freeze({ rounds: 1, cpuMs: 100, heapMb: 16 }),
  lockdown: Object.freeze({ rounds: 1, warmup: 0 }),
  warmSpawn: Object.freeze({ rounds: 1, warmup: 0 }),
  confine: Object.freeze({ rounds: 1, warmup: 0, syscalls: 50_000 }),
  net: Object.freeze({ rounds: 3, warmup: 1, batch: 20 }),
});

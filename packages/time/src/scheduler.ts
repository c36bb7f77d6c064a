/**
 * What drives timers: each clock capability made here has a scheduler,
 * found by the clock object itself (a module-level WeakMap), never by
 * anything the clock says about itself. A clock a guest makes has none, so
 * it can never drive a host's timers.
 *
 * Two kinds: the real one (host timers, fire-and-forget) and the virtual one
 * (a queue the host advances; each firing is awaited before the next).
 */

export interface Scheduler {
  /** Calls `fire` once, `ms` from now on this clock's monotonic timeline; answers a cancel function. */
  schedule(ms: number, fire: () => unknown): () => void;
  /** True when a firing's promise is awaited before later timers fire (virtual time). */
  readonly awaitsFirings: boolean;
}

const schedulers = new WeakMap<object, Scheduler>();

export const attachScheduler = (clock: object, scheduler: Scheduler): void => {
  schedulers.set(clock, scheduler);
};

/** The scheduler of a clock made by this package, or undefined for any other object. */
export const schedulerOf = (clock: unknown): Scheduler | undefined =>
  typeof clock === 'object' && clock !== null ? schedulers.get(clock) : undefined;

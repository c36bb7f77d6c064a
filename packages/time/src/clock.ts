/**
 * `makeClock()`: the host's real clock as a capability.
 *
 * `now()` is wall time (ms since the epoch), `monotonic()` a high-resolution
 * monotonic reading: ms since the clock was made, never going back (not
 * since the host process started, which would tell a guest the host's
 * uptime). Both
 * answer promises, as every capability does, so the same guest code works
 * at every tier. Timers made over this clock (./timers.ts) use the host's
 * own `setTimeout`, unref'd by default: a guest's timer does not keep the
 * host process alive, as a guest's pending work does not either.
 *
 * The powers it reads (`Date.now`, `performance.now`, `setTimeout`) are
 * passed in, with the host's own as defaults at this outermost edge.
 * `resolutionMs` coarsens both readings for hosts that want to blunt timing
 * side channels; by default readings are at full resolution.
 */
import { declareEffects } from '@cathedral/sdk';
import { Far } from '@endo/far';
import { InvalidArgumentError } from '@cathedral/sdk';
import { attachScheduler } from './scheduler.js';

/** The clock capability a realm holds. */
export interface Clock {
  /** Wall time: milliseconds since 1970-01-01T00:00:00Z. */
  now(): Promise<number>;
  /** Monotonic milliseconds since the clock was made (a virtual clock: since it started), with a fractional part. */
  monotonic(): Promise<number>;
}

/** The host's timer functions, as a real clock's timers use them. */
export interface HostTimers {
  readonly setTimeout: (fire: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
}

export interface ClockPowers {
  readonly now?: () => number;
  readonly monotonic?: () => number;
  readonly hostTimers?: HostTimers;
  /** Readings are rounded down to a multiple of this (default 0: full resolution). */
  readonly resolutionMs?: number;
}

/** Node's timers, unref'd: a guest's timer never holds the host's event loop. */
export const nodeTimers: HostTimers = Object.freeze({
  setTimeout: (fire: () => void, ms: number) => {
    const handle = setTimeout(fire, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

export const makeClock = (powers: ClockPowers = {}): Clock => {
  const { now = Date.now, monotonic = () => performance.now(), hostTimers = nodeTimers, resolutionMs = 0 } = powers;
  if (typeof resolutionMs !== 'number' || !(resolutionMs >= 0) || !Number.isFinite(resolutionMs)) {
    throw new InvalidArgumentError({
      operation: 'makeClock',
      target: 'resolutionMs',
      problem: 'the resolution is a number of milliseconds ≥ 0',
      rule: 'a clock rounds its readings down to its resolution',
    });
  }
  const coarse = (ms: number) => (resolutionMs > 0 ? Math.floor(ms / resolutionMs) * resolutionMs : ms);
  const origin = monotonic();
  const clock: Clock = declareEffects(Far('Clock', {
    now: async () => coarse(now()),
    monotonic: async () => coarse(monotonic() - origin),
  }), { now: 'clock', monotonic: 'clock' });
  attachScheduler(clock, {
    awaitsFirings: false,
    schedule: (ms, fire) => {
      const handle = hostTimers.setTimeout(() => void fire(), ms);
      return () => hostTimers.clearTimeout(handle);
    },
  });
  return clock;
};

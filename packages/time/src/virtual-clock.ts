/**
 * `makeVirtualClock({ start })`: a clock whose time moves only when its
 * host says so, for reproducible runs.
 *
 * It answers the same `Clock` capability as the real clock, and a control
 * facet the host keeps (never hand it to a guest):
 *  - `advance(ms)` moves time forward and fires every timer due by then, in
 *    order of due time, then of creation. Before each firing the clock reads
 *    exactly that timer's due time, and the firing (a guest callback) is
 *    awaited before the next, so what a callback observes does not depend on
 *    the tier's round-trip time. Calls to `advance` queue behind each other.
 *  - `set(ms)` sets the wall clock (`now()`), as an operator would: the
 *    monotonic clock and timers are unaffected.
 *  - `now()`, `monotonic()`, `pending()` read it without moving it.
 *
 * A firing that schedules another firing at the same instant runs within
 * the same `advance`; `maxFirings` (default 100 000 per advance) bounds a
 * guest chain of zero-delay timers, which would otherwise never let an
 * advance finish. Not done here: a `sleep` promise is resolved in order,
 * but what the guest does after it is not awaited (see README).
 */
import { declareEffects } from '@cathedral/sdk';
import { Far } from '@endo/far';
import { BudgetExceededError, InvalidArgumentError } from '@cathedral/sdk';
import type { Clock } from './clock.js';
import { describe } from './checks.js';
import { attachScheduler } from './scheduler.js';

export interface VirtualClockOptions {
  /** The wall time it starts at, ms since the epoch (default 0). Monotonic time starts at 0. */
  readonly start?: number;
  /** The most timers one `advance` fires (default 100 000). */
  readonly maxFirings?: number;
}

/** The host's handle on a virtual clock. */
export interface ClockControl {
  /** Moves time forward by `ms`, firing due timers in order; settles when they have run. */
  advance(ms: number): Promise<void>;
  /** Sets the wall clock; monotonic time and timers are unaffected. */
  set(ms: number): void;
  now(): number;
  monotonic(): number;
  /** How many timers are waiting. */
  pending(): number;
}

export interface VirtualClock {
  readonly clock: Clock;
  readonly control: ClockControl;
}

interface Entry {
  readonly due: number;
  readonly seq: number;
  readonly fire: () => unknown;
}

const checkTime = (operation: string, target: string, value: unknown, min: number): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError({
      operation,
      target,
      problem: `${target} is a finite number of milliseconds${min === 0 ? ' ≥ 0' : ''}, got ${describe(value)}`,
      rule: 'virtual time moves by plain numbers, and never backwards',
    });
  }
  return value;
};

export const makeVirtualClock = (options: VirtualClockOptions = {}): VirtualClock => {
  let wall = checkTime('makeVirtualClock', 'start', options.start ?? 0, -Number.MAX_SAFE_INTEGER);
  const maxFirings = options.maxFirings ?? 100_000;
  let mono = 0;
  let seq = 0;
  // Sorted by (due, seq); short in practice, so a sorted array is enough.
  const queue: Entry[] = [];
  let chain: Promise<void> = Promise.resolve();

  const insert = (entry: Entry) => {
    let i = queue.length;
    while (i > 0 && (queue[i - 1]!.due > entry.due || (queue[i - 1]!.due === entry.due && queue[i - 1]!.seq > entry.seq))) i -= 1;
    queue.splice(i, 0, entry);
  };

  const moveTo = (target: number) => {
    wall += target - mono;
    mono = target;
  };

  const run = async (target: number): Promise<void> => {
    let fired = 0;
    for (let head = queue[0]; head !== undefined && head.due <= target; head = queue[0]) {
      queue.shift();
      moveTo(head.due);
      fired += 1;
      if (fired > maxFirings) {
        throw new BudgetExceededError({
          operation: 'advance',
          target: 'ms',
          problem: `more than ${maxFirings} timers fired within one advance (a chain of zero-delay timers?)`,
          rule: 'one advance fires a bounded number of timers',
          allow: 'advance by smaller steps, or make the clock with a larger maxFirings',
        });
      }
      await head.fire();
    }
    moveTo(target);
  };

  const clock: Clock = declareEffects(Far('Clock', {
    now: async () => wall,
    monotonic: async () => mono,
  }), { now: 'clock', monotonic: 'clock' });

  attachScheduler(clock, {
    awaitsFirings: true,
    schedule: (ms, fire) => {
      seq += 1;
      const entry: Entry = { due: mono + ms, seq, fire };
      insert(entry);
      return () => {
        const i = queue.indexOf(entry);
        if (i >= 0) queue.splice(i, 1);
      };
    },
  });

  const control: ClockControl = Far('ClockControl', {
    advance: (ms: number): Promise<void> => {
      const step = checkTime('advance', 'ms', ms, 0);
      const result = chain.then(() => run(mono + step));
      chain = result.catch(() => {});
      return result;
    },
    set: (ms: number) => {
      wall = checkTime('set', 'ms', ms, -Number.MAX_SAFE_INTEGER);
    },
    now: () => wall,
    monotonic: () => mono,
    pending: () => queue.length,
  });

  return harden({ clock, control });
};

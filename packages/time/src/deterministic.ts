/**
 * `deterministic({ seed, start })`: what a reproducible run needs of time
 * and randomness, in one bundle: a virtual clock, its host-held control, a
 * timer set on that clock, and a seeded random.
 *
 * The same seed, start and host-driven advances give a guest the same
 * readings, the same bytes and the same timer firings, at every tier. The
 * bundle is also a time source (`{ clock, random }`) for `makeRealmTime`,
 * which makes each realm its own timer set on the same virtual clock.
 */
import type { Clock } from './clock.js';
import type { Random } from './random.js';
import { makeSeededRandom } from './random.js';
import { type TimerSet, type Timers, type TimersOptions, makeTimers } from './timers.js';
import { type ClockControl, makeVirtualClock } from './virtual-clock.js';

export interface DeterministicOptions extends TimersOptions {
  readonly seed: number;
  /** The wall time the virtual clock starts at (default 0). */
  readonly start?: number;
}

export interface Deterministic {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  /** Host-held: advance and set the virtual clock. */
  readonly control: ClockControl;
  /** Cancels the bundle's timers (`timers`), as at the end of its realm. */
  readonly cancelAll: TimerSet['cancelAll'];
}

export const deterministic = ({ seed, start, ...timerOptions }: DeterministicOptions): Deterministic => {
  const random = makeSeededRandom(seed);
  const { clock, control } = makeVirtualClock(start === undefined ? {} : { start });
  const set = makeTimers(clock, timerOptions);
  return harden({ clock, timers: set.timers, random, control, cancelAll: set.cancelAll });
};

/**
 * `timeCaps(grant, source)`: time and randomness as the caps of a spawn.
 *
 *   host.spawn({ ..., ceiling: ['clock', 'timers'], caps: timeCaps(['clock', 'timers']) })
 *
 * `clock` and `random` are the source's own (shared: reading them holds
 * nothing); `timers` is realm-bound (`realmBound` of @cathedral/sdk): the
 * spawn makes a set of timers for that realm, charging its `handles` budget
 * through the realm's meter, and cancels them when the realm ends. Every
 * method declares its effect (`clock`, `timers`, `random`), so the realm's
 * gate refuses a call outside its ceiling, however the capability reached it.
 * A realm gets none of these unless its host grants them.
 */
import { InvalidArgumentError, type RealmBinding, type RealmBound, realmBound } from '@cathedral/sdk';
import type { Clock } from './clock.js';
import type { HandleMeter } from './handles.js';
import type { Random } from './random.js';
import { type TimeGrant, type TimeSource, realTime, timeGrants } from './realm-time.js';
import { type Timers, makeTimers } from './timers.js';
import { describe } from './checks.js';

export type TimeCaps = {
  readonly clock?: Clock;
  readonly timers?: RealmBound<Timers>;
  readonly random?: Random;
};

/** The realm's meter, as the handle meter timers count against. */
const handlesOf = (binding: RealmBinding): HandleMeter =>
  Object.freeze({
    acquire: (operation: string) => binding.meter.charge('handles', 1, { operation, target: 'timers' }),
    release: () => binding.meter.release('handles', 1),
    get used() {
      return binding.meter.used('handles');
    },
    limit: undefined,
  });

/** The realm-bound timers of one realm over `clock`. */
export const realmTimers = (clock: Clock, report?: (message: string) => void): RealmBound<Timers> =>
  realmBound(binding => {
    const set = makeTimers(clock, { realm: binding.realm, handles: handlesOf(binding), report });
    binding.onEnd(reason => set.cancelAll(reason));
    return set.timers;
  });

let shared: TimeSource | undefined;

export const timeCaps = (grant: readonly TimeGrant[], source?: TimeSource): TimeCaps => {
  const from = source ?? (shared ??= realTime());
  const caps: { clock?: Clock; timers?: RealmBound<Timers>; random?: Random } = {};
  for (const name of grant) {
    if (!timeGrants.includes(name)) {
      throw new InvalidArgumentError({ operation: 'timeCaps', target: String(name), problem: `unknown time capability ${describe(name)}`, rule: `the time capabilities are ${timeGrants.join(', ')}` });
    }
    if (name === 'clock') caps.clock = from.clock;
    if (name === 'random') caps.random = from.random;
    if (name === 'timers') caps.timers = realmTimers(from.clock);
  }
  return Object.freeze(caps);
};

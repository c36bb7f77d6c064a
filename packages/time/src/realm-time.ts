/**
 * `makeRealmTime(grant, source, options)`: a realm's time and randomness
 * capabilities, as a spawn makes them (the runtime's hook; see README).
 *
 * `grant` names what the realm gets (`clock`, `timers`, `random`; nothing
 * by default). Each needs its effect in the realm's ceiling — `clock`,
 * `timers`, `random` — or the spawn is refused with `CeilingError`. The
 * timers are the realm's own set over the source's clock, counted against
 * its handles; `end(reason)` cancels them and the runtime calls it when the
 * realm ends.
 *
 * However a time capability reaches a realm, the realm's gate also checks
 * its declared effect on every call (`declareEffects`); `timeCaps` (caps.ts)
 * is the simpler way to grant these.
 */
import type { EffectKind } from '@cathedral/sdk';
import { CeilingError, InvalidArgumentError } from '@cathedral/sdk';
import { type Clock, makeClock } from './clock.js';
import type { HandleMeter } from './handles.js';
import { type Random, makeRandom } from './random.js';
import { type Timers, makeTimers } from './timers.js';
import { describe } from './checks.js';

export type TimeGrant = 'clock' | 'timers' | 'random';

export const timeGrants: readonly TimeGrant[] = Object.freeze(['clock', 'timers', 'random']);

/** Where a realm's time comes from: the host's real clock and random, or a `deterministic()` bundle. */
export interface TimeSource {
  readonly clock: Clock;
  readonly random: Random;
}

export interface RealmTimeOptions {
  readonly realm: string;
  readonly ceiling: ReadonlySet<EffectKind>;
  readonly handles?: number | HandleMeter | undefined;
  readonly report?: ((message: string) => void) | undefined;
}

export interface RealmTime {
  /** The capabilities to endow, by global name. */
  readonly caps: Readonly<Partial<{ clock: Clock; timers: Timers; random: Random }>>;
  /** Cancels the realm's timers; call it when the realm ends. */
  end(reason: string): void;
}

const effectOf: Readonly<Record<TimeGrant, EffectKind>> = { clock: 'clock', timers: 'timers', random: 'random' };

export const makeRealmTime = (grant: readonly unknown[], source: TimeSource, options: RealmTimeOptions): RealmTime => {
  const { realm, ceiling } = options;
  const wanted = new Set<TimeGrant>();
  for (const name of grant) {
    if (!timeGrants.includes(name as TimeGrant)) {
      throw new InvalidArgumentError({
        operation: 'spawn',
        target: 'time.grant',
        realm,
        problem: `unknown time capability ${describe(name)}`,
        rule: `a realm can be granted ${timeGrants.join(', ')}`,
      });
    }
    const kind = name as TimeGrant;
    if (!ceiling.has(effectOf[kind])) {
      throw new CeilingError({
        operation: 'spawn',
        target: `time.grant: ${kind}`,
        realm,
        problem: `the effect "${effectOf[kind]}" is outside the realm's ceiling`,
        rule: 'a realm is never granted a capability for an effect outside its ceiling',
        allow: `add "${effectOf[kind]}" to the realm's ceiling, or do not grant ${kind}`,
      });
    }
    wanted.add(kind);
  }
  const caps: { clock?: Clock; timers?: Timers; random?: Random } = {};
  let end: (reason: string) => void = () => {};
  if (wanted.has('clock')) caps.clock = source.clock;
  if (wanted.has('random')) caps.random = source.random;
  if (wanted.has('timers')) {
    const set = makeTimers(source.clock, { realm, handles: options.handles, report: options.report });
    caps.timers = set.timers;
    end = reason => set.cancelAll(reason);
  }
  return Object.freeze({ caps: Object.freeze(caps), end });
};

/** The host's real time and randomness, as a source: one per host is enough. */
export const realTime = (): TimeSource => harden({ clock: makeClock(), random: makeRandom() });

/**
 * `makeTimers(clock, options)`: timers as a capability, driven by a clock
 * made by this package (the real one or a virtual one).
 *
 * The shape is the one that crosses every tier the same way: a guest passes
 * a function (`timers.setTimeout(() => …, 10)`), which at the compartment
 * tier reaches the host as the guest's function and at the worker and
 * process tiers as a CapTP presence of it; either way the host calls it with
 * `E(callback)()`, with no arguments, and ignores what it answers. Ids are
 * plain numbers, local to this timer set. `sleep(ms)` answers a promise.
 * Every method answers a promise, so guest code `await`s at every tier.
 *
 * Each pending timer, interval or sleep holds one handle of the realm's
 * `handles` budget (./handles.ts) until it fires or is cleared.
 * `cancelAll(reason)` — the runtime calls it when the realm ends — clears
 * every host timer, rejects pending sleeps with `RevokedError`, and refuses
 * every later call: no callback fires after it.
 *
 * Errors a callback throws are reported through `report` (never turned to
 * text: a guest's `toString` would run in the host) and otherwise ignored.
 * Under a virtual clock each firing is awaited before the next (see
 * ./virtual-clock.ts), and stops being awaited when the set is cancelled.
 */
import { E, Far } from '@endo/far';
import { InvalidArgumentError, RevokedError, declareEffects } from '@cathedral/sdk';
import { checkCallback, checkDelay, describe } from './checks.js';
import { type HandleMeter, makeHandleMeter } from './handles.js';
import { schedulerOf } from './scheduler.js';

/** The timers capability a realm holds. */
export interface Timers {
  /** Calls `callback` once after `ms`; answers its id. */
  setTimeout(callback: () => unknown, ms: number): Promise<number>;
  clearTimeout(id: number): Promise<void>;
  /** Calls `callback` every `ms` (at least 1); answers its id. */
  setInterval(callback: () => unknown, ms: number): Promise<number>;
  clearInterval(id: number): Promise<void>;
  /** Settles after `ms`. */
  sleep(ms: number): Promise<void>;
}

export interface TimerSet {
  /** The capability to hand to a realm. */
  readonly timers: Timers;
  /** Cancels every timer and refuses every later call; for the end of the realm. */
  cancelAll(reason?: string): void;
  /** How many timers, intervals and sleeps are pending. */
  readonly active: number;
}

export interface TimersOptions {
  /** A limit on pending timers, or a meter shared with the realm's other handles. */
  readonly handles?: number | HandleMeter | undefined;
  /** The realm named in refusals. */
  readonly realm?: string | undefined;
  /** Where failures of guest callbacks are reported (default: nowhere). */
  readonly report?: ((message: string) => void) | undefined;
}

const isMeter = (value: unknown): value is HandleMeter =>
  typeof value === 'object' && value !== null && typeof (value as HandleMeter).acquire === 'function';

export const makeTimers = (clock: unknown, options: TimersOptions = {}): TimerSet => {
  const { realm, report = () => {} } = options;
  const scheduler = schedulerOf(clock);
  if (scheduler === undefined) {
    throw new InvalidArgumentError({
      operation: 'makeTimers',
      target: 'clock',
      realm,
      problem: 'the clock was not made by makeClock or makeVirtualClock',
      rule: 'timers are driven only by a clock the host made',
      allow: 'pass makeClock() or makeVirtualClock().clock',
    });
  }
  const meter = isMeter(options.handles) ? options.handles : makeHandleMeter({ limit: options.handles, realm });
  const live = new Map<number, () => void>();
  const sleepers = new Set<(reason: string) => void>();
  let nextId = 1;
  let endedBecause: string | undefined;
  let signalEnd: () => void = () => {};
  const ended = new Promise<void>(resolve => {
    signalEnd = resolve;
  });

  const refuseIfEnded = (operation: string) => {
    if (endedBecause === undefined) return;
    throw new RevokedError({
      operation,
      target: 'timers',
      realm,
      problem: `the timers were cancelled (${endedBecause})`,
      rule: 'timers refuse every use once their realm ends',
    });
  };

  /** Calls a guest callback; answers what the virtual clock awaits. */
  const invoke = (callback: object, id: number): Promise<void> => {
    const call = Promise.resolve()
      .then(() => (E(callback as () => unknown) as () => Promise<unknown>)())
      .then(
        () => {},
        () => report(`timer ${id} of realm "${realm ?? '?'}": its callback failed`),
      );
    return Promise.race([call, ended]);
  };

  const take = (id: number) => {
    const cancel = live.get(id);
    if (cancel === undefined) return false;
    live.delete(id);
    meter.release();
    cancel();
    return true;
  };

  const start = (operation: string, callback: unknown, ms: unknown, repeat: boolean): number => {
    refuseIfEnded(operation);
    const fn = checkCallback(callback, { operation, realm });
    const delay = checkDelay(ms, { operation, realm });
    const period = Math.max(1, delay);
    meter.acquire(operation);
    const id = nextId;
    nextId += 1;
    const fire = (): Promise<void> | undefined => {
      if (!live.has(id)) return undefined;
      if (repeat) live.set(id, scheduler.schedule(period, fire));
      else {
        live.delete(id);
        meter.release();
      }
      const done = invoke(fn, id);
      return scheduler.awaitsFirings ? done : undefined;
    };
    live.set(id, scheduler.schedule(repeat ? period : delay, fire));
    return id;
  };

  const clear = (operation: string, id: unknown): void => {
    refuseIfEnded(operation);
    if (typeof id !== 'number') {
      throw new InvalidArgumentError({
        operation,
        target: 'id',
        realm,
        problem: `a timer id is the number setTimeout or setInterval answered, got ${describe(id)}`,
        rule: 'timers are cleared by their id',
      });
    }
    take(id); // an unknown or spent id is ignored, as on the web
  };

  const timers: Timers = declareEffects(Far('Timers', {
    setTimeout: async (callback: () => unknown, ms: number) => start('setTimeout', callback, ms, false),
    setInterval: async (callback: () => unknown, ms: number) => start('setInterval', callback, ms, true),
    clearTimeout: async (id: number) => clear('clearTimeout', id),
    clearInterval: async (id: number) => clear('clearInterval', id),
    sleep: (ms: number): Promise<void> => {
      try {
        refuseIfEnded('sleep');
        const delay = checkDelay(ms, { operation: 'sleep', realm });
        meter.acquire('sleep');
        return new Promise<void>((resolve, reject) => {
          const id = nextId;
          nextId += 1;
          const wake = (reason: string) =>
            reject(new RevokedError({ operation: 'sleep', target: 'timers', realm, problem: `the timers were cancelled (${reason})`, rule: 'timers refuse every use once their realm ends' }));
          sleepers.add(wake);
          live.set(id, scheduler.schedule(delay, () => {
            if (!live.has(id)) return;
            live.delete(id);
            meter.release();
            sleepers.delete(wake);
            resolve();
          }));
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },
  }), { setTimeout: 'timers', setInterval: 'timers', clearTimeout: 'timers', clearInterval: 'timers', sleep: 'timers' });

  return Object.freeze({
    timers,
    cancelAll: (reason = 'the realm ended') => {
      if (endedBecause !== undefined) return;
      endedBecause = reason;
      for (const id of [...live.keys()]) take(id);
      for (const wake of sleepers) wake(reason);
      sleepers.clear();
      signalEnd();
    },
    get active() {
      return live.size;
    },
  });
};

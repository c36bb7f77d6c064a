/**
 * The native CPU watchdog (native/addon-watchdog.cc): a background thread
 * that watches one CPU clock and acts the moment it passes a limit, with no
 * dependency on this event loop.
 *
 * - process tier: `action: 'kill'` sends SIGKILL to the child from the
 *   watchdog thread (through a pidfd, so a recycled pid is never hit);
 * - worker tier: `action: 'notify'` calls `onFire` on this thread, and the
 *   host terminates the worker (a thread cannot be killed alone).
 * `done` settles once: 'fired', 'gone' (the thread or process ended first) or
 * 'cancelled'. Every watchdog thread is joined: when it fires, when it is
 * cancelled, and when the environment that started it is torn down.
 *
 * Without the addon `watchCpu` throws UnsupportedError: the caller decides
 * the fallback (the runtime's /proc poller) and reports it.
 */
import { InvalidArgumentError, UnsupportedError } from '@cathedral/sdk';
import { addon, addonStatus } from './addon.js';

export type WatchdogOutcome = 'fired' | 'gone' | 'cancelled';

export interface WatchdogEvent {
  readonly outcome: WatchdogOutcome;
  /** CPU ns of the watched clock when the watchdog acted or saw it gone (undefined on cancel). */
  readonly cpuNs: number | undefined;
  /** After a kill: the process's CPU ns once it died, when its clock could still be read. */
  readonly finalNs: number | undefined;
}

export interface CpuWatchdog {
  readonly done: Promise<WatchdogEvent>;
  /** Stops watching and joins the thread; true if it was still watching. */
  cancel(): boolean;
}

export interface WatchOptions {
  readonly kind: 'thread' | 'process';
  /** tid of a thread of this process, or pid of a child. */
  readonly id: number;
  /** The limit, in CPU ns of that clock since it started (not since now). */
  readonly limitNs: number;
  /** 'kill' (process only): SIGKILL from the watchdog thread. 'notify': only `onFire`. */
  readonly action: 'kill' | 'notify';
  readonly onFire?: (cpuNs: number) => void;
}

const invalid = (problem: string) =>
  new InvalidArgumentError({ operation: 'watchCpu', problem, rule: 'a watchdog watches one thread or process up to one limit' });

export const watchCpu = (options: WatchOptions): CpuWatchdog => {
  const native = addon();
  if (native === undefined) {
    const status = addonStatus();
    throw new UnsupportedError({
      operation: 'watchCpu',
      problem: `the kernel-native addon is ${status.loaded ? 'loaded' : status.reason}`,
      rule: 'the native watchdog needs the addon',
      allow: 'build it, or watch /proc CPU times from the event loop',
    });
  }
  const { kind, id, limitNs, action, onFire } = options;
  if (kind !== 'thread' && kind !== 'process') throw invalid(`kind must be "thread" or "process", not ${JSON.stringify(kind)}`);
  if (!Number.isSafeInteger(id) || id <= 0) throw invalid('id must be a positive integer tid or pid');
  if (!Number.isSafeInteger(limitNs) || limitNs < 0) throw invalid('limitNs must be a non-negative integer');
  if (action !== 'kill' && action !== 'notify') throw invalid('action must be "kill" or "notify"');
  if (action === 'kill' && kind !== 'process') throw invalid('only a process can be killed; a thread is terminated by its host');
  let settle: (event: WatchdogEvent) => void = () => undefined;
  const done = new Promise<WatchdogEvent>(resolve => {
    settle = resolve;
  });
  const started = native.watchdogStart(kind, id, limitNs, action, (event, cpuNs, finalNs) => {
    settle(Object.freeze({ outcome: event, cpuNs, finalNs: finalNs < 0 ? undefined : finalNs }));
    if (event === 'fired' && onFire !== undefined) onFire(cpuNs);
  });
  if (typeof started === 'string') {
    throw new InvalidArgumentError({
      operation: 'watchCpu',
      target: `${kind} ${id}`,
      problem: `its CPU clock cannot be read (${started})`,
      rule: 'a watchdog watches a live thread of this process or a live child',
    });
  }
  return Object.freeze({
    done,
    cancel: () => {
      const was = native.watchdogCancel(started);
      if (was) settle(Object.freeze({ outcome: 'cancelled' as const, cpuNs: undefined, finalNs: undefined }));
      return was;
    },
  });
};

/** How many native watchdog threads are running (for tests: none may leak). */
export const runningWatchdogs = (): number => addon()?.watchdogCount() ?? 0;

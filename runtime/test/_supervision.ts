/**
 * Test helpers for supervision: what a realm's end looks like from the host.
 *
 * The guest's OS identity (a worker's thread id, a child's pid) and its CPU
 * time at the end come from the `cathedral:supervision` diagnostics channel,
 * which only sees hosts of this thread. Leak checks read Linux's `/proc`.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import type { Budget, Host, Realm } from '../src/index.js';
import type { SupervisionEvent } from '../src/tiers/remote-realm.js';
import { call } from './_realm.js';

export type RemoteTier = 'worker' | 'process';
export const remoteTiers: readonly RemoteTier[] = ['worker', 'process'];

type Started = Extract<SupervisionEvent, { event: 'started' }>;
type Ended = Extract<SupervisionEvent, { event: 'ended' }>;

export interface Supervision {
  readonly events: readonly SupervisionEvent[];
  /** The guest's OS identity, as its supervisor published it. */
  identity(realm: string): Identity;
  ended(realm: string): Ended | undefined;
}

/** Runs `body` with every supervision event published in this thread meanwhile. */
export const watchingSupervision = async <T>(body: (watch: Supervision) => Promise<T>): Promise<T> => {
  const events: SupervisionEvent[] = [];
  const listener = (message: unknown) => {
    events.push(message as SupervisionEvent);
  };
  subscribe('cathedral:supervision', listener);
  try {
    return await body({
      events,
      identity: realm => {
        const started = events.find((e): e is Started => e.event === 'started' && e.realm === realm);
        return { ...(started?.tid === undefined ? {} : { tid: started.tid }), ...(started?.pid === undefined ? {} : { pid: started.pid }) };
      },
      ended: realm => events.find((e): e is Ended => e.event === 'ended' && e.realm === realm),
    });
  } finally {
    unsubscribe('cathedral:supervision', listener);
  }
};

/** The OS thread this code runs on (ava runs each test file in a worker thread). */
const ownTid = (): number => Number(readlinkSync('/proc/thread-self').split('/').pop());

/**
 * The live child processes forked from this thread: `/proc/<pid>/task/<tid>/children`
 * lists the children a thread made, so other test files' realms do not count.
 */
export const childPids = (): number[] => {
  const text = readFileSync(`/proc/self/task/${ownTid()}/children`, 'latin1').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
};

/** Whether a process is still there: a zombie nobody reaped yet counts as left over. */
const alive = (path: string): boolean => {
  try {
    const stat = readFileSync(path, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'X';
  } catch {
    return false;
  }
};

export const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/** Polls `check` until it holds or `ms` passed; answers whether it held. */
export const eventually = async (check: () => boolean, ms = 2_000): Promise<boolean> => {
  const until = performance.now() + ms;
  for (;;) {
    if (check()) return true;
    if (performance.now() > until) return false;
    await sleep(10);
  }
};

/** A snapshot to compare against after a realm ended. */
export interface Before {
  readonly children: readonly number[];
}
export const snapshot = (): Before => ({ children: childPids() });

export interface Identity {
  readonly tid?: number;
  readonly pid?: number;
}

/**
 * Nothing of the realm is left: its own thread or process is gone, and no
 * child of this thread remains that was not there before. (The process's
 * thread count is not asserted: ava runs other test files in worker threads
 * of this same process, whose realms come and go meanwhile.)
 */
export const assertNothingLeft = async (t: ExecutionContext, before: Before, guest: Identity): Promise<void> => {
  if (guest.tid !== undefined) t.true(await eventually(() => !existsSync(`/proc/self/task/${guest.tid}`)), `the guest thread ${guest.tid} is gone`);
  if (guest.pid !== undefined) t.true(await eventually(() => !alive(`/proc/${guest.pid}/stat`)), `the guest process ${guest.pid} is gone`);
  const extra = () => childPids().filter(pid => !before.children.includes(pid));
  t.true(await eventually(() => extra().length === 0), `no child process remains (left: ${extra().join(', ')})`);
};

/** Spawns a fresh realm on `host` and calls it: the host still answers. */
export const assertHostAnswers = async (t: ExecutionContext, host: Host, tier: RemoteTier): Promise<void> => {
  const fresh = await host.spawn({ tier, name: 'fresh', main: 'app://main.js', realms: { app: memory({ 'main.js': 'export const add = (a, b) => a + b;' }) } });
  try {
    t.is(await call(fresh, 'add', 2, 3), 5);
  } finally {
    await fresh.terminate();
  }
  t.is((await fresh.done).reason, 'terminated');
};

let names = 0;
/** Spawns a one-module realm, ended when the test ends whatever happened. */
export const spawnGuest = async (t: ExecutionContext, host: Host, tier: RemoteTier, source: string, budget?: Budget, caps?: Record<string, unknown>): Promise<Realm> => {
  const realm = await host.spawn({
    tier,
    name: `guest-${(names += 1)}`,
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': source }) },
    ...(budget === undefined ? {} : { budget }),
    ...(caps === undefined ? {} : { caps }),
  });
  t.teardown(() => realm.terminate());
  return realm;
};

/** `realm.done`, or a failure after `ms` instead of a hung test. */
export const doneWithin = async (realm: Realm, ms: number): Promise<{ reason: string }> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      realm.done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`realm "${realm.name}" did not end within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/** A pending call rejected with a RevokedError whose message names the reason. */
export const assertRevokedFor = async (t: ExecutionContext, pending: Promise<unknown>, reason: string): Promise<void> => {
  const error = await t.throwsAsync(pending);
  t.true(isCathedralError(error, 'REVOKED'), `a RevokedError, got ${String(error)}`);
  t.true(error!.message.includes(`(${reason})`), `the message names "${reason}": ${error!.message}`);
};

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

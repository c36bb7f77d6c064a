/**
 * Budget enforcement at the worker and process tiers, against isolated-vm.
 *
 * CPU: a realm spawned with `budget: { cpuMs: B }` runs `for (;;) {}`
 * until the supervisor ends it with `budget: cpu`. The figure is the CPU
 * charged to the budget when the supervisor decided (the `cpuMs` of its
 * `ended` event on `cathedral:supervision`, counted as the budget counts),
 * plus the CPU the guest's JavaScript thread (the worker's thread, the
 * child's main thread) got after that decision until it was gone: the bench
 * reads that thread's clock (`/proc/…/schedstat`, ./affinity.ts) inside
 * the `ended` event, which is published as the stop is issued, and every
 * millisecond until the thread is gone. The overshoot is the figure − B.
 * The wall-clock row bounds it from above.
 * Peer: isolated-vm's `timeout: B` on the same loop; its figure is the
 * isolate's `cpuTime` over the run. Its timeout is wall-clock, so on a loaded
 * machine it may stop a guest that got less than B of CPU.
 *
 * Heap: a realm with `budget: { heapMb: H }` runs a bomb of growing arrays
 * of objects; the figure is the time from the call to the realm ended with
 * `budget: heap`. Peer: an isolate with `memoryLimit: H` running the same
 * bomb, until the run rejects with its memory-limit disposal. The runtime
 * sets the guest's old-space limit to H plus 32 MB for its own guest
 * runtime (which holds some 22 MB), where isolated-vm's limit is the
 * isolate's whole heap: the same H is not the same amount of guest data,
 * and the row's note says so.
 *
 * Spawning is outside the timing: the clock starts at the call.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { memory } from '@cathedral/powerbox';
import type { Host } from '@cathedral/runtime';
import { type End, spawnedEnd, threadCpuNs, waitGone } from './affinity.js';
import { loadIvm } from './peers.js';
import type { BudgetProfile } from './profile.js';
import type { RemoteTier } from './raw-tier.js';
import { type Row, makeRow } from './row.js';
import { type Figure, interleave, summarize } from './stats.js';

const SPIN = 'export const run = () => { for (;;) {} };';
const BOMB_BODY = 'const keep = []; for (let i = 0; ; i += 1) keep.push(Array.from({ length: 1000 }, (_, j) => ({ i, j })));';
const BOMB = `export const run = () => { ${BOMB_BODY} };`;

interface Ended {
  readonly reason: string;
  /** CPU charged to the budget at the decision plus the thread's CPU after it, ms. */
  readonly cpuMs: number | undefined;
  /** The part after the decision, ms. */
  readonly afterMs: number | undefined;
  /** From the call to the realm's end, ms. */
  readonly wallMs: number;
}

const sinceMs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** Spawns a realm running `source`, calls `run`, and waits for the realm to end. */
const runToEnd = async (host: Host, tier: RemoteTier, source: string, budget: { cpuMs?: number; heapMb?: number }): Promise<Ended> => {
  let realmName: string | undefined;
  let end: End | undefined;
  let decided: { cpuMs?: unknown; threadNs: number | undefined } | undefined;
  const listener = (message: unknown) => {
    const m = message as { event?: unknown; realm?: unknown; cpuMs?: unknown };
    if (m.event === 'ended' && m.realm === realmName && decided === undefined) {
      decided = { cpuMs: m.cpuMs, threadNs: end === undefined ? undefined : threadCpuNs(end) };
    }
  };
  subscribe('cathedral:supervision', listener);
  try {
    const spawned = await spawnedEnd(() => host.spawn({ tier, main: 'app://main.js', realms: { app: memory({ 'main.js': source }) }, budget }));
    const realm = spawned.value;
    realmName = realm.name;
    end = spawned.end;
    const watched = end;
    let last: number | undefined;
    const poll = setInterval(() => {
      const now = watched === undefined ? undefined : threadCpuNs(watched);
      if (now !== undefined) last = now;
    }, 1);
    const start = process.hrtime.bigint();
    let wallMs = Number.NaN;
    try {
      await realm.call('run').catch(() => {});
      await realm.done;
      wallMs = sinceMs(start);
      // Until the thread is gone, so the last reading is its last CPU.
      await waitGone(watched);
    } finally {
      clearInterval(poll);
    }
    const { reason } = await realm.done;
    const at = decided;
    if (at === undefined || typeof at.cpuMs !== 'number') return { reason, wallMs, cpuMs: undefined, afterMs: undefined };
    // Killed by the native watchdog before the supervisor published its end: the
    // kill was the decision, at the reading published, and nothing of the guest ran after it.
    if (at.threadNs === undefined || last === undefined) return { reason, wallMs, cpuMs: at.cpuMs, afterMs: 0 };
    const afterMs = Math.max(0, last - at.threadNs) / 1e6;
    return { reason, wallMs, cpuMs: at.cpuMs + afterMs, afterMs };
  } finally {
    unsubscribe('cathedral:supervision', listener);
  }
};

interface IvmEnd {
  readonly message: string;
  readonly cpuMs: number;
  readonly wallMs: number;
}

/** Runs `body` in a fresh isolate until it throws (timeout or memory limit). */
const ivmToEnd = async (body: string, options: { timeout?: number; memoryLimit: number }): Promise<IvmEnd> => {
  const ivm = loadIvm();
  const isolate = new ivm.Isolate({ memoryLimit: options.memoryLimit });
  const context = await isolate.createContext();
  const before = isolate.cpuTime;
  const start = process.hrtime.bigint();
  let message = 'returned';
  try {
    await context.eval(body, options.timeout === undefined ? {} : { timeout: options.timeout });
  } catch (error) {
    message = String((error as Error).message);
  }
  const wallMs = sinceMs(start);
  const cpuMs = isolate.isDisposed ? Number.NaN : Number(isolate.cpuTime - before) / 1e6;
  if (!isolate.isDisposed) isolate.dispose();
  return { message, cpuMs, wallMs };
};

const expectReason = (tier: RemoteTier, got: string, want: string): void => {
  if (got !== want) throw new Error(`budget benchmark: the ${tier} realm ended with "${got}", not "${want}"`);
};

export const benchBudget = async (host: Host, tier: RemoteTier, profile: BudgetProfile): Promise<readonly Row[]> => {
  const { cpuMs: B, heapMb: H } = profile;
  const spin = await interleave<Ended | IvmEnd>(
    { rounds: profile.rounds, warmup: 0 },
    async () => {
      const ended = await runToEnd(host, tier, SPIN, { cpuMs: B });
      expectReason(tier, ended.reason, 'budget: cpu');
      if (ended.cpuMs === undefined) throw new Error(`budget benchmark: no CPU reading of the ${tier} realm (needs the supervision channel's cpuMs and /proc)`);
      return ended;
    },
    async () => {
      const ended = await ivmToEnd('for (;;) {}', { timeout: B, memoryLimit: 64 });
      if (!/timed out/i.test(ended.message)) throw new Error(`budget benchmark: isolated-vm's spin ended with "${ended.message}"`);
      return ended;
    },
  );
  const bomb = await interleave<Ended | IvmEnd>(
    { rounds: profile.rounds, warmup: 0 },
    async () => {
      const ended = await runToEnd(host, tier, BOMB, { heapMb: H });
      expectReason(tier, ended.reason, 'budget: heap');
      return ended;
    },
    async () => {
      const ended = await ivmToEnd(BOMB_BODY, { memoryLimit: H });
      if (!/memory limit/i.test(ended.message)) throw new Error(`budget benchmark: isolated-vm's bomb ended with "${ended.message}"`);
      return ended;
    },
  );
  const pick = <T>(items: readonly T[], get: (item: T) => number | undefined): Figure => summarize(items.map(item => get(item) ?? Number.NaN));
  const peer = 'peer: isolated-vm isolate';
  const digitsMs = <T>(items: readonly T[], get: (item: T) => number | undefined): string =>
    `median ${pick(items, get).median.toFixed(2)} ms`;
  return [
    makeRow({
      id: `budget-cpu-${tier}`,
      title: `${tier} tier: CPU a spinning guest gets, ${B} ms budget`,
      unit: 'ms',
      ours: pick(spin.ours, e => e.cpuMs),
      peer,
      baseline: pick(spin.baseline, e => e.cpuMs),
      target: { kind: 'context' },
      note: `overshoot = figure − ${B}. Ours: budget { cpuMs: ${B} }, the CPU the supervisor had charged when it ended the realm with "budget: cpu", plus what the guest's JS thread got after that until it was gone (bench's /proc reading; ${digitsMs(spin.ours, e => (e as Ended).afterMs)} of the figure). Peer: isolate.cpuTime over context.eval('for (;;) {}', { timeout: ${B} }) (a wall-clock timeout)`,
    }),
    makeRow({
      id: `budget-cpu-wall-${tier}`,
      title: `${tier} tier: call to stop, spinning, ${B} ms budget`,
      unit: 'ms',
      ours: pick(spin.ours, e => e.wallMs),
      peer,
      baseline: pick(spin.baseline, e => e.wallMs),
      target: { kind: 'context' },
      note: `wall time from the call to the realm's end (realm.done) vs from context.eval to its timeout rejection; an upper bound on the CPU each guest got`,
    }),
    makeRow({
      id: `budget-heap-${tier}`,
      title: `${tier} tier: heap bomb to stop, ${H} MB budget`,
      unit: 'ms',
      ours: pick(bomb.ours, e => e.wallMs),
      peer,
      baseline: pick(bomb.baseline, e => e.wallMs),
      target: { kind: 'context' },
      note: `from the call to the realm ended with "budget: heap" (budget { heapMb: ${H} }: an old-space limit of ${H} + 32 MB for the guest runtime, which holds ~22 MB) vs from context.eval to the rejection of an isolate with memoryLimit: ${H} (its whole heap); the bomb pushes arrays of 1,000 small objects`,
    }),
  ];
};

/**
 * Where the two ends of a cross-thread benchmark run, and pinning them.
 *
 * On a 2-vCPU VM a message between two threads costs very different amounts
 * depending on whether both ends share one CPU (a context switch on that
 * CPU) or sit on two (a cross-CPU wake-up through the hypervisor), and the
 * scheduler moves threads between the two cases at will. A ratio is only
 * meaningful within one case, so the tier rows pin: the bench's own thread
 * and the guest's thread (or every thread of the guest's process) to one CPU
 * (`one-cpu`), or to two different CPUs (`two-cpus`), with `taskset`. After
 * every round the CPU each end last ran on (field 39 of
 * `/proc/<pid>/task/<tid>/stat`) is sampled, and the row says what was seen.
 *
 * Only single threads the bench owns (its own, a guest's) and its own child
 * processes are pinned, never the whole host process: under ava other test
 * files share it. Without `taskset` or `/proc` (not Linux), nothing is
 * pinned and the placement is reported as sampled, or unknown.
 *
 * Which thread or process a guest is: a realm's, as the runtime publishes it
 * on the `cathedral:supervision` diagnostics channel; the baseline guest's,
 * as it reports it when ready; failing both, the busiest new thread or the
 * new child (`guestSince`).
 *
 * Also the resident size of a guest process (`rssKiBOf`) and the CPU time of
 * a guest's thread (`threadCpuNs`), for the memory and budget rows, and
 * whether a warm pool's children have finished starting (`childrenQuiet`),
 * for the warm spawn rows.
 *
 * The only module of the bench that reads `/proc` or runs `taskset`.
 */
import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export type Mode = 'one-cpu' | 'two-cpus';

/** One end of a benchmark: a thread, or a whole process (all its threads). */
export type End =
  | { readonly kind: 'thread'; readonly pid: number; readonly tid: number }
  | { readonly kind: 'process'; readonly pid: number };

/** This thread (the main thread, or an ava worker thread running the bench). */
export const selfThread = (): End | undefined => {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) ? { kind: 'thread', pid: process.pid, tid } : undefined;
  } catch {
    return undefined;
  }
};

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Runs `start` (a spawn) and tells which thread or process the realm it made
 * runs in, from the runtime's `started` supervision event for that realm, or
 * by `guestSince` when none came.
 */
export const spawnedEnd = async <T extends { readonly name: string }>(start: () => Promise<T>): Promise<{ value: T; end: End | undefined }> => {
  const seen: Array<{ realm?: unknown; event?: unknown; tid?: unknown; pid?: unknown }> = [];
  const listener = (message: unknown) => {
    if (typeof message === 'object' && message !== null) seen.push(message as (typeof seen)[number]);
  };
  const before = snapshot();
  subscribe('cathedral:supervision', listener);
  let value: T;
  try {
    value = await start();
  } finally {
    unsubscribe('cathedral:supervision', listener);
  }
  const started = seen.find(m => m.event === 'started' && m.realm === value.name);
  if (typeof started?.tid === 'number') return { value, end: { kind: 'thread', pid: process.pid, tid: started.tid } };
  if (typeof started?.pid === 'number') return { value, end: { kind: 'process', pid: started.pid } };
  return { value, end: guestSince(before) };
};

/** Thread ids of this process. */
export const threadIds = (): readonly number[] => {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [];
  }
};

/** Child processes forked by this thread. */
export const childPids = (): readonly number[] => {
  const self = selfThread();
  if (self?.kind !== 'thread') return [];
  const text = read(`/proc/self/task/${self.tid}/children`);
  return text === undefined ? [] : text.trim().split(/\s+/).filter(Boolean).map(Number);
};

/** Fields of a `stat` line from field 3 on (after the parenthesised name, which may hold spaces). */
const statFields = (path: string): readonly string[] | undefined => {
  const text = read(path);
  if (text === undefined) return undefined;
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
};

/** user + system CPU time of a thread of this process, in clock ticks. */
export const threadTicks = (tid: number): number => {
  const fields = statFields(`/proc/self/task/${tid}/stat`);
  return fields === undefined ? 0 : Number(fields[11]) + Number(fields[12]);
};

/** The CPU an end last ran on (stat field 39), or undefined. */
const lastCpu = (end: End): number | undefined => {
  const tid = end.kind === 'thread' ? end.tid : end.pid;
  const fields = statFields(`/proc/${end.pid}/task/${tid}/stat`);
  const cpu = Number(fields?.[36]);
  return Number.isInteger(cpu) ? cpu : undefined;
};

const taskset = (args: readonly string[]): string | undefined => {
  try {
    return execFileSync('taskset', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
};

/** The CPUs an end may run on, or undefined when taskset is missing. */
const allowedCpus = (end: End): readonly number[] | undefined => {
  const id = String(end.kind === 'thread' ? end.tid : end.pid);
  const out = taskset(['-c', '-p', id]);
  const list = out?.split(':').pop()?.trim();
  if (list === undefined || list === '') return undefined;
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [lo, hi] = part.split('-').map(Number) as [number, number | undefined];
    for (let cpu = lo; cpu <= (hi ?? lo); cpu += 1) cpus.push(cpu);
  }
  return cpus;
};

const pin = (end: End, cpus: string): boolean =>
  end.kind === 'thread'
    ? taskset(['-c', '-p', cpus, String(end.tid)]) !== undefined
    : taskset(['-a', '-c', '-p', cpus, String(end.pid)]) !== undefined;

export interface Placement {
  /** Pins the host end and every guest end for `mode`; false when it could not (an unknown guest included). */
  pinFor(mode: Mode, guests: readonly (End | undefined)[]): boolean;
  /** Samples where the host end and each guest end last ran. */
  sample(): void;
  /** What was pinned and what the samples since the last `pinFor` showed. */
  describe(): string;
  /** Gives the host end back its original CPUs. */
  restore(): void;
}

export const makePlacement = (): Placement => {
  const host = selfThread();
  const original = host === undefined ? undefined : allowedCpus(host);
  let mode: Mode | undefined;
  let pinned = false;
  let guests: readonly End[] = [];
  let same = 0;
  let split = 0;
  let unknown = 0;

  return {
    pinFor: (wanted, maybe) => {
      mode = wanted;
      const ends = maybe.filter((end): end is End => end !== undefined);
      guests = ends;
      same = 0;
      split = 0;
      unknown = 0;
      const [a, b] = original ?? [];
      pinned = false;
      if (host === undefined || a === undefined || b === undefined || ends.length < maybe.length) return false;
      const guestCpu = wanted === 'one-cpu' ? a : b;
      pinned = pin(host, String(a)) && ends.every(end => pin(end, String(guestCpu)));
      return pinned;
    },
    sample: () => {
      const at = host === undefined ? undefined : lastCpu(host);
      for (const end of guests) {
        const there = lastCpu(end);
        if (at === undefined || there === undefined) unknown += 1;
        else if (at === there) same += 1;
        else split += 1;
      }
    },
    describe: () => {
      const seen = `sampled after each round: same CPU ${same}, different CPUs ${split}${unknown > 0 ? `, unknown ${unknown}` : ''}`;
      if (!pinned) return `not pinned (no taskset, /proc, second CPU, or a guest's id); ${seen}`;
      return `${mode === 'one-cpu' ? 'pinned to one CPU (host thread and guest together)' : 'pinned to two CPUs (host thread on one, guest on the other)'}; ${seen}`;
    },
    restore: () => {
      if (host !== undefined && original !== undefined) pin(host, original.join(','));
      pinned = false;
    },
  };
};

/** What exists before a guest starts, to tell its thread or process afterwards. */
export interface Before {
  readonly threads: readonly number[];
  readonly children: readonly number[];
}

export const snapshot = (): Before => ({ threads: threadIds(), children: childPids() });

/**
 * The guest started since `before`: a child process of this thread if there
 * is a new one, else the new thread of this process that has used the most
 * CPU (a guest has just locked down and answered; under ava, other test
 * files' threads may be new too, but idle by comparison).
 */
export const guestSince = (before: Before): End | undefined => {
  const children = new Set(before.children);
  const child = childPids().find(pid => !children.has(pid));
  if (child !== undefined) return { kind: 'process', pid: child };
  const threads = new Set(before.threads);
  let best: { tid: number; ticks: number } | undefined;
  for (const tid of threadIds()) {
    if (threads.has(tid)) continue;
    const ticks = threadTicks(tid);
    if (best === undefined || ticks > best.ticks) best = { tid, ticks };
  }
  return best === undefined ? undefined : { kind: 'thread', pid: process.pid, tid: best.tid };
};

/** Waits until a stopped guest's thread or process has gone, or `ms` pass. */
export const waitGone = async (end: End | undefined, ms = 3000): Promise<void> => {
  if (end === undefined) return;
  const deadline = Date.now() + ms;
  const alive = () => (end.kind === 'thread' ? threadIds().includes(end.tid) : childPids().includes(end.pid));
  while (alive() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 2));
};

/** Resident set size of a process, KiB (`VmRSS` of `/proc/<pid>/status`), or undefined when it is gone. */
export const rssKiBOf = (pid: number): number | undefined => {
  const line = read(`/proc/${pid}/status`)?.split('\n').find(l => l.startsWith('VmRSS:'));
  const kib = Number(line?.split(/\s+/)[1]);
  return Number.isFinite(kib) ? kib : undefined;
};

/**
 * CPU time of an end's main thread (a worker's thread, a process's main thread), ns,
 * from `/proc/<pid>/task/<tid>/schedstat`; undefined once it is gone.
 */
export const threadCpuNs = (end: End): number | undefined => {
  const tid = end.kind === 'thread' ? end.tid : end.pid;
  const ns = Number(read(`/proc/${end.pid}/task/${tid}/schedstat`)?.split(' ')[0]);
  return Number.isFinite(ns) ? ns : undefined;
};

/** user + system CPU time of a whole process (all its threads), in clock ticks; undefined once it is gone. */
const processTicks = (pid: number): number | undefined => {
  const fields = statFields(`/proc/${pid}/stat`);
  return fields === undefined ? undefined : Number(fields[11]) + Number(fields[12]);
};

/**
 * Waits until this thread has at least `count` child processes and none of
 * them used CPU for `quietMs` (at most `maxMs`): a warm pool's refill has
 * finished starting, so it does not compete with the next timed contender.
 * Answers whether they went quiet in time.
 */
export const childrenQuiet = async (count: number, quietMs = 100, maxMs = 15_000): Promise<boolean> => {
  const deadline = Date.now() + maxMs;
  const sample = () => {
    const pids = [...childPids()].sort((a, b) => a - b);
    return `${pids.join()}:${pids.map(pid => processTicks(pid) ?? -1).join()}`;
  };
  let last = sample();
  while (Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, quietMs));
    const now = sample();
    if (now === last && childPids().length >= count) return true;
    last = now;
  }
  return false;
};

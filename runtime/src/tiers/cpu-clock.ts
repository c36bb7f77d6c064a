/**
 * CPU time of a guest thread or process, read from Linux's `/proc`:
 * `schedstat`'s first field is the nanoseconds a task has run. For a
 * process, the sum over its tasks (its JavaScript thread, and V8's helpers).
 * And a watchdog that calls back once such a clock passes a limit.
 *
 * A clock returns undefined where `/proc` is missing: the spawn then reports
 * that its CPU budget is not enforceable here rather than pretending. The
 * watchdog only calls back, from the host's event loop: a host that blocks
 * its own loop for 300 ms lets a spinning guest run some 300 ms past its
 * budget (the process tier needs a kernel limit or a watchdog thread of its
 * own to close that; neither is here).
 */
import { readFileSync, readdirSync } from 'node:fs';

const readNs = (path: string): number | undefined => {
  try {
    const text = readFileSync(path, 'latin1');
    const ns = Number(text.slice(0, text.indexOf(' ')));
    return Number.isFinite(ns) ? ns : undefined;
  } catch {
    return undefined;
  }
};

/** A clock for one thread of this process (a worker). */
export const threadClock = (tid: number): (() => number | undefined) => {
  const path = `/proc/self/task/${tid}/schedstat`;
  return () => readNs(path);
};

/** A clock for a whole child process: its tasks, summed. */
export const processClock = (pid: number): (() => number | undefined) => () => {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let total = 0;
  for (const task of tasks) total += readNs(`/proc/${pid}/task/${task}/schedstat`) ?? 0;
  return total;
};

export const cpuClockAvailable = (): boolean => readNs('/proc/self/schedstat') !== undefined;

export interface CpuWatch {
  /** How many CPUs the clock's tasks can run on at once: 1 for a thread. */
  readonly parallelism: number;
  /** The shortest wait between two readings. */
  readonly minMs: number;
}

/** The longest wait between two readings, whatever the budget left. */
const MAX_WAIT_MS = 1_000;

/**
 * Calls `exceeded(reading)` once `clock` reads more than `limit` ns; the
 * returned function stops watching. The guest cannot spend what is left of
 * its budget in less than `left / parallelism` of wall time, so the next
 * reading comes after half that (a timer fires late, never early), and
 * every `minMs` once that is shorter: a guest far from its limit costs the
 * host a few readings a second, not one per millisecond (a reading of a
 * process clock is a directory listing and a file per thread), and the last
 * milliseconds are watched as closely as before.
 */
export const watchCpu = (clock: () => number | undefined, limit: number, { parallelism, minMs }: CpuWatch, exceeded: (reading: number) => void): (() => void) => {
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const now = clock();
    if (now !== undefined && now > limit) {
      timer = undefined;
      exceeded(now);
      return;
    }
    // An unreadable clock means the task is going: its exit ends the realm.
    const leftMs = now === undefined ? 0 : (limit - now) / 1e6;
    timer = setTimeout(check, Math.min(MAX_WAIT_MS, Math.max(minMs, Math.floor(leftMs / parallelism / 2))));
    timer.unref();
  };
  check();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
};

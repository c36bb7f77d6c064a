/**
 * CPU time of a guest thread or process, read from Linux's `/proc`:
 * `schedstat`'s first field is the nanoseconds a task has run. For a
 * process, the sum over its tasks (its JavaScript thread, and V8's helpers).
 *
 * Returns undefined where `/proc` is missing: the spawn then reports that
 * its CPU budget is not enforceable here rather than pretending.
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

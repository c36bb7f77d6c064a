/**
 * CPU clocks for the budget watchdog: of a thread of this process by its
 * tid (a worker reports its own with `currentTid()`), and of a child process
 * by pid. Read through the addon's clock_gettime on the kernel's CPU clock
 * ids; nanosecond resolution, no /proc parsing.
 *
 * Without the addon: `currentTid()` still answers (from /proc/thread-self),
 * and `procCpuNs(pid)` reads /proc/<pid>/stat at clock-tick resolution
 * (usually 10 ms), which is what the runtime's watchdog used before.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { UnsupportedError } from '@cathedral/sdk';
import { addon, addonStatus } from './addon.js';

const absent = (operation: string): UnsupportedError => {
  const status = addonStatus();
  return new UnsupportedError({
    operation,
    problem: `the kernel-native addon is ${status.loaded ? 'loaded' : status.reason}`,
    rule: 'nanosecond CPU clocks need the addon',
    allow: 'build it with node packages/kernel-native/scripts/build-native.mjs, or use procCpuNs',
  });
};

/** The tid of the calling thread (call it inside a worker and report it to the host). */
export const currentTid = (): number => {
  const native = addon();
  if (native !== undefined) return native.currentTid();
  // /proc/thread-self -> "<pid>/task/<tid>"
  const link = readlinkSync('/proc/thread-self');
  return Number(link.slice(link.lastIndexOf('/') + 1));
};

/** CPU ns used by thread `tid` of this process; undefined once the thread is gone. */
export const threadCpuNs = (tid: number): number | undefined => {
  const native = addon();
  if (native === undefined) throw absent('threadCpuNs');
  const ns = native.threadCpuNs(tid);
  return typeof ns === 'number' ? ns : undefined;
};

/** CPU ns used by process `pid` (all its threads); undefined once it is gone (or not visible). */
export const processCpuNs = (pid: number): number | undefined => {
  const native = addon();
  if (native === undefined) throw absent('processCpuNs');
  const ns = native.processCpuNs(pid);
  return typeof ns === 'number' ? ns : undefined;
};

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux everywhere). */
const USER_HZ = 100;

/** CPU ns of process `pid` from /proc/<pid>/stat (utime + stime), at tick resolution; undefined when gone. */
export const procCpuNs = (pid: number): number | undefined => {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1e9) / USER_HZ : undefined;
};

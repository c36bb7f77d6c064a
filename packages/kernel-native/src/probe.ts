/**
 * Probes of what this machine offers the kernel wall: Landlock ABI, seccomp,
 * openat2, root, no_new_privs. With the addon the answers come from the
 * system calls themselves; without it, from `/proc/self/status` and
 * `process.geteuid()` where those can tell, and `undefined` where they cannot.
 *
 * This module only looks; it changes nothing in the process.
 */
import { readFileSync } from 'node:fs';
import { addon } from './addon.js';

export interface Probe {
  /** Where the answers came from. */
  readonly source: 'addon' | 'proc';
  /** Landlock ABI version (0: absent or disabled); undefined when it could not be asked. */
  readonly landlockAbi: number | undefined;
  readonly landlockError: string | undefined;
  /** This thread's seccomp mode: 0 none, 1 strict, 2 filter. */
  readonly seccompMode: number | undefined;
  /** Whether seccomp filters (with SECCOMP_RET_KILL_PROCESS) can be installed. */
  readonly seccompFilter: boolean | undefined;
  readonly openat2: boolean | undefined;
  readonly openat2Error: string | undefined;
  readonly root: boolean;
  readonly noNewPrivs: boolean | undefined;
}

/** A field of /proc/self/status, e.g. `Seccomp`, or undefined. */
export const statusField = (name: string, status?: string): string | undefined => {
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return undefined;
    }
  }
  const line = text.split('\n').find(l => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
};

const numberOr = (text: string | undefined): number | undefined => {
  const n = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(n) ? n : undefined;
};

export const probe = (): Probe => {
  const native = addon();
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  if (native === undefined) {
    const nnp = numberOr(statusField('NoNewPrivs'));
    return Object.freeze({
      source: 'proc' as const,
      landlockAbi: undefined,
      landlockError: 'the addon is not loaded',
      seccompMode: numberOr(statusField('Seccomp')),
      seccompFilter: undefined,
      openat2: undefined,
      openat2Error: 'the addon is not loaded',
      root: euid === 0,
      noNewPrivs: nnp === undefined ? undefined : nnp === 1,
    });
  }
  const landlock = native.probeLandlock();
  const seccomp = native.probeSeccomp();
  const openat2 = native.probeOpenat2();
  const who = native.probeIdentity();
  return Object.freeze({
    source: 'addon' as const,
    landlockAbi: landlock.abi,
    landlockError: landlock.error ?? undefined,
    seccompMode: seccomp.mode < 0 ? undefined : seccomp.mode,
    seccompFilter: seccomp.filter,
    openat2: openat2.available,
    openat2Error: openat2.error ?? undefined,
    root: who.euid === 0,
    noNewPrivs: who.noNewPrivs === 1,
  });
};

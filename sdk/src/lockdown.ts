/**
 * The one lockdown every Cathedral host (and every test worker) runs under.
 *
 * `errorTaming: 'safe'` keeps stack frames, which name host files, out of
 * guests' reach; the host still reads stacks through `getStackString`.
 * Locking down twice is harmless here; an application that already locked
 * down with options that would weaken guests gets a `LockdownError`.
 */
import './shims.js';
import { LockdownError } from './errors.js';

export const lockdownOptions = Object.freeze({
  errorTaming: 'safe',
  overrideTaming: 'moderate',
  consoleTaming: 'safe',
  stackFiltering: 'concise',
  domainTaming: 'safe',
  evalTaming: 'safe-eval',
} as const);

/** True once this realm's intrinsics are frozen by SES. */
export const isLockedDown = (): boolean =>
  typeof (globalThis as { harden?: unknown }).harden === 'function' && Object.isFrozen(Array.prototype);

/** Checks that a lockdown done by someone else still protects guests. */
const checkCompatible = (): void => {
  const probe = new Compartment();
  const stack = probe.evaluate(`new Error('probe').stack`) as unknown;
  if (typeof stack === 'string' && stack.length > 0) {
    throw new LockdownError({
      operation: 'createHost',
      problem: 'the application locked down with errorTaming other than "safe", so guests could read stack frames naming host files',
      rule: 'guests never see host paths',
      allow: "call lockdown({ errorTaming: 'safe' }) or let createHost() lock down",
    });
  }
};

/** Locks down this realm once; later calls only check compatibility. */
export const ensureLockdown = (): void => {
  if (isLockedDown()) {
    checkCompatible();
    return;
  }
  lockdown(lockdownOptions);
};


/** The host-side stack of an error; guests never see stacks. */
export const stackOf = (error: unknown): string => {
  const get = (globalThis as { getStackString?: (e: object) => string }).getStackString;
  if (typeof error !== 'object' || error === null) return '';
  return get === undefined ? String((error as { stack?: unknown }).stack ?? '') : get(error);
};

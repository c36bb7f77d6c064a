/**
 * The one lockdown every Cathedral host (and every test worker) runs under.
 *
 * The lockdown itself happens on import (./lockdown-now.ts); this module
 * reports an incompatible earlier one as a typed error and reads host-side
 * stacks. `errorTaming: 'safe'` keeps stack frames, which name host files,
 * out of guests' reach; the host still reads them through `getStackString`.
 */
import { incompatibility, isLockedDown, lockdownOptions } from './lockdown-now.js';
import { LockdownError } from './errors.js';

export { isLockedDown, lockdownOptions };

/** Refuses to go on under a lockdown that would weaken guests; idempotent. */
export const ensureLockdown = (): void => {
  if (incompatibility === undefined) return;
  throw new LockdownError({
    operation: 'lockdown',
    problem: incompatibility,
    rule: 'guests never see host paths',
    allow: "call lockdown({ errorTaming: 'safe' }), or import a Cathedral package before locking down",
  });
};

/** The host-side stack of an error; guests never see stacks. */
export const stackOf = (error: unknown): string => {
  const get = (globalThis as { getStackString?: (e: object) => string }).getStackString;
  if (typeof error !== 'object' || error === null) return '';
  return get === undefined ? String((error as { stack?: unknown }).stack ?? '') : get(error);
};

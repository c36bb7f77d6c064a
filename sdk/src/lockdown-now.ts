/**
 * Locks the realm down, or checks a lockdown already done, as soon as it is
 * imported — before any class of this package is defined, so that the
 * error classes extend the powerless `Error` of compartments and not V8's
 * original one (whose `prepareStackTrace` a guest could otherwise reach
 * through `error.constructor`).
 *
 * It imports no other module of this package: an incompatible earlier
 * lockdown is only recorded here, and `ensureLockdown()` reports it as a
 * typed `LockdownError`.
 */
import 'ses';
import '@endo/eventual-send/shim.js';

/**
 * `overrideTaming: 'severe'`: every property of `Object.prototype` (and the
 * other prototypes SES lists) can be shadowed by assignment on an ordinary
 * object. Under 'moderate', assigning `constructor` to a fresh record threw
 * (the override mistake), and Node's own HTTP code does that with header
 * names: a request header named `constructor` killed any HTTP server in a
 * locked-down host (uncaught, inside Node's parser), as a response header
 * did the net capability's client. The frozen intrinsics stay frozen: the
 * properties become accessors whose setter defines an own property on the
 * object assigned to, never on the prototype.
 */
export const lockdownOptions = Object.freeze({
  errorTaming: 'safe',
  overrideTaming: 'severe',
  consoleTaming: 'safe',
  stackFiltering: 'concise',
  domainTaming: 'safe',
  evalTaming: 'safe-eval',
} as const);

/** True once this realm's intrinsics are frozen by SES. */
export const isLockedDown = (): boolean =>
  typeof (globalThis as { harden?: unknown }).harden === 'function' && Object.isFrozen(Array.prototype);

const probeIncompatibility = (): string | undefined => {
  const stack = new Compartment().evaluate(`new Error('probe').stack`) as unknown;
  if (typeof stack === 'string' && stack.length > 0) {
    return 'the application locked down with errorTaming other than "safe", so guests could read stack frames naming host files';
  }
  return undefined;
};

/** Why an earlier lockdown is not one Cathedral can host guests under, if it is not. */
export const incompatibility: string | undefined = isLockedDown() ? probeIncompatibility() : (lockdown(lockdownOptions), undefined);

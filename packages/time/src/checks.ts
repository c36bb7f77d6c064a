/**
 * Checks of what a guest passes to the time and randomness capabilities.
 *
 * Arguments come straight from guest code (at the compartment tier, its own
 * objects), so nothing here converts them: no `Number(x)`, no `String(x)`,
 * no `JSON.stringify` of an object, any of which would run guest code in
 * the host. A value is accepted only when `typeof` already says it is right.
 */
import { InvalidArgumentError } from '@cathedral/sdk';

/** The longest delay a host timer takes (Node's, and the web's, 2^31 - 1 ms). */
export const MAX_DELAY_MS = 2147483647;

/** How a rejected value is named in a message, without running any of its code. */
export const describe = (value: unknown): string =>
  typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null
    ? String(value)
    : typeof value === 'string'
      ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
      : `${/^[aeiou]/.test(typeof value) ? 'an' : 'a'} ${typeof value}`;

export interface Where {
  readonly operation: string;
  readonly realm?: string | undefined;
}

/** A delay in milliseconds: a finite number from 0 to `MAX_DELAY_MS`. */
export const checkDelay = (value: unknown, where: Where): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS) {
    throw new InvalidArgumentError({
      operation: where.operation,
      target: 'ms',
      realm: where.realm,
      problem: `a delay is a number of milliseconds from 0 to ${MAX_DELAY_MS}, got ${describe(value)}`,
      rule: 'timers take plain numbers',
      allow: `pass a number from 0 to ${MAX_DELAY_MS}`,
    });
  }
  return value;
};

/** A whole number from `min` to `max`, for lengths and counts. */
export const checkCount = (value: unknown, min: number, max: number, target: string, where: Where, allow: string): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError({
      operation: where.operation,
      target,
      realm: where.realm,
      problem: `${target} is a whole number from ${min} to ${max}, got ${describe(value)}`,
      rule: `${where.operation} takes at most ${max}`,
      allow,
    });
  }
  return value;
};

/** A callback: a guest function (compartment tier) or a presence of one (worker, process). */
export const checkCallback = (value: unknown, where: Where): object => {
  if (typeof value === 'function' || (typeof value === 'object' && value !== null)) return value;
  throw new InvalidArgumentError({
    operation: where.operation,
    target: 'callback',
    realm: where.realm,
    problem: `the callback must be a function, got ${describe(value)}`,
    rule: 'a timer calls a function the guest passes',
    allow: 'pass a function: timers.setTimeout(() => { … }, ms)',
  });
};

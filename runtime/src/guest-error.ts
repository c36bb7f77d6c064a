/**
 * Errors thrown by guest code, as the host receives them.
 *
 * A guest's thrown value is a guest object: it may be a Proxy, carry getters
 * or lie about its class. The host never keeps it: it reads own data
 * properties only, turns the rest into text with the realm's own formatter,
 * and finds the guest location (`app://main.js:3:9`) in the host-side stack.
 * Errors the host's own classes made (a refusal the guest let through) pass
 * as they are.
 */
import type { ErrorDetails } from '@cathedral/sdk';
import { CathedralError, ErrorCodes, GuestError, makeError, stackOf } from '@cathedral/sdk';

/** Guest-facing copies of host errors, so a rethrown one is recognised. */
const madeForGuest = new WeakMap<object, CathedralError>();

/** True for an error already made guest-facing by `toGuestFacing`. */
export const isGuestFacing = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && madeForGuest.has(error);

/** The host error a guest-facing copy was made from, if it is one. */
export const originalOf = (error: unknown): CathedralError | undefined =>
  typeof error === 'object' && error !== null ? madeForGuest.get(error) : undefined;

/** Makes any error safe to throw into a guest: host refusals become guest-facing. */
export const forGuest = (error: unknown): unknown => (error instanceof CathedralError ? toGuestFacing(error) : error);

/**
 * The error a guest receives for a host refusal: a plain `Error` of the
 * guest's own intrinsics with the code and details as frozen data. Never an
 * instance of a host class (its constructor chain would lead to the host's
 * unfrozen, pre-lockdown `Error`), never a cause, never a stack.
 */
export const toGuestFacing = (error: CathedralError): Error => {
  const facing = new Error(error.message);
  const details: ErrorDetails = error.details();
  Object.defineProperties(facing, {
    name: { value: ErrorCodes[error.code], enumerable: false },
    code: { value: error.code, enumerable: true },
    operation: { value: details.operation, enumerable: true },
    target: { value: details.target, enumerable: true },
    realm: { value: details.realm, enumerable: true },
    problem: { value: details.problem, enumerable: true },
    rule: { value: details.rule, enumerable: true },
    allow: { value: details.allow, enumerable: true },
  });
  madeForGuest.set(facing, error);
  return harden(facing);
};

const FRAME = /\(?([a-z][a-z0-9+.-]*:\/\/[^\s)]*?:\d+:\d+)\)?/;

const ownString = (value: object, key: string): string | undefined => {
  try {
    const desc = Object.getOwnPropertyDescriptor(value, key);
    return desc !== undefined && 'value' in desc && typeof desc.value === 'string' ? desc.value : undefined;
  } catch {
    return undefined; // a Proxy's trap threw
  }
};

/** The first guest location in an error's stack, if any. */
export const guestLocation = (error: unknown): string | undefined => {
  let stack: string;
  try {
    stack = stackOf(error);
  } catch {
    return undefined;
  }
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME.exec(line);
    if (match !== null && !match[1]!.startsWith('file://')) return match[1];
  }
  return undefined;
};

export const fromGuest = (
  error: unknown,
  context: { realm: string; operation: string; format: (value: unknown) => string },
): Error => {
  // A thrown Proxy can trap anything, even `instanceof`: whatever throws
  // while classifying makes the value an unprintable guest error.
  try {
    return classify(error, context);
  } catch {
    return new GuestError({
      operation: context.operation,
      realm: context.realm,
      problem: 'the guest threw an unprintable value',
      rule: 'guest errors reach the host as reports, never as guest objects',
      guestName: 'thrown value',
      guestMessage: '[unprintable]',
    });
  }
};

const classify = (
  error: unknown,
  context: { realm: string; operation: string; format: (value: unknown) => string },
): Error => {
  if (error instanceof CathedralError) return error;
  if (typeof error === 'object' && error !== null) {
    const original = madeForGuest.get(error);
    if (original !== undefined) return makeError(original.code, original.details());
  }
  const isObject = typeof error === 'object' && error !== null;
  let guestName = 'Error';
  let guestMessage: string;
  if (isObject && error instanceof Error) {
    guestMessage = ownString(error, 'message') ?? '';
    try {
      guestName = typeof error.name === 'string' ? error.name : 'Error';
    } catch {
      guestName = 'Error';
    }
  } else {
    guestName = 'thrown value';
    guestMessage = context.format(error);
  }
  const location = isObject ? guestLocation(error) : undefined;
  return new GuestError({
    operation: context.operation,
    realm: context.realm,
    problem: `the guest threw ${guestName}: ${guestMessage}${location === undefined ? '' : ` (at ${location})`}`,
    rule: 'guest errors reach the host as reports, never as guest objects',
    location,
    guestName,
    guestMessage,
  });
};

/**
 * Typed errors with stable codes, one wording everywhere:
 *
 *   <operation> "<target>" in realm "<realm>": <problem>. Rule: <rule>. To allow it: <allow>.
 *
 * Errors are recognised by `code` (see `isCathedralError`), never by
 * `instanceof`, because they cross compartments, threads and processes.
 * A message names the target as the guest wrote it and never a host path.
 *
 * This module does not redact or route errors; the runtime's gates do.
 */

import './lockdown-now.js';

/**
 * The powerless `Error` that compartments share (SES's %SharedError%): the
 * base of every class here, so `error.constructor` leads nowhere a guest
 * could use. Reached as `TypeError`'s parent, after lockdown.
 */
const SafeError = Object.getPrototypeOf(TypeError) as ErrorConstructor;

/** The frozen table of codes; each has a page under docs/errors/<CODE>.md. */
export const ErrorCodes = Object.freeze({
  NOT_FOUND: 'NotFoundError',
  PATH_ESCAPE: 'PathEscapeError',
  UNKNOWN_REALM: 'UnknownRealmError',
  MODULE_NOT_FOUND: 'ModuleNotFoundError',
  REVOKED: 'RevokedError',
  CEILING: 'CeilingError',
  BUDGET_EXCEEDED: 'BudgetExceededError',
  MINT: 'MintError',
  INVALID_ARGUMENT: 'InvalidArgumentError',
  WRONG_KIND: 'WrongKindError',
  EXISTS: 'ExistsError',
  NOT_EMPTY: 'NotEmptyError',
  UNSUPPORTED: 'UnsupportedError',
  LOCKDOWN: 'LockdownError',
  GUEST: 'GuestError',
  IO: 'IoError',
  REFUSED: 'RefusedError',
  LOCK_MISMATCH: 'LockMismatchError',
  MODULE_INVALID: 'ModuleInvalidError',
} as const);

export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorDetails {
  /** The operation that was refused, e.g. `read`, `spawn`, `import`. */
  readonly operation: string;
  /** The URI, path or name as the guest wrote it. */
  readonly target?: string | undefined;
  /** The realm on whose behalf the operation ran. */
  readonly realm?: string | undefined;
  /** What was wrong, in a few words. */
  readonly problem: string;
  /** The rule that refused it. */
  readonly rule: string;
  /** How to allow it, when there is a way. */
  readonly allow?: string | undefined;
  readonly cause?: unknown;
}

const formatMessage = (d: ErrorDetails): string => {
  const target = d.target === undefined ? '' : ` ${JSON.stringify(d.target)}`;
  const realm = d.realm === undefined ? '' : ` in realm ${JSON.stringify(d.realm)}`;
  const allow = d.allow === undefined ? '' : ` To allow it: ${d.allow}.`;
  return `${d.operation}${target}${realm}: ${d.problem}. Rule: ${d.rule}.${allow}`;
};

/** The base of every error this project throws. */
export class CathedralError extends SafeError {
  readonly code: ErrorCode;
  readonly operation: string;
  readonly target: string | undefined;
  readonly realm: string | undefined;
  readonly problem: string;
  readonly rule: string;
  readonly allow: string | undefined;

  constructor(code: ErrorCode, details: ErrorDetails) {
    super(formatMessage(details), details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.operation = details.operation;
    this.target = details.target;
    this.realm = details.realm;
    this.problem = details.problem;
    this.rule = details.rule;
    this.allow = details.allow;
  }

  override get name(): string {
    return ErrorCodes[this.code];
  }

  /** The details, as plain data that can cross any boundary. */
  details(): ErrorDetails {
    return {
      operation: this.operation,
      target: this.target,
      realm: this.realm,
      problem: this.problem,
      rule: this.rule,
      allow: this.allow,
    };
  }
}

const define = <C extends ErrorCode>(code: C) =>
  class extends CathedralError {
    constructor(details: ErrorDetails) {
      super(code, details);
    }
  };

export class NotFoundError extends define('NOT_FOUND') {}
export class PathEscapeError extends define('PATH_ESCAPE') {}
export class UnknownRealmError extends define('UNKNOWN_REALM') {}
export class ModuleNotFoundError extends define('MODULE_NOT_FOUND') {}
export class RevokedError extends define('REVOKED') {}
export class CeilingError extends define('CEILING') {}
export class BudgetExceededError extends define('BUDGET_EXCEEDED') {}
export class MintError extends define('MINT') {}
export class InvalidArgumentError extends define('INVALID_ARGUMENT') {}
export class WrongKindError extends define('WRONG_KIND') {}
export class ExistsError extends define('EXISTS') {}
export class NotEmptyError extends define('NOT_EMPTY') {}
export class UnsupportedError extends define('UNSUPPORTED') {}
export class LockdownError extends define('LOCKDOWN') {}
export class IoError extends define('IO') {}
export class RefusedError extends define('REFUSED') {}
export class LockMismatchError extends define('LOCK_MISMATCH') {}
export class ModuleInvalidError extends define('MODULE_INVALID') {}

/** An error thrown by guest code, as the host receives it. */
export class GuestError extends CathedralError {
  /** Where the guest threw, e.g. `app://main.js:3:9`, when known. */
  readonly location: string | undefined;
  /** The guest's own error name and message. */
  readonly guestName: string;
  readonly guestMessage: string;

  constructor(details: ErrorDetails & { location?: string | undefined; guestName?: string; guestMessage?: string }) {
    super('GUEST', details);
    this.location = details.location;
    this.guestName = details.guestName ?? 'Error';
    this.guestMessage = details.guestMessage ?? details.problem;
  }

  override details(): ErrorDetails & { location?: string | undefined; guestName: string; guestMessage: string } {
    return { ...super.details(), location: this.location, guestName: this.guestName, guestMessage: this.guestMessage };
  }
}

const byCode: { readonly [C in ErrorCode]: new (d: ErrorDetails) => CathedralError } = {
  NOT_FOUND: NotFoundError,
  PATH_ESCAPE: PathEscapeError,
  UNKNOWN_REALM: UnknownRealmError,
  MODULE_NOT_FOUND: ModuleNotFoundError,
  REVOKED: RevokedError,
  CEILING: CeilingError,
  BUDGET_EXCEEDED: BudgetExceededError,
  MINT: MintError,
  INVALID_ARGUMENT: InvalidArgumentError,
  WRONG_KIND: WrongKindError,
  EXISTS: ExistsError,
  NOT_EMPTY: NotEmptyError,
  UNSUPPORTED: UnsupportedError,
  LOCKDOWN: LockdownError,
  GUEST: GuestError,
  IO: IoError,
  REFUSED: RefusedError,
  LOCK_MISMATCH: LockMismatchError,
  MODULE_INVALID: ModuleInvalidError,
};

// Frozen, so no holder of an error can change a class or prototype that
// every other error shares.
harden(Object.values(byCode));

/** Makes a fresh error of the class for `code`. */
export const makeError = (code: ErrorCode, details: ErrorDetails): CathedralError => new byCode[code](details);

/** True for a code of the table. */
export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, value);

/** What every Cathedral error has, wherever it was made: a guest's copy has no methods. */
export interface CathedralErrorLike {
  readonly code: ErrorCode;
  readonly message: string;
  readonly operation: string;
  readonly target?: string | undefined;
  readonly realm?: string | undefined;
  readonly problem: string;
  readonly rule: string;
  readonly allow?: string | undefined;
  readonly cause?: unknown;
}

/**
 * True when `value` is a Cathedral error (optionally of `code`), whatever
 * compartment, thread or process made it.
 */
export const isCathedralError = (value: unknown, code?: ErrorCode): value is CathedralErrorLike => {
  if (typeof value !== 'object' || value === null) return false;
  const c: unknown = (value as { code?: unknown }).code;
  return isErrorCode(c) && (code === undefined || c === code);
};

/**
 * A copy of `error` with some details filled in or replaced: used by gates to
 * name the realm and the URI as the guest wrote it. The copy has no cause, so
 * nothing of the host travels with it.
 */
export const restate = (error: CathedralError, patch: Partial<ErrorDetails>): CathedralError =>
  makeError(error.code, { ...error.details(), ...patch, cause: undefined });

/**
 * What a run of the plugin host returns: plain, hardened host data, so a
 * caller (the CLI in ./main.ts, a test) can assert on it without parsing
 * what was printed.
 */
import type { Data } from './guest-data.js';

/** One escape attempt, as the hostile plugin reported it. */
export interface EscapeAttempt {
  readonly attempt: string;
  readonly outcome: 'refused' | 'succeeded';
  /** The error code that refused it (`PATH_ESCAPE`, `CEILING`, `TypeError`, `ABSENT`…), or `SUCCEEDED`. */
  readonly code: string;
  readonly detail: string;
}

interface Common {
  /** The plugin's folder name, also its realm name. */
  readonly name: string;
  /** Lines the plugin printed with `console`, in order. */
  readonly console: readonly string[];
}

/** A plugin returned a value. */
export interface ValueResult extends Common {
  readonly kind: 'value';
  /** How it was called, e.g. `run()` or `transform("hello")`. */
  readonly call: string;
  readonly value: Data;
}

/** A plugin returned a report of escape attempts (`{ attempts: [...] }`). */
export interface EscapesResult extends Common {
  readonly kind: 'escapes';
  readonly call: string;
  readonly attempts: readonly EscapeAttempt[];
}

/** A plugin could not be loaded or called, or threw. */
export interface FailedResult extends Common {
  readonly kind: 'failed';
  /** A Cathedral error code (`GUEST`, `MODULE_NOT_FOUND`, `BUDGET_EXCEEDED`…) or `NO_ENTRY`. */
  readonly code: string;
  /** The whole error message: operation, target, realm, problem, rule. */
  readonly message: string;
  /** Only what went wrong, e.g. `the guest threw TypeError: bad (at app://main.js:3:9)`. */
  readonly problem: string;
}

export type PluginResult = ValueResult | EscapesResult | FailedResult;

export interface Skipped {
  readonly name: string;
  readonly reason: string;
}

export interface PluginHostResult {
  /** In the order they ran (folder name order). */
  readonly plugins: readonly PluginResult[];
  readonly skipped: readonly Skipped[];
  readonly attempts: number;
  readonly refused: number;
  readonly succeeded: number;
  readonly failed: number;
  /** The host's own check: every file of the system root is as it was before the run. */
  readonly systemUnchanged: boolean;
  /** Limits the runtime reported as not enforced for these realms. */
  readonly notEnforced: readonly string[];
  /** True when no escape succeeded, no plugin failed and the system root is unchanged. */
  readonly ok: boolean;
}

export const assertNever = (value: never): never => {
  throw new TypeError(`unexpected value ${JSON.stringify(value)}`);
};

/**
 * What a run of the plugin host returns: plain, hardened host data, so a
 * caller (the CLI in ./main.ts, a test) can assert on it without parsing
 * what was printed.
 */
import type { Data } from './guest-data.js';
import type { PluginBudget } from './policy.js';

/** One escape attempt, as the plugin reported it. */
export interface EscapeAttempt {
  readonly attempt: string;
  readonly outcome: 'refused' | 'succeeded';
  /** The error code that refused it (`PATH_ESCAPE`, `CEILING`, `TypeError`, `ABSENT`…), or `SUCCEEDED`. */
  readonly code: string;
  readonly detail: string;
}

/** One read of a file, as the plugin reported it (see plugins/reader). */
export interface Read {
  readonly outcome: 'ok' | 'refused';
  /** `OK`, or the code that refused it (`REVOKED`…). */
  readonly code: string;
  /** The text read, or the refusal's message. */
  readonly text: string;
}

/** One fetch of a plugin that polls (see plugins/poller), as the plugin reported it. */
export interface Poll {
  /** The URL as the plugin spelled it. */
  readonly url: string;
  /** The plugin's clock when it fetched (ms since the epoch), as it read it. */
  readonly at: number | undefined;
  readonly status: number | undefined;
  readonly body: string;
}

/** One line under a plugin, in the order it happened: something the plugin printed, or the host did. */
export interface LogLine {
  readonly from: 'plugin' | 'host';
  readonly line: string;
}

/** A check the host made itself, rather than believe the plugin. */
export interface Check {
  readonly check: string;
  readonly passed: boolean;
}

/** How a realm was confined, as the host asked for it and the runtime reported it. */
export interface Limits {
  readonly tier: string;
  readonly budget: PluginBudget;
  readonly ceiling: readonly string[];
  /** What it holds beyond app:// and system://: `user:// revocable`, `net → 127.0.0.1:<port>`… */
  readonly held: readonly string[];
  /** What the spawn marked `required` (`kernel` where the machine has the kernel wall). */
  readonly required: readonly string[];
  /** Whether it was spawned with a lock, which the runtime verified. */
  readonly locked: boolean;
  /** Whether the realm holds `authority` over its own realm. */
  readonly authority: boolean;
  /** `realm.enforcedBy`, verbatim: what enforces each limit on this machine. */
  readonly enforcement: Readonly<Record<string, string>>;
}

interface Common {
  /** The plugin's folder name (for a hosted plugin, the name its host reported). */
  readonly name: string;
  /** The realm's name in the runtime: `greeter`, or `gallery/caption` for a hosted one. */
  readonly realm: string;
  readonly log: readonly LogLine[];
  readonly checks: readonly Check[];
  /** Undefined for hosted plugins (their host chose their limits) and for plugins that never started. */
  readonly limits: Limits | undefined;
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

/** A plugin returned a report of reads (`{ reads: [...] }`). */
export interface ReadsResult extends Common {
  readonly kind: 'reads';
  readonly call: string;
  readonly reads: readonly Read[];
}

/** A plugin that polls returned its fetches and its attempts beyond its grants (`{ polls: [...], attempts: [...] }`). */
export interface PollsResult extends Common {
  readonly kind: 'polls';
  readonly call: string;
  readonly polls: readonly Poll[];
  readonly attempts: readonly EscapeAttempt[];
}

/** A plugin that hosts plugins returned what each of them answered (`{ hosted: [...] }`). */
export interface HostedResult extends Common {
  readonly kind: 'hosted';
  readonly call: string;
  readonly children: readonly PluginResult[];
}

/** The runtime ended the plugin's realm while it loaded or answered: a budget, or a crash. */
export interface StoppedResult extends Common {
  readonly kind: 'stopped';
  /** The call it was stopped in, or undefined when it was stopped while loading. */
  readonly call: string | undefined;
  /** `realm.done`'s reason: `budget: cpu`, `budget: wall`, `budget: heap`, `crashed: SIGABRT`… */
  readonly reason: string;
  /** Whether this host's policy expected exactly this stop (see policy.ts `expectStop`). */
  readonly expected: boolean;
}

/** A plugin could not be loaded or called, threw, or did not do what the host's policy expects. */
export interface FailedResult extends Common {
  readonly kind: 'failed';
  /** A Cathedral error code (`GUEST`, `LOCK_MISMATCH`…), `NO_ENTRY`, `NOT_STOPPED`, `UNLOCKED` or `HOST`. */
  readonly code: string;
  /** The whole error message: operation, target, realm, problem, rule. */
  readonly message: string;
  /** Only what went wrong, e.g. `the guest threw TypeError: bad (at app://main.js:3:9)`. */
  readonly problem: string;
}

export type PluginResult = ValueResult | EscapesResult | PollsResult | ReadsResult | HostedResult | StoppedResult | FailedResult;

export interface Skipped {
  readonly name: string;
  readonly reason: string;
}

export interface PluginHostResult {
  /** In folder name order, whatever order they finished in. */
  readonly plugins: readonly PluginResult[];
  readonly skipped: readonly Skipped[];
  /** Plugins hosted by plugins (at any depth). */
  readonly hosted: number;
  /** Whether this machine has the kernel wall (and every spawn required it). */
  readonly kernelWall: boolean;
  /** Whether plugins were spawned with locks from the lock file. */
  readonly locked: boolean;
  /** Escape attempts reported by plugins at any depth, and how they ended. */
  readonly attempts: number;
  readonly refused: number;
  readonly succeeded: number;
  /** Plugins stopped by the runtime as this host's policy expected. */
  readonly stoppedAsExpected: number;
  /** Plugins at any depth that failed, including stops the policy did not expect. */
  readonly failed: number;
  /** The host's own checks (revocations, the ledger, the servers), and how many did not pass. */
  readonly checks: number;
  readonly checksFailed: number;
  /** The host's own check: every file of the system root is as it was before the run. */
  readonly systemUnchanged: boolean;
  /** Reports the runtime made to the host (details of errors it redacted for guests), printable. */
  readonly reports: readonly string[];
  /** True when no escape succeeded, nothing failed, every check passed and the system root is unchanged. */
  readonly ok: boolean;
}

export const assertNever = (value: never): never => {
  throw new TypeError(`unexpected value ${JSON.stringify(value)}`);
};

/**
 * What each plugin is given: the host's policy, as data.
 *
 * Every plugin runs at the `process` tier (the design's tier for untrusted
 * code) with the default policy: a CPU, wall and heap budget, and the
 * ceiling `fs.read`. A plugin gets more only when this table names it; the
 * plugin cannot ask for anything (the app reads no manifest), so a plugin
 * renamed to `gallery` gets the gallery's powers: in a real app, key this
 * table by something the host controls (a signed manifest, a digest; the
 * lock file checks the digests of what each name runs, see ./locks.ts).
 *
 * `expectStop` is this showcase's own expectation, not a power: the
 * spinner exists to be stopped by its CPU budget, so that stop is what the
 * host expects of it, and the run fails if it answers instead. Any other
 * stop (a well-behaved plugin hitting its wall budget) is a failure.
 */
import type { EffectKind } from '@cathedral/sdk';
import type { TimeGrant } from '@cathedral/time';

/**
 * CPU, wall and heap are always set (every plugin is bounded); the metered
 * budgets only where a plugin holds something they measure.
 */
export interface PluginBudget {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly heapMb: number;
  /** Bytes it may add through all of its roots together (its `scratch://`). */
  readonly storageBytes?: number;
  /** Open timers, streams and requests in flight. */
  readonly handles?: number;
  /** Bytes sent and received through its `net`. */
  readonly netBytes?: number;
  /** Live child realms (a plugin that hosts plugins). */
  readonly children?: number;
}

export interface PluginPolicy {
  readonly budget: PluginBudget;
  readonly ceiling: readonly EffectKind[];
  /** Authority over its own realm (`authority: true`): for a plugin that hosts plugins (with `proc.spawn`). */
  readonly authority: boolean;
  /**
   * `user://`: a revocable, readOnly view of the host's user-data folder,
   * and a `checkpoint()` capability; the host revokes `user://` when the
   * plugin first reaches its checkpoint.
   */
  readonly userData: boolean;
  /** `scratch://`: an empty in-memory root it may write (with `fs.write`), bounded by `budget.storageBytes`. */
  readonly scratch: boolean;
  /**
   * `net`: a capability that reaches the host's API server and nothing else
   * (`host.net.forRealms(['127.0.0.1:<port>'])`), and `servers`, the URLs of
   * the host's API and admin servers, as data. Using it needs `net.connect`.
   */
  readonly net: boolean;
  /** Time capabilities granted (`clock`, `timers`, `random`); each needs its effect in the ceiling. */
  readonly time: readonly TimeGrant[];
  /**
   * Set: the time capabilities run on a deterministic clock that the host
   * advances by this many ms at the plugin's `checkpoint()`. Unset: the
   * host's real clock.
   */
  readonly advanceMs: number | undefined;
  /** The stop this host expects of the plugin, e.g. `budget: cpu`; undefined: it is expected to answer. */
  readonly expectStop: string | undefined;
}

export type PolicyTable = Readonly<Record<string, Partial<PluginPolicy>>>;

export const DEFAULT_POLICY: PluginPolicy = harden({
  budget: { cpuMs: 1_000, wallMs: 5_000, heapMb: 64 },
  ceiling: ['fs.read'],
  authority: false,
  userData: false,
  scratch: false,
  net: false,
  time: [],
  advanceMs: undefined,
  expectStop: undefined,
});

/** The shipped plugins that get more than the default, or are expected to be stopped. */
export const SHOWCASE_POLICIES: PolicyTable = harden({
  // It starts three processes of its own: its wall budget covers their start-up,
  // and its children budget is exactly the three it hosts.
  gallery: { authority: true, ceiling: ['fs.read', 'proc.spawn'], budget: { cpuMs: 1_000, wallMs: 60_000, heapMb: 64, children: 3 } },
  // Given more than it may use: a net capability its ceiling does not allow, two
  // timer handles, and a scratch root of 1 KiB it may write.
  hostile: {
    ceiling: ['fs.read', 'fs.write', 'timers'],
    scratch: true,
    net: true,
    time: ['timers'],
    budget: { cpuMs: 1_000, wallMs: 5_000, heapMb: 64, storageBytes: 1_024, handles: 2 },
  },
  // Polls the host's API server every second of a clock the host advances by three.
  poller: {
    ceiling: ['fs.read', 'net.connect', 'clock', 'timers'],
    net: true,
    time: ['clock', 'timers'],
    advanceMs: 3_000,
    budget: { cpuMs: 1_000, wallMs: 5_000, heapMb: 64, netBytes: 4_096, handles: 2 },
  },
  reader: { userData: true },
  // Stopped by its CPU budget; its wall budget is only the backstop, generous so
  // that a machine busy starting the other processes cannot make it the first.
  spinner: { expectStop: 'budget: cpu', budget: { cpuMs: 1_000, wallMs: 30_000, heapMb: 64 } },
});

export const policyFor = (name: string, table: PolicyTable, defaults: PluginPolicy): PluginPolicy => {
  const own = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  return harden({ ...defaults, ...own });
};

/**
 * What each plugin is given: the host's policy, as data.
 *
 * Every plugin runs at the `process` tier (the design's tier for untrusted
 * code) with the default policy: a CPU, wall and heap budget, and the
 * ceiling `fs.read`. A plugin gets more only when this table names it; the
 * plugin cannot ask for anything (the app reads no manifest), so a plugin
 * renamed to `gallery` gets the gallery's powers: in a real app, key this
 * table by something the host controls (a signed manifest, a digest).
 *
 * `expectStop` is this showcase's own expectation, not a power: the
 * spinner exists to be stopped by its CPU budget, so that stop is what the
 * host expects of it, and the run fails if it answers instead. Any other
 * stop (a well-behaved plugin hitting its wall budget) is a failure.
 */
import type { EffectKind } from '@cathedral/sdk';

/** The budgets the process tier enforces, all three always set: every plugin is bounded. */
export interface PluginBudget {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly heapMb: number;
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
  /** The stop this host expects of the plugin, e.g. `budget: cpu`; undefined: it is expected to answer. */
  readonly expectStop: string | undefined;
}

export type PolicyTable = Readonly<Record<string, Partial<PluginPolicy>>>;

export const DEFAULT_POLICY: PluginPolicy = harden({
  budget: { cpuMs: 1_000, wallMs: 5_000, heapMb: 64 },
  ceiling: ['fs.read'],
  authority: false,
  userData: false,
  expectStop: undefined,
});

/** The shipped plugins that get more than the default, or are expected to be stopped. */
export const SHOWCASE_POLICIES: PolicyTable = harden({
  // It starts three processes of its own: its wall budget covers their start-up.
  gallery: { authority: true, ceiling: ['fs.read', 'proc.spawn'], budget: { cpuMs: 1_000, wallMs: 60_000, heapMb: 64 } },
  reader: { userData: true },
  // Stopped by its CPU budget; its wall budget is only the backstop, generous so
  // that a machine busy starting the other processes cannot make it the first.
  spinner: { expectStop: 'budget: cpu', budget: { cpuMs: 1_000, wallMs: 30_000, heapMb: 64 } },
});

export const policyFor = (name: string, table: PolicyTable, defaults: PluginPolicy): PluginPolicy => {
  const own = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  return harden({ ...defaults, ...own });
};

/**
 * A row of the results table: one benchmark, our figure, the baseline's
 * figure from the same run, their ratio, and the target it is held to.
 *
 * Targets are a tagged union: a `ratio` target bounds ours / baseline from
 * above (times, memory: the figure that survives a noisy machine); a
 * `ratio-min` target bounds it from below (rates in ops/s, where higher is
 * better); an `absolute` target bounds our median itself (memory, where the
 * baseline is only a reference); `context` rows carry no target and never
 * fail.
 *
 * Every row names the other side (`peer`: a baseline of ours, or a peer
 * runtime). Where the peer cannot do the thing measured at all (QuickJS has
 * no worker tier, isolated-vm no process tier), the row has no baseline
 * figure and says why in `missing`: no number is invented for it.
 */
import type { Figure } from './stats.js';

export type Unit = 'ns' | 'µs' | 'ms' | 'KiB' | 'ops/s';

/** Units where a larger figure is better: their slow tail is the p10. */
export const higherIsBetter = (unit: Unit): boolean => unit === 'ops/s';

export type Target =
  | { readonly kind: 'ratio'; readonly max: number }
  | { readonly kind: 'ratio-min'; readonly min: number }
  | { readonly kind: 'absolute'; readonly max: number }
  | { readonly kind: 'context' };

export interface Row {
  /** Stable key for machine-readable results. */
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  readonly ours: Figure;
  /** Who the other side is: `baseline: …` (ours without Cathedral) or `peer: …` (another runtime). */
  readonly peer: string;
  /** Absent when the peer cannot do the thing at all; `missing` says why. */
  readonly baseline?: Figure;
  /** Why there is no baseline figure. */
  readonly missing?: string;
  /** ours.median / baseline.median; absent with the baseline. */
  readonly ratio?: number;
  readonly target: Target;
  /** Undefined for context rows. */
  readonly pass: boolean | undefined;
  /** What exactly each side measures, for the reader. */
  readonly note: string;
  /**
   * Where the two ends of a cross-thread or cross-process row ran: pinned to
   * one CPU or to two, and what sampling their last CPU showed. Absent for
   * rows that cross no thread.
   */
  readonly placement?: string;
}

const assertNever = (x: never): never => {
  throw new TypeError(`unknown target ${JSON.stringify(x)}`);
};

const judge = (target: Target, ours: Figure, ratio: number | undefined): boolean | undefined => {
  if (ratio === undefined && target.kind !== 'absolute' && target.kind !== 'context') return undefined;
  switch (target.kind) {
    case 'ratio':
      return (ratio as number) <= target.max;
    case 'ratio-min':
      return (ratio as number) >= target.min;
    case 'absolute':
      return ours.median <= target.max;
    case 'context':
      return undefined;
    default:
      return assertNever(target);
  }
};

export const makeRow = (fields: Omit<Row, 'ratio' | 'pass'>): Row => {
  if ((fields.baseline === undefined) === (fields.missing === undefined)) {
    throw new TypeError(`row ${fields.id}: exactly one of a baseline figure and a reason it is missing`);
  }
  const ratio = fields.baseline === undefined ? undefined : fields.ours.median / fields.baseline.median;
  return Object.freeze({ ...fields, ...(ratio === undefined ? {} : { ratio }), pass: judge(fields.target, fields.ours, ratio) });
};

export const describeTarget = (row: Row): string => {
  const { target } = row;
  switch (target.kind) {
    case 'ratio':
      return `≤ ${target.max}×`;
    case 'ratio-min':
      return `≥ ${target.min}×`;
    case 'absolute':
      return `≤ ${target.max} ${row.unit}`;
    case 'context':
      return '—';
    default:
      return assertNever(target);
  }
};

/**
 * Metering of network use: bytes in and out against `netBytes`, open
 * streams, listeners and in-flight requests against `handles`.
 *
 * A meter is charged before the effect (a write that would exceed the budget
 * writes nothing; a connect that would exceed opens nothing) and handles are
 * given back when a stream or listener closes, however it closes. Meters
 * compose: a capability charges its own and its net's, all or none.
 *
 * A meter can be shared with other handle users (timers, files) by passing
 * the same object to each.
 */
import { budgetSpent, invalid } from './refusals.js';

export type MeterKind = 'netBytes' | 'handles';

export interface NetBudget {
  readonly netBytes?: number;
  readonly handles?: number;
}

export interface At {
  readonly operation: string;
  readonly target: string;
  readonly realm: string | undefined;
}

export interface Meter {
  /** Charges `amount`; a `BudgetExceededError` (and no charge) when it would exceed the budget. */
  take(kind: MeterKind, amount: number, at: At): void;
  /** Gives back what was taken (handles closed; bytes of a refused all-or-none charge). */
  give(kind: MeterKind, amount: number): void;
  /** What is in use now: bytes so far, handles open. */
  used(): Readonly<Record<MeterKind, number>>;
}

const checkLimit = (kind: MeterKind, value: unknown): number => {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalid('allow', `budget.${kind}`, `a budget is a non-negative integer, got ${JSON.stringify(value)}`, 'budgets are counts of bytes and handles');
  }
  return value;
};

export const makeMeter = (budget: NetBudget = {}): Meter => {
  const limits: Record<MeterKind, number> = { netBytes: checkLimit('netBytes', budget.netBytes), handles: checkLimit('handles', budget.handles) };
  const used: Record<MeterKind, number> = { netBytes: 0, handles: 0 };
  return harden({
    take: (kind: MeterKind, amount: number, at: At) => {
      if (used[kind] + amount > limits[kind]) throw budgetSpent(at, kind, limits[kind], used[kind], amount);
      used[kind] += amount;
    },
    give: (kind: MeterKind, amount: number) => {
      used[kind] = Math.max(0, used[kind] - amount);
    },
    used: () => harden({ ...used }),
  });
};

/**
 * Charges every meter or none. Called for each piece of a response, so it
 * keeps no list of what it charged: on a refusal, the meters before the one
 * that refused are the ones to give back.
 */
export const takeAll = (meters: readonly Meter[], kind: MeterKind, amount: number, at: At): void => {
  for (let i = 0; i < meters.length; i += 1) {
    try {
      (meters[i] as Meter).take(kind, amount, at);
    } catch (error) {
      for (let j = 0; j < i; j += 1) (meters[j] as Meter).give(kind, amount);
      throw error;
    }
  }
};

export const giveAll = (meters: readonly Meter[], kind: MeterKind, amount: number): void => {
  for (const meter of meters) meter.give(kind, amount);
};

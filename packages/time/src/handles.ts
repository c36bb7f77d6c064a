/**
 * A realm's `handles` budget: how many open handles (pending timers,
 * sleeps; connections, where the network meters them too) it holds at once.
 *
 * One meter per realm, shared by every capability that opens handles, so
 * the budget bounds their sum. Taking one over the limit is refused with
 * `BudgetExceededError`; a handle given back (a timer cleared or fired)
 * makes room again. Without a limit the meter only counts.
 */
import { BudgetExceededError, InvalidArgumentError } from '@cathedral/sdk';

export interface HandleMeter {
  /** Takes one handle for `operation`, or throws `BudgetExceededError`. */
  acquire(operation: string): void;
  /** Gives one back. */
  release(): void;
  readonly used: number;
  readonly limit: number | undefined;
}

export interface HandleMeterOptions {
  readonly limit?: number | undefined;
  /** The realm named in refusals. */
  readonly realm?: string | undefined;
}

export const makeHandleMeter = ({ limit, realm }: HandleMeterOptions = {}): HandleMeter => {
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) {
    throw new InvalidArgumentError({
      operation: 'makeHandleMeter',
      target: 'budget.handles',
      realm,
      problem: 'the handles budget is a whole number ≥ 0',
      rule: 'budgets are counts',
    });
  }
  let used = 0;
  return Object.freeze({
    acquire: (operation: string) => {
      if (limit !== undefined && used >= limit) {
        throw new BudgetExceededError({
          operation,
          target: 'budget.handles',
          realm,
          problem: `the realm already holds ${used} of its ${limit} handles`,
          rule: 'a realm holds at most budget.handles open handles (timers, sleeps, connections) at once',
          allow: 'clear a timer no longer needed, or spawn the realm with a larger budget.handles',
        });
      }
      used += 1;
    },
    release: () => {
      if (used > 0) used -= 1;
    },
    get used() {
      return used;
    },
    limit,
  });
};

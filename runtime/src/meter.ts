/**
 * A realm's meter: the budgets the host counts on the realm's behalf, at
 * every tier, because the host does the work they measure — `handles` (open
 * timers, streams, listeners), `netBytes` (bytes sent and received, never
 * given back), `children` (live descendant realms) and `storageBytes`
 * (through a quota account over the realm's roots, see powerbox's `quota`).
 *
 * A parent's accounting includes its children: a charge to a realm is a
 * charge to each of its ancestors that has the same budget, and is refused if
 * any of them would exceed it. The refusal names the realm whose budget
 * refused, so a child learns that its parent ran out rather than itself.
 */
import type { Meter, MeterCharge, MeteredKey } from '@cathedral/sdk';
import { BudgetExceededError } from '@cathedral/sdk';
import type { QuotaAccount } from '@cathedral/powerbox';

export type { Meter, MeterCharge, MeteredKey };


const units: Readonly<Record<MeteredKey, string>> = { handles: 'handles', netBytes: 'bytes', children: 'child realms' };

/** One realm's own counts; a meter charges its cell and its ancestors' cells. */
interface Cell {
  readonly realm: string;
  readonly limits: Readonly<Partial<Record<MeteredKey, number>>>;
  readonly used: Record<MeteredKey, number>;
}
const cellsOf = new WeakMap<Meter, readonly Cell[]>();

export const makeMeter = (
  realm: string,
  limits: Readonly<Partial<Record<MeteredKey, number>>>,
  parent: Meter | undefined,
  storage: QuotaAccount | undefined,
): Meter => {
  const cell: Cell = { realm, limits, used: { handles: 0, netBytes: 0, children: 0 } };
  const chain: readonly Cell[] = [cell, ...((parent === undefined ? undefined : cellsOf.get(parent)) ?? [])];
  const meter: Meter = Object.freeze({
    realm,
    storage,
    charge: (key: MeteredKey, amount: number, why: MeterCharge) => {
      if (!(amount > 0)) return;
      for (const c of chain) {
        const limit = c.limits[key];
        if (limit === undefined) continue;
        const left = limit - c.used[key];
        if (amount > left) {
          throw new BudgetExceededError({
            operation: why.operation,
            target: why.target ?? `budget.${key}`,
            realm,
            problem: `the ${key} budget of ${limit} ${units[key]}${c === cell ? '' : ` of its ancestor "${c.realm}"`} is spent: ${amount} more asked, ${Math.max(0, left)} left`,
            rule: "a realm's budget bounds what it and its children spend",
            allow: key === 'netBytes' ? `spawn the realm with a larger budget.${key}` : `close ${units[key]} it no longer needs, or spawn it with a larger budget.${key}`,
          });
        }
      }
      for (const c of chain) c.used[key] += amount;
    },
    release: (key: MeteredKey, amount: number) => {
      if (key === 'netBytes' || !(amount > 0)) return;
      for (const c of chain) c.used[key] = Math.max(0, c.used[key] - amount);
    },
    used: (key: MeteredKey) => cell.used[key],
    remaining: (key: MeteredKey) => {
      let least: number | undefined;
      for (const c of chain) {
        const limit = c.limits[key];
        if (limit !== undefined) least = Math.min(least ?? Infinity, limit - c.used[key]);
      }
      return least;
    },
  });
  cellsOf.set(meter, chain);
  return meter;
};

/**
 * Realm-bound capabilities: a capability made anew for each realm it is
 * given to, because it must know its realm — to charge the realm's budgets
 * (handles, netBytes) or to close what it opened when the realm ends.
 *
 *   caps: { timers: realmBound(binding => makeTimersFor(binding)) }
 *
 * The spawn calls `make` once for the realm with a `RealmBinding`: the
 * realm's name, its meter, and an end hook. Here so that capability
 * libraries (net, time, yours) depend on the sdk alone, not on the runtime.
 */

export type MeteredKey = 'handles' | 'netBytes' | 'children';

export interface MeterCharge {
  /** The operation that spends, e.g. `setTimeout` or `connect`. */
  readonly operation: string;
  readonly target?: string;
}

/** The host's count of what a realm (and its descendants) spends. */
export interface Meter {
  readonly realm: string;
  /** Spends `amount` of `key` here and in every ancestor, or refuses with BudgetExceededError, spending nothing. */
  charge(key: MeteredKey, amount: number, why: MeterCharge): void;
  /** Gives back what a closed handle or ended child had spent (netBytes are never given back). */
  release(key: MeteredKey, amount: number): void;
  /** What this realm and its descendants spend now. */
  used(key: MeteredKey): number;
  /** What is left before this realm or an ancestor refuses; undefined when nothing bounds it. */
  remaining(key: MeteredKey): number | undefined;
  /** The realm's storage account, when it has a `storageBytes` budget. */
  readonly storage: { usage(): { readonly bytes: number; readonly entries: number } } | undefined;
}

/** What a realm-bound capability is made with: the realm it serves, its meter, its end. */
export interface RealmBinding {
  readonly realm: string;
  readonly meter: Meter;
  /** The realm's effect ceiling. */
  readonly ceiling: ReadonlySet<string>;
  /** Calls back once when the realm ends (or its spawn fails), with the reason. */
  onEnd(listener: (reason: string) => void): void;
}

declare const boundTag: unique symbol;
/** A capability made anew for each realm it is given to (see `realmBound`). */
export interface RealmBound<T> {
  readonly [boundTag]: (binding: RealmBinding) => T;
}

const makers = new WeakMap<object, (binding: RealmBinding) => unknown>();

export const realmBound = <T>(make: (binding: RealmBinding) => T): RealmBound<T> => {
  if (typeof make !== 'function') throw new TypeError('realmBound takes a function (binding) => capability');
  const marker = Object.freeze(Object.create(null) as object);
  makers.set(marker, make);
  return marker as RealmBound<T>;
};

/** The maker behind a realm-bound marker, or undefined for anything else (for the runtime's spawn). */
export const realmBoundMaker = (value: unknown): ((binding: RealmBinding) => unknown) | undefined =>
  typeof value === 'object' && value !== null ? makers.get(value) : undefined;

/**
 * The ledger: who minted, attenuated, granted, spawned or revoked what, from
 * which root, through which attenuations, for whom, and when.
 *
 * Append-only and host-side; a guest never holds it. Entries are plain
 * frozen data. `now` is passed in (the host's clock at the outermost edge),
 * and every entry also carries a sequence number, which alone orders them.
 * Bounded: past `limit` entries the oldest are dropped and counted.
 */

export type LedgerAction = 'spawn' | 'mint' | 'attenuate' | 'grant' | 'revoke' | 'request' | 'refuse' | 'terminate';

export interface LedgerEntry {
  readonly seq: number;
  readonly time: number;
  readonly action: LedgerAction;
  /** The realm (or `host`) that acted. */
  readonly by: string;
  /** The realm the action was for, when there is one. */
  readonly for?: string | undefined;
  /** What it concerned: a URI, a table name, a token's short form. */
  readonly target?: string | undefined;
  /** The route of the node: `readOnly ← filter("docs/**") ← hostDir`. */
  readonly route?: string | undefined;
  readonly detail?: string | undefined;
}

export interface LedgerQuery {
  readonly by?: string;
  readonly for?: string;
  readonly action?: LedgerAction;
}

export interface Ledger {
  record(entry: Omit<LedgerEntry, 'seq' | 'time'>): LedgerEntry;
  query(filter?: LedgerQuery): readonly LedgerEntry[];
  /** How many old entries were dropped to keep within the limit. */
  readonly dropped: number;
}

export const makeLedger = ({ now = () => Date.now(), limit = 100_000 }: { now?: () => number; limit?: number } = {}): Ledger => {
  const entries: LedgerEntry[] = [];
  let seq = 0;
  let dropped = 0;
  return {
    record: entry => {
      seq += 1;
      const full: LedgerEntry = Object.freeze({ ...entry, seq, time: now() });
      entries.push(full);
      if (entries.length > limit) {
        entries.shift();
        dropped += 1;
      }
      return full;
    },
    query: (filter = {}) =>
      Object.freeze(
        entries.filter(
          e =>
            (filter.by === undefined || e.by === filter.by) &&
            (filter.for === undefined || e.for === filter.for) &&
            (filter.action === undefined || e.action === filter.action),
        ),
      ),
    get dropped() {
      return dropped;
    },
  };
};

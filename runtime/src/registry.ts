/**
 * The host's record of its realms: parents, children, state, and what each
 * realm's gate has wrapped, so a refusal can name the realm a node belongs
 * to. Host-side only; guests see realms only through `children()` of their
 * own authority, under identifiers relative to themselves.
 */
import type { DirNode, EffectKind } from '@cathedral/sdk';
import type { Gate } from './gate.js';
import type { Budget, Tier } from './spec.js';

export type RealmState = 'running' | 'terminated';

export interface RealmRecord {
  readonly id: number;
  readonly name: string;
  readonly tier: Tier;
  readonly parent: RealmRecord | undefined;
  readonly children: Set<RealmRecord>;
  readonly gate: Gate;
  readonly ceiling: ReadonlySet<EffectKind>;
  /** Who bound its roots: `host` or the parent realm's name. */
  readonly grantor: string;
  readonly state: RealmState;
  /** Its own budget, as checked at spawn. */
  readonly budget: Budget;
  /** Binds a new root in the realm's table (a grant). */
  bind(name: string, node: DirNode): void;
  /** Ends the realm and, first, all its descendants. */
  terminate(reason: string): void;
}

/** One line of a process listing. */
export interface RealmInfo {
  readonly id: string;
  readonly name: string;
  readonly tier: Tier;
  readonly state: RealmState;
  readonly parent: string | undefined;
}

export interface Registry {
  add(record: RealmRecord): void;
  /** Forgets a terminated realm. */
  remove(record: RealmRecord): void;
  /** The realm whose gate made `wrapper`, if any. */
  ownerOf(wrapper: unknown): RealmRecord | undefined;
  /** Every realm below `root` (all realms for undefined), with ids relative to the viewer. */
  list(root?: RealmRecord): readonly RealmInfo[];
  nextId(): number;
}

export const makeRegistry = (): Registry => {
  const records = new Set<RealmRecord>();
  let ids = 0;
  const walk = (record: RealmRecord, id: string, parent: string | undefined, out: RealmInfo[]) => {
    out.push(Object.freeze({ id, name: record.name, tier: record.tier, state: record.state, parent }));
    let n = 0;
    for (const child of record.children) {
      n += 1;
      walk(child, `${id}.${n}`, id, out);
    }
  };
  return {
    add: record => {
      records.add(record);
    },
    remove: record => {
      records.delete(record);
    },
    ownerOf: wrapper => {
      for (const record of records) if (record.gate.unwrap(wrapper) !== undefined) return record;
      return undefined;
    },
    list: root => {
      const out: RealmInfo[] = [];
      if (root === undefined) {
        let n = 0;
        for (const record of records) {
          if (record.parent !== undefined) continue;
          n += 1;
          walk(record, `r${n}`, undefined, out);
        }
      } else {
        let n = 0;
        for (const child of root.children) {
          n += 1;
          walk(child, `r${n}`, undefined, out);
        }
      }
      return Object.freeze(out);
    },
    nextId: () => (ids += 1),
  };
};

/**
 * What every realm has on the host side, whatever its tier: its gate, its
 * roots behind the gate, its resolution table, its record in the registry
 * (parent, children, state), and the host-side capabilities it is endowed
 * with (`request`, `authority`, the caps), all wrapped by the gate.
 *
 * Tiers differ only in where the guest's compartment runs and how these
 * reach it: directly (compartment tier) or over CapTP (worker, process).
 */
import type { DirNode, Node } from '@cathedral/sdk';
import { InvalidArgumentError } from '@cathedral/sdk';
import { makeAuthority } from './authority.js';
import { type Gate, makeGate } from './gate.js';
import type { Parent, RealmContext } from './realm.js';
import type { RealmRecord, RealmState } from './registry.js';
import { makeRequest } from './requests.js';
import type { CheckedSpec } from './spec.js';
import { type Table, makeTable } from './table.js';

export interface RealmParts {
  readonly record: RealmRecord;
  readonly gate: Gate;
  readonly roots: ReadonlyMap<string, DirNode>;
  readonly table: Table;
  /** `resolve(uri)` as the guest calls it, guarded by the gate. */
  readonly resolve: (uri: string) => Promise<Node>;
  /** The gate-wrapped endowments: `request`, `authority` when granted, and the caps. */
  readonly endowments: Readonly<Record<string, unknown>>;
  /** Settles with the reason when the realm ends. */
  readonly done: Promise<{ readonly reason: string }>;
  /** Runs once when the realm ends, before its record is forgotten (a tier stops its thread or process here). */
  onEnd(stop: (reason: string) => void): void;
}

export const makeRealmParts = (spec: CheckedSpec, context: RealmContext, parent: Parent): RealmParts => {
  const { name } = spec;
  const gate = makeGate({ realm: name, ceiling: spec.ceiling, report: context.report, grantor: parent.grantor });
  const roots = new Map([...spec.roots].map(([key, node]) => [key, gate.wrapRoot(node, `${key}://`)]));
  let state: RealmState = 'running';
  let settle: (end: { reason: string }) => void = () => {};
  const done = new Promise<{ reason: string }>(resolve => {
    settle = resolve;
  });
  const stops: Array<(reason: string) => void> = [];
  const record: RealmRecord = {
    id: context.registry.nextId(),
    name,
    tier: spec.tier,
    parent: parent.record,
    children: new Set(),
    gate,
    ceiling: spec.ceiling,
    grantor: parent.grantor,
    budget: spec.budget,
    get state() {
      return state;
    },
    bind: (key, node) => {
      if (roots.has(key)) {
        throw new InvalidArgumentError({
          operation: 'grant',
          target: `${key}://`,
          realm: name,
          problem: 'the name is already bound',
          rule: 'a grant adds a name; it never replaces one',
        });
      }
      roots.set(key, gate.wrapRoot(node, `${key}://`));
    },
    terminate: reason => {
      if (state === 'terminated') return;
      for (const child of [...record.children]) child.terminate(`its parent "${name}" ended`);
      state = 'terminated';
      gate.revoke(reason);
      for (const stop of stops.splice(0)) stop(reason);
      parent.record?.children.delete(record);
      context.registry.remove(record);
      context.ledger.record({ action: 'terminate', by: parent.grantor, for: name, detail: reason });
      settle(harden({ reason }));
    },
  };
  context.registry.add(record);
  parent.record?.children.add(record);
  const table = makeTable(name, roots);
  const resolve = (uri: string): Promise<Node> =>
    gate.guard('resolve', typeof uri === 'string' ? uri : undefined, () => table.resolve(uri));
  const endowments: Record<string, unknown> = {
    request: gate.wrap(makeRequest({ realm: name, decide: context.decide, ledger: context.ledger, ceiling: spec.ceiling }), 'request'),
  };
  if (spec.authority !== undefined) {
    const authority = makeAuthority({
      record,
      own: spec.authority.own.map(key => `${key}://`),
      label: name,
      registry: context.registry,
      ledger: context.ledger,
      randomToken: context.randomToken,
      spawnChild: context.spawnChild,
    });
    endowments['authority'] = gate.wrap(authority, 'authority');
  }
  for (const [key, value] of spec.caps) endowments[key] = gate.wrap(value, key);
  context.ledger.record({ action: 'spawn', by: parent.grantor, for: name, target: spec.main, detail: `tier ${spec.tier}; roots: ${[...roots.keys()].join(', ')}` });
  return {
    record,
    gate,
    roots,
    table,
    resolve,
    endowments,
    done,
    onEnd: stop => {
      if (state === 'terminated') stop('terminated');
      else stops.push(stop);
    },
  };
};

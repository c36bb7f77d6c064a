/**
 * What every realm has on the host side, whatever its tier: its gate, its
 * roots behind the gate, its resolution table, its record in the registry
 * (parent, children, state), and the host-side capabilities it is endowed
 * with (`request`, `authority`, the caps), all wrapped by the gate.
 *
 * Tiers differ only in where the guest's compartment runs and how these
 * reach it: directly (compartment tier) or over CapTP (worker, process).
 *
 * Roots are kept as bound and wrapped by the gate when first handed out
 * (`root`, `roots`, the table), then the same wrapper every time: a node's
 * Far wrapper is a large part of a spawn, and a realm that only loads its
 * main module never needs one (`readModule` goes through the gate's checks
 * without it).
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
  /** Every root, wrapped by the gate (made on first use, then the same wrappers). */
  readonly roots: ReadonlyMap<string, DirNode>;
  /** One root, wrapped by the gate, made on first use. */
  root(key: string): DirNode | undefined;
  /** Reads a module's bytes through the gate, as the guest's own read would be checked, without making the root's wrapper. */
  readModule(key: string, path: string, specifier: string): Promise<Uint8Array>;
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
  // The bound roots as the spawner gave them; each is wrapped by the gate only
  // when first handed out (a Far wrapper is most of a spawn's cost otherwise).
  const bound = new Map<string, DirNode>();
  const bind = (key: string, node: DirNode): void => {
    bound.set(key, node);
    gate.bindRoot(node, `${key}://`);
  };
  for (const [key, node] of spec.roots) bind(key, node);
  const wrapped = (key: string): DirNode | undefined => {
    const node = bound.get(key);
    return node === undefined ? undefined : gate.wrapRoot(node, `${key}://`);
  };
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
      if (bound.has(key)) {
        throw new InvalidArgumentError({
          operation: 'grant',
          target: `${key}://`,
          realm: name,
          problem: 'the name is already bound',
          rule: 'a grant adds a name; it never replaces one',
        });
      }
      bind(key, node);
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
  const table = makeTable(name, { get: wrapped, keys: () => bound.keys() });
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
  context.ledger.record({ action: 'spawn', by: parent.grantor, for: name, target: spec.main, detail: `tier ${spec.tier}; roots: ${[...bound.keys()].join(', ')}` });
  return {
    record,
    gate,
    get roots() {
      return new Map([...bound.keys()].map(key => [key, wrapped(key)!]));
    },
    root: wrapped,
    readModule: async (key, path, specifier) => {
      const node = bound.get(key);
      // An unbound name is refused by the table, with the names the realm has.
      if (node === undefined) return table.root('import', key, specifier).read(path);
      return (await gate.call(node, `${key}://`, 'read', [path])) as Uint8Array;
    },
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

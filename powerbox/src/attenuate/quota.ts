/**
 * `quota(node, { bytes?, entries? })` → `{ node, usage() }`: a storage budget
 * for what is written through `node` (and every node reached through it).
 *
 * `bytes` bounds the net growth caused through the node: a write of n bytes
 * over a file of m bytes counts n - m, removing a file counts minus its size,
 * removing a directory minus everything below it. `entries` bounds the files
 * and directories created through it (parents made by `write(…, { parents })`
 * and `mkdir(…, { recursive })` included), minus those removed. Sizes are
 * measured with `stat` (and `list` for a directory) on the inner node before
 * the mutation. `usage()` returns the current `{ bytes, entries }`, mutations
 * in flight included; it can go below zero after removing what was there
 * before the quota.
 *
 * Invariant: the budget is checked, and the growth reserved, before the inner
 * mutation starts, so a refused write changes nothing; a failed mutation
 * releases its reservation; a shrink is credited only once it happened.
 * Mutations through one quota run one at a time: measuring and mutating
 * concurrently would let two writes to one file each credit the old size, so
 * racing writes could spend the same bytes twice.
 *
 * One budget over several nodes: `quotaAccount(limits)` makes an account
 * that any number of `quota(node, account)` calls share — their growth adds
 * up in one `usage()`, and their mutations run one at a time together (a
 * realm's `storageBytes` budget over all of its roots is one account).
 *
 * What it deliberately does not count: changes made through other nodes over
 * the same store, and a rename that replaces a file (the Layer's `mutate`
 * hook is not given the target; not crediting it only over-counts).
 */
import { getInterfaceOf } from '@endo/pass-style';
import type { DirNode, FileNode, Node, NodeOperation, Stat } from '@cathedral/sdk';
import { BudgetExceededError, InvalidArgumentError, isCathedralError } from '@cathedral/sdk';
import { type CheckedPath, showPath } from '../path.js';
import { attenuate } from './forward.js';

export interface QuotaLimits {
  /** Net bytes that may be added through the node (default: unlimited). */
  readonly bytes?: number;
  /** Net entries (files and directories) that may be created through the node (default: unlimited). */
  readonly entries?: number;
}

export interface QuotaUsage {
  readonly bytes: number;
  readonly entries: number;
}

/** A budget shared by every node quota'd with it. Opaque but for `usage()` and `limits`. */
export interface QuotaAccount {
  readonly limits: QuotaUsage;
  usage(): QuotaUsage;
}

interface AccountState {
  readonly limit: QuotaUsage;
  readonly used: { bytes: number; entries: number };
  tail: Promise<unknown>;
}
const accounts = new WeakMap<QuotaAccount, AccountState>();

export interface Quota<N extends Node> {
  readonly node: N;
  /** What has been consumed through `node` so far. */
  usage(): QuotaUsage;
}

type Budget = keyof QuotaUsage;
type Path = readonly string[];

const NOTHING: QuotaUsage = Object.freeze({ bytes: 0, entries: 0 });

const units = (budget: Budget, amount: number) =>
  `${amount} ${amount === 1 ? (budget === 'bytes' ? 'byte' : 'entry') : budget === 'bytes' ? 'bytes' : 'entries'}`;

const limitOf = (limits: QuotaLimits, budget: Budget): number => {
  const value: unknown = limits[budget];
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new InvalidArgumentError({
      operation: 'quota',
      target: budget,
      problem: `the ${budget} limit must be a number >= 0, got ${typeof value === 'number' ? value : typeof value}`,
      rule: 'a budget is a non-negative amount',
    });
  }
  return value;
};

/** A budget that several `quota(node, account)` nodes draw on together. */
const newState = (limits: QuotaLimits): AccountState => {
  if (typeof limits !== 'object' || limits === null) {
    throw new InvalidArgumentError({ operation: 'quota', problem: 'the limits must be an object', rule: 'quota(node, { bytes, entries })' });
  }
  return {
    limit: Object.freeze({ bytes: limitOf(limits, 'bytes'), entries: limitOf(limits, 'entries') }),
    used: { bytes: 0, entries: 0 },
    tail: Promise.resolve(),
  };
};

export const quotaAccount = (limits: QuotaLimits = {}): QuotaAccount => {
  const state = newState(limits);
  const account: QuotaAccount = harden({ limits: state.limit, usage: (): QuotaUsage => harden({ bytes: state.used.bytes, entries: state.used.entries }) });
  accounts.set(account, state);
  return account;
};

export const quota = <N extends Node>(node: N, limits: QuotaLimits | QuotaAccount = {}): Quota<N> => {
  const state = accounts.get(limits as QuotaAccount) ?? newState(limits as QuotaLimits);
  const { limit, used } = state;
  const isFile = getInterfaceOf(node) === 'Alleged: File';

  const existing = async (path: Path): Promise<Stat | undefined> => {
    try {
      return await (isFile ? (node as FileNode).stat() : (node as DirNode).stat(showPath(path)));
    } catch (error) {
      if (isCathedralError(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
  };
  const missingParents = async (path: Path): Promise<number> => {
    let missing = 0;
    for (let depth = path.length - 1; depth > 0 && (await existing(path.slice(0, depth))) === undefined; depth -= 1) missing += 1;
    return missing;
  };
  /** A directory and everything below it. */
  const tree = async (path: Path): Promise<QuotaUsage> => {
    let bytes = 0;
    let entries = 1;
    for (const entry of await (node as DirNode).list(showPath(path))) {
      const below = entry.kind === 'dir' ? await tree([...path, entry.name]) : { bytes: (await existing([...path, entry.name]))?.size ?? 0, entries: 1 };
      bytes += below.bytes;
      entries += below.entries;
    }
    return { bytes, entries };
  };
  const costOf = async (operation: NodeOperation, path: Path, data: Uint8Array | undefined): Promise<QuotaUsage> => {
    switch (operation) {
      case 'write': {
        if (data === undefined) {
          // The forwarder always passes the bytes of a write; fail closed rather than count it as 0.
          throw new InvalidArgumentError({ operation, target: showPath(path), problem: 'the size of the write is unknown', rule: 'a quota measures every write' });
        }
        const size = data.byteLength;
        const before = await existing(path);
        if (before === undefined) return { bytes: size, entries: 1 + (await missingParents(path)) };
        return before.kind === 'file' ? { bytes: size - before.size, entries: 0 } : NOTHING;
      }
      case 'mkdir':
        return (await existing(path)) === undefined ? { bytes: 0, entries: 1 + (await missingParents(path)) } : NOTHING;
      case 'remove': {
        const before = await existing(path);
        if (before === undefined) return NOTHING;
        const gone = before.kind === 'file' ? { bytes: before.size, entries: 1 } : await tree(path);
        return { bytes: -gone.bytes, entries: -gone.entries };
      }
      default:
        return NOTHING; // rename moves, reads never reach `mutate`
    }
  };

  /** Takes the growth out of the budget now, synchronously, or refuses. */
  const reserve = (operation: NodeOperation, path: CheckedPath, growth: QuotaUsage): void => {
    for (const budget of ['bytes', 'entries'] as const) {
      const asked = growth[budget];
      const remaining = limit[budget] - used[budget];
      if (asked > 0 && asked > remaining) {
        throw new BudgetExceededError({
          operation,
          target: showPath(path),
          problem: `the ${budget} budget of ${units(budget, limit[budget])} is exceeded: this ${operation} asks for ${units(budget, asked)} more and ${units(budget, Math.max(0, remaining))} ${remaining === 1 ? 'remains' : 'remain'}`,
          rule: 'what is written through a quota node stays within its budget',
          allow: 'free space by removing entries through this node, or ask the grantor for a larger quota',
        });
      }
    }
    used.bytes += growth.bytes;
    used.entries += growth.entries;
  };

  const oneAtATime = <R>(task: () => Promise<R>): Promise<R> => {
    const result = state.tail.then(task);
    state.tail = result.catch(() => undefined);
    return result;
  };

  const attenuated = attenuate(node, {
    label: `quota(${(['bytes', 'entries'] as const).filter(b => limit[b] !== Infinity).map(b => units(b, limit[b])).join(', ')})`,
    check: () => undefined,
    mutate: <R>(operation: NodeOperation, path: CheckedPath, run: () => Promise<R>, data?: Uint8Array): Promise<R> =>
      oneAtATime(async () => {
        const cost = await costOf(operation, path, data);
        const growth = { bytes: Math.max(0, cost.bytes), entries: Math.max(0, cost.entries) };
        reserve(operation, path, growth);
        let result: R;
        try {
          result = await run();
        } catch (error) {
          used.bytes -= growth.bytes;
          used.entries -= growth.entries;
          throw error;
        }
        used.bytes += Math.min(0, cost.bytes);
        used.entries += Math.min(0, cost.entries);
        return result;
      }),
  });
  return harden({ node: attenuated, usage: (): QuotaUsage => harden({ bytes: used.bytes, entries: used.entries }) });
};

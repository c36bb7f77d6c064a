/**
 * The checked-path face of the directories the powerbox makes.
 *
 * A stack of attenuations is a chain of directories, each calling the next by
 * path. Through their public methods every level would check the same path
 * again, format it back into a string for the next, and (for an overlay) ask
 * for a listing or an error to learn that upper lacks an entry. So every
 * directory made here (a store's, a forwarder's) also registers a `Direct`:
 * the same operations over a path that is already a `CheckedPath`, relative
 * to that directory, plus `kind`, which answers 'none' for a missing entry
 * instead of building an error. A forwarder whose inner directory has one
 * calls it instead of the public method.
 *
 * Nothing is skipped but the re-parsing: each level still runs its own
 * checks (a layer's `check`, `after` and `failed`, a store's lookups) on the
 * path it would have parsed. The registry is private to this package: a
 * guest holds only the public nodes, and a `CheckedPath` can only come from
 * `checkPath`, so nothing outside can call a `Direct` or forge its argument.
 */
import type { DirEntry, DirNode, NodeKind, Stat } from '@cathedral/sdk';
import { isCathedralError } from '@cathedral/sdk';
import { type CheckedPath, showPath } from './path.js';

export type Presence = NodeKind | 'none';

/** A directory's read operations over paths relative to it, already checked. A method may throw instead of rejecting: call it from an async function or through `settle`. */
export interface Direct {
  stat(path: CheckedPath): Promise<Stat>;
  list(path: CheckedPath): Promise<readonly DirEntry[]>;
  /** A private copy of the file's bytes: the caller may keep or change it. */
  read(path: CheckedPath): Promise<Uint8Array>;
  /** What is at `path`: 'none' where a `stat` would refuse with NOT_FOUND. */
  kind(path: CheckedPath): Promise<Presence>;
}

const directs = new WeakMap<object, Direct>();

/** Registers `direct` as the checked-path face of `node`; answers `node`. */
export const withDirect = <T extends object>(node: T, direct: Direct): T => {
  directs.set(node, direct);
  return node;
};

/** The checked-path face of `node`, if the powerbox made it. */
export const directOf = (node: unknown): Direct | undefined =>
  typeof node === 'object' && node !== null ? directs.get(node) : undefined;

/**
 * `run`'s promise, or a rejection with what it threw. A `Direct` method may
 * throw instead of rejecting (a layer refuses synchronously, and an `async`
 * wrapper per layer would cost a promise each); public methods call it
 * through this.
 */
export const settle = <R>(run: () => Promise<R>): Promise<R> => {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
};

/** The kind a `stat` answers, 'none' where it refuses with NOT_FOUND: for backends and nodes that have no cheaper way to say. */
export const kindByStat = async (stat: () => Promise<Stat>): Promise<Presence> => {
  try {
    return (await stat()).kind;
  } catch (error) {
    if (isCathedralError(error, 'NOT_FOUND')) return 'none';
    throw error;
  }
};

/**
 * The `Direct` of `node`, or one made over its public methods (each path
 * shown again as a string, a copy made of each read, since a foreign node
 * may hand out bytes it keeps).
 */
export const directTo = (node: DirNode): Direct =>
  directOf(node) ?? {
    stat: path => node.stat(showPath(path)),
    list: path => node.list(showPath(path)),
    read: async path => new Uint8Array(await node.read(showPath(path))),
    kind: path => kindByStat(() => node.stat(showPath(path))),
  };

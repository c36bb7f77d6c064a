/**
 * From a store to nodes: the one place that turns a path-addressed backend
 * into hardened `Dir` and `File` capabilities.
 *
 * A `Store` receives only checked paths (see ../path.ts) relative to its own
 * top, and must keep every operation inside it. This module checks every
 * guest path, copies guest data before the first await, and never hands out
 * the store itself. Nodes are addressed by path: a `File` node names a place,
 * not an inode.
 */
import { Far } from '@endo/far';
import type { Data, DirEntry, DirNode, FileNode, MkdirOptions, Node, RemoveOptions, Stat, WriteOptions } from '@cathedral/sdk';
import { InvalidArgumentError, WrongKindError } from '@cathedral/sdk';
import { type CheckedPath, checkPath, joinPath, showPath } from '../path.js';
import { toBytes, toText } from '../data.js';
import { recordLineage } from '../lineage.js';
import { type Presence, kindByStat, withDirect } from '../direct.js';

/** A path-addressed backend. Every method may throw a Cathedral error. */
export interface Store {
  stat(path: CheckedPath): Promise<Stat>;
  list(path: CheckedPath): Promise<readonly DirEntry[]>;
  read(path: CheckedPath): Promise<Uint8Array>;
  write(path: CheckedPath, bytes: Uint8Array, options: { parents: boolean }): Promise<void>;
  mkdir(path: CheckedPath, options: { recursive: boolean }): Promise<void>;
  remove(path: CheckedPath, options: { recursive: boolean }): Promise<void>;
  rename(from: CheckedPath, to: CheckedPath): Promise<void>;
  /** What is at `path`, 'none' where `stat` would refuse with NOT_FOUND; without it, `stat` is asked. */
  kind?(path: CheckedPath): Promise<Presence>;
}


const flag = (operation: string, options: unknown, name: string): boolean => {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ operation, problem: 'options must be an object', rule: 'options are plain records' });
  }
  // Read once, from an own data property: no guest getter runs twice.
  const desc = Object.getOwnPropertyDescriptor(options, name);
  if (desc === undefined) return false;
  if (!('value' in desc) || typeof desc.value !== 'boolean') {
    throw new InvalidArgumentError({
      operation,
      target: name,
      problem: `option "${name}" must be a plain boolean`,
      rule: 'options are plain records of plain values',
    });
  }
  return desc.value;
};

const makeFile = (store: Store, at: CheckedPath, label: string): FileNode =>
  recordLineage(Far('File', {
    stat: async () => store.stat(at),
    read: async () => store.read(at),
    readText: async () => toText(await store.read(at)),
    write: async (data: Data) => store.write(at, toBytes('write', showPath(at), data), { parents: false }),
  }), label);

const makeDir = (store: Store, at: CheckedPath, label: string): DirNode => {
  const here = (operation: string, path: unknown = ''): CheckedPath => joinPath(at, checkPath(operation, path));
  const below = (path: CheckedPath): CheckedPath => (at.length === 0 ? path : joinPath(at, path));
  const node = recordLineage(Far('Dir', {
    resolve: async (path: string): Promise<Node> => {
      const target = here('resolve', path);
      const { kind } = await store.stat(target);
      return kind === 'dir' ? makeDir(store, target, label) : makeFile(store, target, label);
    },
    list: async (path?: string) => store.list(here('list', path)),
    stat: async (path?: string) => store.stat(here('stat', path)),
    read: async (path: string) => store.read(here('read', path)),
    readText: async (path: string) => toText(await store.read(here('readText', path))),
    write: async (path: string, data: Data, options?: WriteOptions) => {
      const target = here('write', path);
      const parents = flag('write', options, 'parents');
      return store.write(target, toBytes('write', path, data), { parents });
    },
    mkdir: async (path: string, options?: MkdirOptions) =>
      store.mkdir(here('mkdir', path), { recursive: flag('mkdir', options, 'recursive') }),
    remove: async (path: string, options?: RemoveOptions) =>
      store.remove(here('remove', path), { recursive: flag('remove', options, 'recursive') }),
    rename: async (from: string, to: string) => store.rename(here('rename', from), here('rename', to)),
  }), label);
  return withDirect(node, {
    stat: path => store.stat(below(path)),
    list: path => store.list(below(path)),
    read: path => store.read(below(path)),
    kind: path => (store.kind === undefined ? kindByStat(() => store.stat(below(path))) : store.kind(below(path))),
  });
};

/** The top directory node of `store`; `label` names the backend in routes (`memory`, `hostDir`). */
export const makeStoreRoot = (store: Store, label = 'store'): DirNode => makeDir(store, checkPath('resolve', ''), label);

/** Refusal for an operation that needs a directory and found a file, or the reverse. */
export const wrongKind = (operation: string, path: CheckedPath, expected: 'dir' | 'file') =>
  new WrongKindError({
    operation,
    target: showPath(path),
    problem: expected === 'dir' ? 'it is a file, not a directory' : 'it is a directory, not a file',
    rule: expected === 'dir' ? 'only directories have entries' : 'only files have content',
  });

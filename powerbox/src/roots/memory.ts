/**
 * `memory(tree?)`: a synthetic root held in memory.
 *
 * Directories are `Map`s, files are byte arrays that are never shared with a
 * caller (copied in and out). Every operation completes within one turn, so
 * a write is atomic by construction. There is no size limit here: quotas are
 * an attenuation.
 */
import type { DirEntry, DirNode, Stat, TreeLiteral } from '@cathedral/sdk';
import { ExistsError, InvalidArgumentError, NotEmptyError, NotFoundError } from '@cathedral/sdk';
import { type CheckedPath, checkPath, showPath, splitLast } from '../path.js';
import { toBytes } from '../data.js';
import { type Store, makeStoreRoot, wrongKind } from './store.js';

type Entry = Dir | Uint8Array;
type Dir = Map<string, Entry>;

const notFound = (operation: string, path: CheckedPath) =>
  new NotFoundError({
    operation,
    target: showPath(path),
    problem: 'no such file or directory',
    rule: 'only existing entries can be reached',
  });

const fromLiteral = (tree: TreeLiteral, at: string[]): Dir => {
  const dir: Dir = new Map();
  for (const [name, value] of Object.entries(tree)) {
    const [segment] = checkPath('memory', name);
    if (segment === undefined || checkPath('memory', name).length !== 1) {
      throw new InvalidArgumentError({
        operation: 'memory',
        target: [...at, name].join('/'),
        problem: 'a tree key must be one plain name',
        rule: 'tree literals nest objects for directories',
      });
    }
    dir.set(
      segment,
      typeof value === 'string' || value instanceof Uint8Array
        ? toBytes('memory', [...at, name].join('/'), value)
        : fromLiteral(value, [...at, name]),
    );
  }
  return dir;
};

const makeMemoryStore = (top: Dir): Store => {
  const lookup = (operation: string, path: CheckedPath): Entry => {
    let entry: Entry = top;
    for (const name of path) {
      if (!(entry instanceof Map)) throw notFound(operation, path);
      const next: Entry | undefined = entry.get(name);
      if (next === undefined) throw notFound(operation, path);
      entry = next;
    }
    return entry;
  };
  const dirAt = (operation: string, path: CheckedPath): Dir => {
    const entry = lookup(operation, path);
    if (!(entry instanceof Map)) throw wrongKind(operation, path, 'dir');
    return entry;
  };
  const parentOf = (operation: string, path: CheckedPath, create: boolean): [Dir, string] => {
    const [parent, name] = splitLast(operation, path);
    if (!create) return [dirAt(operation, parent), name];
    let dir = top;
    for (const segment of parent) {
      let next = dir.get(segment);
      if (next === undefined) {
        next = new Map();
        dir.set(segment, next);
      }
      if (!(next instanceof Map)) throw wrongKind(operation, parent, 'dir');
      dir = next;
    }
    return [dir, name];
  };
  const statOf = (entry: Entry): Stat =>
    Object.freeze(entry instanceof Map ? { kind: 'dir', size: entry.size } : { kind: 'file', size: entry.byteLength });

  return {
    stat: async path => statOf(lookup('stat', path)),
    kind: async path => {
      let entry: Entry = top;
      for (const name of path) {
        const next: Entry | undefined = entry instanceof Map ? entry.get(name) : undefined;
        if (next === undefined) return 'none';
        entry = next;
      }
      return entry instanceof Map ? 'dir' : 'file';
    },
    list: async path =>
      [...dirAt('list', path)]
        .map(([name, entry]): DirEntry => Object.freeze({ name, kind: entry instanceof Map ? 'dir' : 'file' }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    read: async path => {
      const entry = lookup('read', path);
      if (entry instanceof Map) throw wrongKind('read', path, 'file');
      return new Uint8Array(entry);
    },
    write: async (path, bytes, { parents }) => {
      const [dir, name] = parentOf('write', path, parents);
      if (dir.get(name) instanceof Map) throw wrongKind('write', path, 'file');
      dir.set(name, new Uint8Array(bytes));
    },
    mkdir: async (path, { recursive }) => {
      if (path.length === 0) {
        if (recursive) return;
        throw new ExistsError({ operation: 'mkdir', target: '', problem: 'the directory exists', rule: 'mkdir creates' });
      }
      const [dir, name] = parentOf('mkdir', path, recursive);
      const existing = dir.get(name);
      if (existing instanceof Map && recursive) return;
      if (existing !== undefined) {
        throw new ExistsError({
          operation: 'mkdir',
          target: showPath(path),
          problem: 'an entry with that name exists',
          rule: 'mkdir creates a new directory',
          allow: existing instanceof Map ? 'pass { recursive: true } to accept an existing directory' : undefined,
        });
      }
      dir.set(name, new Map());
    },
    remove: async (path, { recursive }) => {
      const [dir, name] = parentOf('remove', path, false);
      const entry = dir.get(name);
      if (entry === undefined) throw notFound('remove', path);
      if (entry instanceof Map && entry.size > 0 && !recursive) {
        throw new NotEmptyError({
          operation: 'remove',
          target: showPath(path),
          problem: 'the directory is not empty',
          rule: 'only empty directories are removed by default',
          allow: 'pass { recursive: true }',
        });
      }
      dir.delete(name);
    },
    rename: async (from, to) => {
      const [fromDir, fromName] = parentOf('rename', from, false);
      const entry = fromDir.get(fromName);
      if (entry === undefined) throw notFound('rename', from);
      if (entry instanceof Map && to.length >= from.length && from.every((s, i) => to[i] === s)) {
        throw new InvalidArgumentError({
          operation: 'rename',
          target: showPath(to),
          problem: 'a directory cannot move inside itself',
          rule: 'rename keeps the tree a tree',
        });
      }
      const [toDir, toName] = parentOf('rename', to, false);
      const existing = toDir.get(toName);
      if (existing instanceof Map && !(entry instanceof Map)) throw wrongKind('rename', to, 'file');
      if (existing instanceof Map && existing.size > 0) {
        throw new NotEmptyError({
          operation: 'rename',
          target: showPath(to),
          problem: 'the target directory is not empty',
          rule: 'rename replaces only files and empty directories',
        });
      }
      fromDir.delete(fromName);
      toDir.set(toName, entry);
    },
  };
};

/** A new in-memory root, optionally filled from a tree literal. */
export const memory = (tree: TreeLiteral = {}): DirNode => makeStoreRoot(makeMemoryStore(fromLiteral(tree, [])), 'memory');

/**
 * The host's own check that plugins changed nothing they were only meant to
 * read: every file below a root, read before and after the run, compared.
 *
 * It reads through a root node with the host's full authority (no realm gate,
 * no ceiling): this is the host looking, not a plugin. Deliberately small:
 * it holds the whole tree in memory, which suits a sysroot of a few files.
 */
import type { DirNode } from '@cathedral/sdk';

export type Snapshot = ReadonlyMap<string, Uint8Array>;

export const snapshot = async (root: DirNode, prefix = '', into = new Map<string, Uint8Array>()): Promise<Snapshot> => {
  for (const entry of await root.list(prefix)) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.kind === 'dir') await snapshot(root, path, into);
    else into.set(path, await root.read(path));
  }
  return into;
};

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i]);

export const sameSnapshot = (a: Snapshot, b: Snapshot): boolean =>
  a.size === b.size && [...a].every(([path, bytes]) => {
    const other = b.get(path);
    return other !== undefined && sameBytes(bytes, other);
  });

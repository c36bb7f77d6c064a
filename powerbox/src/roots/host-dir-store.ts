/**
 * The `Store` behind `hostDir`: stat, list, read, atomic write, mkdir,
 * remove and rename over a host directory, each run inside a confined walk
 * (host-dir-walk.ts). What is refused and why is in host-dir.ts.
 *
 * This module does not choose the opener or check the root: host-dir.ts does.
 */
import { type FileHandle, readdir, rename as renameHost, rmdir, unlink, mkdir as mkdirHost, open, lstat } from 'node:fs/promises';
import { type BigIntStats, constants } from 'node:fs';
import type { DirEntry } from '@cathedral/sdk';
import { ExistsError, InvalidArgumentError, NotEmptyError, isCathedralError } from '@cathedral/sdk';
import { type CheckedPath, checkPath, showPath, splitLast } from '../path.js';
import type { Store } from './store.js';
import {
  TEMP_PREFIX,
  changed,
  errnoOf,
  fromHost,
  hardLinkRefused,
  intoItself,
  notADir,
  notAFile,
  notFound,
  reserved,
  specialRefused,
  symlinkRefused,
} from './host-dir-errors.js';
import { ATTEMPTS, type Opener, type Place, type Root, lstatIfAny, openChild, sameFile, walk } from './host-dir-walk.js';
import { readFast } from './host-dir-native.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;
// O_NONBLOCK: a FIFO swapped in after the lstat must not block the open.
const READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
const TEMP_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY;

const tempName = (): string =>
  TEMP_PREFIX + Array.from(crypto.getRandomValues(new Uint8Array(8)), b => b.toString(16).padStart(2, '0')).join('');

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Refuses before touching the host: temp names (they do not exist for
 * guests) and lone surrogates, which Node turns into U+FFFD so that several
 * guest names would alias one host file behind any filter keyed on names.
 */
const guard = (operation: string, path: CheckedPath, creating: boolean): string => {
  const target = showPath(path);
  if (path.some(s => s.startsWith(TEMP_PREFIX))) throw (creating ? reserved : notFound)(operation, target);
  if (LONE_SURROGATE.test(target)) {
    throw new InvalidArgumentError({
      operation,
      target: JSON.stringify(target),
      problem: 'the path is not well-formed Unicode (it has a lone surrogate)',
      rule: 'one name names one file',
    });
  }
  return target;
};

/** A name a guest could write back as a one-segment path. */
const isPlainName = (name: string): boolean => {
  if (name.startsWith(TEMP_PREFIX)) return false;
  try {
    const path = checkPath('list', name);
    return path.length === 1 && path[0] === name;
  } catch {
    return false;
  }
};

/** Throws unless `found` is a regular file with one link. */
const assertPlainFile = (operation: string, target: string, name: string, found: BigIntStats): void => {
  if (found.isSymbolicLink()) throw symlinkRefused(operation, target, name);
  if (found.isDirectory()) throw notAFile(operation, target);
  if (!found.isFile()) throw specialRefused(operation, target, name);
  if (found.nlink > 1n) throw hardLinkRefused(operation, target);
};

/**
 * Opens regular file `name` of `dir` for reading: refused from lstat before
 * opening (nothing that could block is opened), opened O_NOFOLLOW|O_NONBLOCK,
 * and the descriptor's own fstat must be the same single-link regular file.
 */
const openFile = async (opener: Opener, dir: Place, name: string, operation: string, target: string): Promise<FileHandle> => {
  for (let attempt = 1; ; attempt += 1) {
    const at = opener.entry(dir, name);
    const named = await lstat(at, { bigint: true });
    assertPlainFile(operation, target, name, named);
    const handle = await open(at, READ_FLAGS);
    try {
      const held = await handle.stat({ bigint: true });
      assertPlainFile(operation, target, name, held);
      if (sameFile(held, named)) return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
    await handle.close();
    // Replaced between lstat and open, most often by a concurrent atomic write: look again.
    if (attempt >= ATTEMPTS) throw changed(operation, target, name);
  }
};

/** Throws for what no operation reaches: symlinks, FIFOs, sockets, devices. */
const assertReachable = (operation: string, target: string, name: string, found: BigIntStats): void => {
  if (found.isSymbolicLink()) throw symlinkRefused(operation, target, name);
  if (!found.isFile() && !found.isDirectory()) throw specialRefused(operation, target, name);
};

/** fsync a directory so a rename survives a crash; some file systems cannot. */
const settle = (dir: Place): Promise<void> =>
  dir.handle.sync().catch((error: unknown) => {
    if (errnoOf(error) !== 'EINVAL' && errnoOf(error) !== 'ENOTSUP') throw error;
  });

const ignoreMissing = (error: unknown): void => {
  if (errnoOf(error) !== 'ENOENT') throw error;
};

const byName = (a: DirEntry, b: DirEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export const makeHostDirStore = (root: Root, pick: () => Promise<Opener>): Store => {
  /** Runs `body` in the open directory at `segments`; every error leaves as a Cathedral error about `target`. */
  const inDir = async <T>(
    operation: string,
    target: string,
    segments: readonly string[],
    create: boolean,
    body: (dir: Place, opener: Opener) => Promise<T>,
  ): Promise<T> => {
    try {
      const opener = await pick();
      const dir = await walk(root, opener, segments, operation, target, create);
      try {
        return await body(dir, opener);
      } finally {
        await dir.handle.close();
      }
    } catch (error) {
      throw fromHost(operation, target, error);
    }
  };

  const entriesOf = async (operation: string, target: string, opener: Opener, dir: Place): Promise<readonly DirEntry[]> => {
    const entries: DirEntry[] = [];
    for (const entry of await readdir(opener.self(dir), { withFileTypes: true })) {
      if (!isPlainName(entry.name)) continue;
      if (entry.isDirectory()) entries.push(Object.freeze({ name: entry.name, kind: 'dir' }));
      else if (entry.isFile()) entries.push(Object.freeze({ name: entry.name, kind: 'file' }));
    }
    await opener.recheck(operation, target, dir);
    return Object.freeze(entries.sort(byName));
  };

  /** Removes directory `name` of `dir` and everything below it, following no symlink. */
  const removeTree = async (opener: Opener, dir: Place, name: string, target: string): Promise<void> => {
    let sub: Place;
    try {
      sub = await openChild(opener, dir, name, 'remove', target);
    } catch (error) {
      if (!isCathedralError(error) || (error.code !== 'PATH_ESCAPE' && error.code !== 'WRONG_KIND')) throw error;
      // No longer a directory (a symlink was swapped in?): unlink the name, never follow it.
      await opener.recheck('remove', target, dir);
      await unlink(opener.entry(dir, name)).catch(ignoreMissing);
      return;
    }
    try {
      for (const entry of await readdir(opener.self(sub), { withFileTypes: true })) {
        if (entry.isDirectory()) {
          await removeTree(opener, sub, entry.name, target);
        } else {
          await opener.recheck('remove', target, sub);
          await unlink(opener.entry(sub, entry.name)).catch(ignoreMissing);
        }
      }
    } finally {
      await sub.handle.close();
    }
    await opener.recheck('remove', target, dir);
    await rmdir(opener.entry(dir, name));
  };

  return {
    stat: async path => {
      const target = guard('stat', path, false);
      if (path.length === 0) {
        return inDir('stat', target, [], false, async (dir, opener) =>
          Object.freeze({ kind: 'dir' as const, size: (await entriesOf('stat', target, opener, dir)).length }),
        );
      }
      const [parent, name] = splitLast('stat', path);
      return inDir('stat', target, parent, false, async (dir, opener) => {
        const found = await lstat(opener.entry(dir, name), { bigint: true });
        if (!found.isDirectory()) {
          assertPlainFile('stat', target, name, found);
          await opener.recheck('stat', target, dir);
          return Object.freeze({ kind: 'file' as const, size: Number(found.size) });
        }
        const sub = await openChild(opener, dir, name, 'stat', target);
        try {
          return Object.freeze({ kind: 'dir' as const, size: (await entriesOf('stat', target, opener, sub)).length });
        } finally {
          await sub.handle.close();
        }
      });
    },

    list: async path => {
      const target = guard('list', path, false);
      return inDir('list', target, path, false, (dir, opener) => entriesOf('list', target, opener, dir));
    },

    read: async path => {
      const target = guard('read', path, false);
      if (path.length === 0) throw notAFile('read', target);
      const { native } = await pick().catch((error: unknown) => {
        throw fromHost('read', target, error);
      });
      if (native !== undefined) {
        // One native call for a small plain file; anything else takes the path below, which says why.
        const bytes = readFast(native, root.hostPath, root.dev, root.ino, path);
        if (bytes !== undefined) return bytes;
      }
      const [parent, name] = splitLast('read', path);
      return inDir('read', target, parent, false, async (dir, opener) => {
        const handle = await openFile(opener, dir, name, 'read', target);
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await handle.readFile());
        } finally {
          await handle.close();
        }
        await opener.recheck('read', target, dir);
        return bytes;
      });
    },

    write: async (path, bytes, { parents }) => {
      const target = guard('write', path, true);
      if (path.length === 0) throw notAFile('write', target);
      const [parent, name] = splitLast('write', path);
      return inDir('write', target, parent, parents, async (dir, opener) => {
        const at = opener.entry(dir, name);
        const existing = await lstatIfAny(at);
        if (existing !== undefined) assertPlainFile('write', target, name, existing);
        const temp = opener.entry(dir, tempName());
        // A replaced file keeps its permission bits; a new one gets 0o666 less the umask.
        const handle = await open(temp, TEMP_FLAGS, existing === undefined ? 0o666 : Number(existing.mode & 0o777n));
        try {
          try {
            await handle.writeFile(bytes);
            await handle.sync();
          } finally {
            await handle.close();
          }
          await opener.recheck('write', target, dir);
          await renameHost(temp, at);
        } catch (error) {
          await unlink(temp).catch(() => undefined);
          throw error;
        }
        await settle(dir);
      });
    },

    mkdir: async (path, { recursive }) => {
      const target = guard('mkdir', path, true);
      if (path.length === 0) {
        if (recursive) return;
        throw new ExistsError({ operation: 'mkdir', target, problem: 'the directory exists', rule: 'mkdir creates a new directory' });
      }
      const [parent, name] = splitLast('mkdir', path);
      return inDir('mkdir', target, parent, recursive, async (dir, opener) => {
        const at = opener.entry(dir, name);
        await opener.recheck('mkdir', target, dir);
        try {
          await mkdirHost(at);
        } catch (error) {
          if (errnoOf(error) !== 'EEXIST') throw error;
          const found = await lstat(at, { bigint: true });
          if (found.isSymbolicLink()) throw symlinkRefused('mkdir', target, name);
          if (found.isDirectory() && recursive) return;
          throw new ExistsError({
            operation: 'mkdir',
            target,
            problem: 'an entry with that name exists',
            rule: 'mkdir creates a new directory',
            allow: found.isDirectory() ? 'pass { recursive: true } to accept an existing directory' : undefined,
          });
        }
        await settle(dir);
      });
    },

    remove: async (path, { recursive }) => {
      const target = guard('remove', path, false);
      const [parent, name] = splitLast('remove', path);
      return inDir('remove', target, parent, false, async (dir, opener) => {
        const at = opener.entry(dir, name);
        const found = await lstat(at, { bigint: true });
        assertReachable('remove', target, name, found);
        await opener.recheck('remove', target, dir);
        // A hard-linked file may be removed: only its name inside the root goes.
        if (found.isFile()) await unlink(at);
        else if (recursive) await removeTree(opener, dir, name, target);
        else {
          await rmdir(at).catch((error: unknown) => {
            if (errnoOf(error) !== 'ENOTEMPTY' && errnoOf(error) !== 'EEXIST') throw error;
            throw new NotEmptyError({
              operation: 'remove',
              target,
              problem: 'the directory is not empty',
              rule: 'only empty directories are removed by default',
              allow: 'pass { recursive: true }',
            });
          });
        }
        await settle(dir);
      });
    },

    rename: async (from, to) => {
      const source = guard('rename', from, false);
      const dest = guard('rename', to, true);
      const [fromParent, fromName] = splitLast('rename', from);
      const [toParent, toName] = splitLast('rename', to);
      return inDir('rename', source, fromParent, false, async (src, opener) => {
        const fromAt = opener.entry(src, fromName);
        const moving = await lstat(fromAt, { bigint: true });
        assertReachable('rename', source, fromName, moving);
        if (moving.isDirectory() && to.length >= from.length && from.every((s, i) => to[i] === s)) {
          throw intoItself('rename', dest);
        }
        await inDir('rename', dest, toParent, false, async dst => {
          const toAt = opener.entry(dst, toName);
          const there = await lstatIfAny(toAt);
          if (there !== undefined) {
            if (sameFile(there, moving)) return;
            assertReachable('rename', dest, toName, there);
            if (there.isDirectory() && !moving.isDirectory()) throw notAFile('rename', dest);
            if (!there.isDirectory() && moving.isDirectory()) throw notADir('rename', dest, toName);
            // Replacing a file's content by rename is a write: the same rule as write.
            if (there.isFile() && there.nlink > 1n) throw hardLinkRefused('rename', dest);
          }
          await opener.recheck('rename', source, src);
          await opener.recheck('rename', dest, dst);
          await renameHost(fromAt, toAt).catch((error: unknown) => {
            throw errnoOf(error) === 'EINVAL' ? intoItself('rename', dest) : error;
          });
          await settle(dst);
        });
        await settle(src);
      });
    },
  };
};


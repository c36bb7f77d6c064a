/**
 * The confined walk under `hostDir`: from the root's directory to the
 * directory named by checked segments, one component at a time, holding a
 * file descriptor for each directory and never following a symlink.
 *
 * How an entry of an open directory is named is an `Opener` strategy:
 * - `procFdOpener` (Linux): `/proc/self/fd/<fd>/<name>`. The kernel resolves
 *   the magic link to the very directory the descriptor holds, so each step
 *   is relative to the previous one, like `openat(2)`: renaming or swapping a
 *   component after it was opened changes nothing for this walk.
 * - `checkedPathOpener` (anywhere else): `<host path>/<name>`, with each
 *   component lstat-ed, opened `O_NOFOLLOW | O_DIRECTORY`, compared by
 *   dev/ino, and the whole chain re-checked (`recheck`) before results are
 *   returned and before anything is changed.
 * - `nativeOpener` (Linux, with @cathedral/kernel-native registered, see
 *   host-dir-native.ts): names entries like `procFdOpener`, but a walk is one
 *   openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from the root's descriptor;
 *   when the kernel refuses, the step-by-step walk runs and says why.
 *
 * This module does not read, write or list: host-dir.ts does.
 */
import { type FileHandle, lstat, mkdir, open, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { constants, fstat, fsync } from 'node:fs';
import { type NativeResolver, nativeResolver, openDirBeneath, openRootFd } from './host-dir-native.js';
import { changed, errnoOf, fromHost, notADir, notFound, rootGone, specialRefused, symlinkRefused } from './host-dir-errors.js';

/** The host directory a `hostDir` is bound to, fixed at creation. */
export interface Root {
  readonly hostPath: string;
  readonly dev: bigint;
  readonly ino: bigint;
}

/** The identity of one directory walked through. */
interface Mark {
  /** The segment as the guest wrote it ('.' for the root). */
  readonly name: string;
  readonly hostPath: string;
  readonly dev: bigint;
  readonly ino: bigint;
}

/** An open directory: a Node FileHandle, or a descriptor the native opener holds. */
export interface DirHandle {
  readonly fd: number;
  close(): Promise<void>;
  sync(): Promise<void>;
  stat(options: { bigint: true }): Promise<BigIntStats>;
}

/** An open directory reached by a walk. The caller closes `handle`. */
export interface Place {
  readonly handle: DirHandle;
  /** The host path the walk took; only `checkedPathOpener` names entries by it. */
  readonly hostPath: string;
  /** Every directory walked through, root first, this one last. */
  readonly trail: readonly Mark[];
}

/** How entries of an open directory are named on the host. */
export interface Opener {
  readonly kind: 'proc-fd' | 'checked-path' | 'openat2';
  /** The addon's resolver, for one-call walks and reads (the native opener only). */
  readonly native?: NativeResolver;
  /** A host path naming `name` in `dir`; its last component is never followed by lstat/open(O_NOFOLLOW)/unlink/rename. */
  entry(dir: Place, name: string): string;
  /** A host path naming `dir` itself, for readdir. */
  self(dir: Place): string;
  /** Throws PathEscapeError if a directory on the way to `dir` was replaced since it was walked. */
  recheck(operation: string, target: string, dir: Place): Promise<void>;
}

export const procFdOpener: Opener = Object.freeze({
  kind: 'proc-fd' as const,
  entry: (dir: Place, name: string) => `/proc/self/fd/${dir.handle.fd}/${name}`,
  self: (dir: Place) => `/proc/self/fd/${dir.handle.fd}`,
  // Each step was taken from the descriptor of the previous one: nothing to re-check.
  recheck: async () => undefined,
});

export const checkedPathOpener: Opener = Object.freeze({
  kind: 'checked-path' as const,
  entry: (dir: Place, name: string) => `${dir.hostPath === '/' ? '' : dir.hostPath}/${name}`,
  self: (dir: Place) => dir.hostPath,
  recheck: async (operation: string, target: string, dir: Place) => {
    for (const mark of dir.trail) {
      const now = await lstat(mark.hostPath, { bigint: true }).catch(() => undefined);
      if (now === undefined || !now.isDirectory() || now.dev !== mark.dev || now.ino !== mark.ino) {
        throw changed(operation, target, mark.name);
      }
    }
  },
});

/** The native opener over `native` (kernel-native's `hostDirResolver()`). */
export const nativeOpener = (native: NativeResolver): Opener =>
  Object.freeze({
    kind: 'openat2' as const,
    native,
    entry: procFdOpener.entry,
    self: procFdOpener.self,
    recheck: procFdOpener.recheck,
  });

/** A descriptor opened by the addon, as a DirHandle; closing it twice closes it once. */
const fdHandle = (native: NativeResolver, fd: number): DirHandle => {
  let held = true;
  return Object.freeze({
    fd,
    close: async () => {
      if (held) {
        held = false;
        native.closeFd(fd);
      }
    },
    sync: () => new Promise<void>((resolve, reject) => fsync(fd, error => (error ? reject(error) : resolve()))),
    stat: () => new Promise<BigIntStats>((resolve, reject) => fstat(fd, { bigint: true }, (error, st) => (error ? reject(error) : resolve(st)))),
  });
};

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

/** True where the flags this confinement rests on exist (not on Windows). */
export const confinementSupported = (): boolean =>
  typeof O_NOFOLLOW === 'number' && O_NOFOLLOW !== 0 && typeof O_DIRECTORY === 'number' && O_DIRECTORY !== 0;

// O_NONBLOCK: should a FIFO be swapped in, open must not wait for a writer.
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;

export const sameFile = (a: BigIntStats, b: BigIntStats): boolean => a.dev === b.dev && a.ino === b.ino;

/** lstat, or undefined when nothing is there. */
export const lstatIfAny = async (hostPath: string): Promise<BigIntStats | undefined> => {
  try {
    return await lstat(hostPath, { bigint: true });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
};

/** Opens the root, refusing a root that is no longer the directory it was. */
export const openRoot = async (root: Root, operation: string, target: string): Promise<Place> => {
  const handle = await open(root.hostPath, DIR_FLAGS).catch(() => {
    throw rootGone(operation, target);
  });
  const here = await handle.stat({ bigint: true }).catch(() => undefined);
  if (here === undefined || here.dev !== root.dev || here.ino !== root.ino) {
    await handle.close();
    throw rootGone(operation, target);
  }
  return { handle, hostPath: root.hostPath, trail: [{ name: '.', hostPath: root.hostPath, dev: root.dev, ino: root.ino }] };
};

/** Uses `/proc/self/fd` when it names open directories on this host, with openat2 when a native resolver is registered. */
export const chooseOpener = async (root: Root): Promise<Opener> => {
  const place = await openRoot(root, 'hostDir', '');
  try {
    const seen = await stat(procFdOpener.self(place), { bigint: true });
    if (seen.dev !== root.dev || seen.ino !== root.ino) return checkedPathOpener;
    const native = nativeResolver();
    return native === undefined ? procFdOpener : nativeOpener(native);
  } catch {
    return checkedPathOpener;
  } finally {
    await place.handle.close();
  }
};

/** Why opening `name` as a directory failed, as a guest-facing error. */
const refusal = async (opener: Opener, dir: Place, name: string, operation: string, target: string, error: unknown) => {
  const errno = errnoOf(error);
  if (errno !== 'ENOTDIR' && errno !== 'ELOOP') return fromHost(operation, target, error);
  const found = await lstatIfAny(opener.entry(dir, name)).catch(() => undefined);
  if (found === undefined) return notFound(operation, target);
  if (found.isSymbolicLink()) return symlinkRefused(operation, target, name);
  if (found.isDirectory()) return changed(operation, target, name);
  return found.isFile() ? notADir(operation, target, name) : specialRefused(operation, target, name);
};

/** How often an entry replaced between two looks (a concurrent rename, an atomic write) is looked at again. */
export const ATTEMPTS = 3;

/** Opens directory `name` of `dir` without following a symlink there; creates it first when `create`. */
export const openChild = async (
  opener: Opener,
  dir: Place,
  name: string,
  operation: string,
  target: string,
  create = false,
  attempt = 1,
): Promise<Place> => {
  const at = opener.entry(dir, name);
  let handle: FileHandle;
  try {
    handle = await open(at, DIR_FLAGS);
  } catch (error) {
    if (!create || errnoOf(error) !== 'ENOENT') throw await refusal(opener, dir, name, operation, target, error);
    await opener.recheck(operation, target, dir);
    await mkdir(at).catch((e: unknown) => {
      if (errnoOf(e) !== 'EEXIST') throw fromHost(operation, target, e);
    });
    return openChild(opener, dir, name, operation, target, false, attempt);
  }
  let held: BigIntStats;
  let named: BigIntStats;
  try {
    [held, named] = await Promise.all([handle.stat({ bigint: true }), lstat(at, { bigint: true })]);
  } catch (error) {
    await handle.close();
    throw fromHost(operation, target, error);
  }
  // The descriptor and the name must be the same directory: under the
  // checked-path opener this is what catches a symlink swapped in mid-walk.
  if (held.isDirectory() && named.isDirectory() && sameFile(held, named)) {
    const hostPath = checkedPathOpener.entry(dir, name);
    return { handle, hostPath, trail: [...dir.trail, { name, hostPath, dev: held.dev, ino: held.ino }] };
  }
  await handle.close();
  if (attempt >= ATTEMPTS) throw changed(operation, target, name);
  return openChild(opener, dir, name, operation, target, create, attempt + 1);
};

/** The native walk: root and path in two calls; undefined when the kernel refuses (the JS walk then says why). */
const walkNative = (root: Root, native: NativeResolver, segments: readonly string[]): Place | undefined => {
  const rootFd = openRootFd(native, root.hostPath, root.dev, root.ino);
  // Root moved, replaced, or no descriptor left: the JS walk's openRoot says which.
  if (rootFd === undefined) return undefined;
  const rootMark = { name: '.', hostPath: root.hostPath, dev: root.dev, ino: root.ino };
  if (segments.length === 0) return { handle: fdHandle(native, rootFd), hostPath: root.hostPath, trail: [rootMark] };
  const fd = openDirBeneath(native, rootFd, segments);
  native.closeFd(rootFd);
  if (fd === undefined) return undefined;
  const hostPath = `${root.hostPath === '/' ? '' : root.hostPath}/${segments.join('/')}`;
  // Only checkedPathOpener reads the trail; the native opener never re-checks (the kernel resolved the path).
  return { handle: fdHandle(native, fd), hostPath, trail: [rootMark] };
};

/** Opens the directory at `segments` below the root; the caller closes it. */
export const walk = async (
  root: Root,
  opener: Opener,
  segments: readonly string[],
  operation: string,
  target: string,
  create = false,
): Promise<Place> => {
  if (opener.native !== undefined) {
    const place = walkNative(root, opener.native, segments);
    if (place !== undefined) return place;
  }
  let dir = await openRoot(root, operation, target);
  for (const name of segments) {
    let next: Place;
    try {
      next = await openChild(opener, dir, name, operation, target, create);
    } finally {
      await dir.handle.close();
    }
    dir = next;
  }
  return dir;
};

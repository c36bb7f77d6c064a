/**
 * The native opener of `hostDir`: openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) from the root's descriptor, so
 * the kernel resolves a whole path race-free in one call, and a read of a
 * small file is one native call (open beneath, check, read, close).
 *
 * Powerbox does not depend on @cathedral/kernel-native: the host (the
 * runtime, or an application) registers the addon's resolver with
 * `useNativeOpener(hostDirResolver())`, and hostDirs made afterwards use it
 * where /proc is usable too. Without a registration, or where it is absent,
 * the JavaScript walk (host-dir-walk.ts) is used, unchanged.
 *
 * Only the success path is native. Whenever the kernel refuses (a symlink,
 * `..`, a hard link, a FIFO, a missing entry, a file larger than
 * FAST_READ_MAX), the JavaScript walk runs instead and produces exactly the
 * refusal it always did: one wording, whichever opener runs.
 *
 * Reads of files up to FAST_READ_MAX bytes block the event loop for the
 * duration of one small read; larger files take the asynchronous path.
 */
import { InvalidArgumentError } from '@cathedral/sdk';
import { constants } from 'node:fs';

/** What the opener needs from the addon (kernel-native's `hostDirResolver()` has this shape). */
export interface NativeResolver {
  openDir(path: string): number | string;
  /** Opens a directory by host path; an errno name (ESTALE) unless it is still (dev, ino). */
  openDirChecked(path: string, dev: bigint, ino: bigint): number | string;
  fdStat(fd: number): { dev: bigint; ino: bigint; mode: number; nlink: number; size: number } | string;
  openat2(dirfd: number, path: string, flags: number, resolve: number): number | string;
  readBeneath(dirfd: number, path: string, maxBytes: number): Uint8Array | string;
  closeFd(fd: number): null | string;
  /** The resolve flags to pass to openat2: beneath, no symlinks, no magic links. */
  readonly resolve: number;
}

/** Larger files are read asynchronously, so a guest cannot stall the host's event loop with one read. */
export const FAST_READ_MAX = 64 * 1024;

let registered: NativeResolver | undefined;

const methods = ['openDir', 'openDirChecked', 'fdStat', 'openat2', 'readBeneath', 'closeFd'] as const;

/**
 * Makes hostDirs created from now on use `resolver` (kernel-native's
 * `hostDirResolver()`); `undefined` returns to the JavaScript walk.
 * Returns the resolver registered before.
 */
export const useNativeOpener = (resolver: NativeResolver | undefined): NativeResolver | undefined => {
  if (
    resolver !== undefined &&
    (typeof resolver !== 'object' || resolver === null || methods.some(m => typeof resolver[m] !== 'function') || typeof resolver.resolve !== 'number')
  ) {
    throw new InvalidArgumentError({
      operation: 'useNativeOpener',
      problem: `the resolver lacks one of ${methods.join(', ')} or resolve`,
      rule: 'a native opener is the resolver of @cathedral/kernel-native',
      allow: 'pass hostDirResolver() from @cathedral/kernel-native, or undefined',
    });
  }
  const before = registered;
  registered = resolver === undefined ? undefined : Object.freeze({ ...resolver });
  return before;
};

/** The resolver registered now, if any. */
export const nativeResolver = (): NativeResolver | undefined => registered;

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;

/** Opens the root by its host path and checks it is still the same directory; undefined if not. */
export const openRootFd = (native: NativeResolver, hostPath: string, dev: bigint, ino: bigint): number | undefined => {
  const fd = native.openDirChecked(hostPath, dev, ino);
  return typeof fd === 'number' ? fd : undefined;
};

/** The directory at `segments` beneath the root fd, opened in one call; undefined when the kernel refuses. */
export const openDirBeneath = (native: NativeResolver, rootFd: number, segments: readonly string[]): number | undefined => {
  const fd = native.openat2(rootFd, segments.join('/'), DIR_FLAGS, native.resolve);
  return typeof fd === 'number' ? fd : undefined;
};

/** The bytes of the plain file at `segments`, or undefined to take the JavaScript path. */
export const readFast = (native: NativeResolver, hostPath: string, dev: bigint, ino: bigint, segments: readonly string[]): Uint8Array | undefined => {
  const rootFd = openRootFd(native, hostPath, dev, ino);
  if (rootFd === undefined) return undefined;
  try {
    const bytes = native.readBeneath(rootFd, segments.join('/'), FAST_READ_MAX);
    return typeof bytes === 'string' ? undefined : bytes;
  } finally {
    native.closeFd(rootFd);
  }
};

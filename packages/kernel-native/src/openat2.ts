/**
 * openat2 beneath a held directory, for hostDir: the kernel resolves the
 * path and refuses `..` and absolute paths (EXDEV), symlinks anywhere (ELOOP)
 * and magic links, race-free. `readBeneath` opens, checks (a regular file
 * with one link, at most maxBytes), reads and closes in one call.
 *
 * `hostDirResolver()` is the object powerbox's `useNativeOpener` takes; it is
 * undefined where the addon or openat2 is missing, and hostDir then keeps its
 * JavaScript walk. This module knows nothing of powerbox: the shape matches
 * by structure.
 */
import type { NativeResolver } from '@cathedral/powerbox';
import { addon, type NativeAddon } from './addon.js';

export type Openat2Result = { readonly fd: number } | { readonly errno: string };

export interface OpenBeneathOptions {
  /** open(2) flags; O_CLOEXEC is always added. Default O_RDONLY. */
  readonly flags?: number;
  readonly mode?: number;
  /** Also refuse crossing a mount point (RESOLVE_NO_XDEV). */
  readonly noXdev?: boolean;
}

/** The resolve flags hostDir uses: beneath, no symlinks, no magic links. */
export const resolveBeneath = (native: NativeAddon, noXdev = false): number =>
  native.RESOLVE.BENEATH | native.RESOLVE.NO_SYMLINKS | native.RESOLVE.NO_MAGICLINKS | (noXdev ? native.RESOLVE.NO_XDEV : 0);

/** openat2(dirfd, path) beneath dirfd; undefined when the addon is absent. The caller closes the fd (`closeFd`). */
export const openBeneath = (dirfd: number, path: string, options: OpenBeneathOptions = {}): Openat2Result | undefined => {
  const native = addon();
  if (native === undefined) return undefined;
  const result = native.openat2(dirfd, path, options.flags ?? 0, resolveBeneath(native, options.noXdev), options.mode);
  return Object.freeze(typeof result === 'number' ? { fd: result } : { errno: result });
};

/** The bytes of regular single-link file `path` beneath dirfd, or why not (an errno name, ENOTREG, EMLINK, EFBIG). */
export const readBeneath = (dirfd: number, path: string, maxBytes: number): Uint8Array | { readonly errno: string } | undefined => {
  const native = addon();
  if (native === undefined) return undefined;
  const result = native.readBeneath(dirfd, path, maxBytes);
  return typeof result === 'string' ? Object.freeze({ errno: result }) : result;
};

export const closeFd = (fd: number): void => {
  addon()?.closeFd(fd);
};

/** What powerbox's hostDir needs from the addon: powerbox's own `NativeResolver`. */
export type HostDirResolver = NativeResolver;

/** The resolver for powerbox's `useNativeOpener`, or undefined where openat2 is not available here. */
export const hostDirResolver = (): HostDirResolver | undefined => {
  const native = addon();
  if (native === undefined || !native.probeOpenat2().available) return undefined;
  return Object.freeze({
    openDir: native.openDir,
    openDirChecked: native.openDirChecked,
    fdStat: native.fdStat,
    openat2: native.openat2,
    readBeneath: native.readBeneath,
    closeFd: native.closeFd,
    resolve: resolveBeneath(native),
  });
};

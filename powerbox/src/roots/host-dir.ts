/**
 * `hostDir(path)`: a root over a real host directory, confined to it.
 *
 * A guest reaches regular files and directories below the root and nothing
 * else. Refused with `PathEscapeError`: any symlink met anywhere on a path,
 * even one pointing inside (rule: "symlinks are not followed"), and regular
 * files with more than one hard link, for stat, read, write and as a rename
 * target (their content may be shared with files outside; removing or moving
 * one changes only names inside the root, so that is allowed).
 * Refused with `WrongKindError`, without ever opening them in a way that can
 * block: FIFOs, sockets and devices. `list` omits all of these, names
 * starting with `.cathedral-tmp-` (temp files of atomic writes, which are
 * NotFound for every operation), and names no guest path could address.
 * Writes are atomic: temp file in the same directory, fsync, rename over the
 * target, fsync the directory. Errors name the path as the guest wrote it,
 * never the host path, and never carry a Node error as `cause`.
 *
 * Walks go one component at a time through held descriptors (see
 * host-dir-walk.ts). The race that remains in pure JS:
 * - with `/proc` (Linux, the default there): every step and every final
 *   operation is relative to the descriptor of a directory already verified,
 *   so swapping a component for a symlink does nothing. What remains is that
 *   a directory already opened can be *moved out of the root* by a host
 *   process during the walk plus the operation; the operation then acts on
 *   it where it now is. Hard-link counts are checked at open time only.
 * - without `/proc` (macOS, BSD, a Linux without it): names are host paths,
 *   checked by lstat, opened `O_NOFOLLOW`, compared by dev/ino with fstat, and
 *   the chain re-checked before data is returned and before each change. A
 *   component swapped for a symlink after its check *and swapped back* before
 *   the re-check lets one operation act through the symlink, outside.
 * - with the native opener (openat2 through @cathedral/kernel-native,
 *   registered with `useNativeOpener`, see host-dir-native.ts): a walk is one
 *   openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 *   from the root's descriptor, so the kernel refuses `..`, symlinks and magic
 *   links during the resolution itself; the moved-out-of-the-root window
 *   above narrows to the one system call that follows the walk.
 *
 * Deliberately not done: following symlinks (even inside), exposing host
 * times, owners or modes, moving entries across roots, size quotas (an
 * attenuation), cleaning up temp files left by a crash, and refusing mount
 * points below the root (a mount there is the host's own doing).
 */
import { type BigIntStats, realpathSync, statSync } from 'node:fs';
import type { DirNode } from '@cathedral/sdk';
import { InvalidArgumentError, UnsupportedError, WrongKindError } from '@cathedral/sdk';
import { makeStoreRoot } from './store.js';
import { fromHost } from './host-dir-errors.js';
import { type Opener, type Root, chooseOpener, confinementSupported } from './host-dir-walk.js';
import { makeHostDirStore } from './host-dir-store.js';

/**
 * A root over the host directory at `path`, bound at once to the directory it
 * names now. Synchronous, so that it composes as `readOnly(hostDir(p))`: the
 * realpath and stat run here, once. `opener` is for tests and the native
 * resolver; by default `/proc/self/fd` is used where it works.
 */
export const makeHostDir = (path: string, opener?: Opener): DirNode => {
  const fail = (problem: string, rule: string) => ({
    operation: 'hostDir',
    target: typeof path === 'string' ? path : typeof path,
    problem,
    rule,
  });
  if (typeof path !== 'string') throw new InvalidArgumentError(fail('the path must be a string', 'host paths are strings'));
  if (!confinementSupported()) {
    throw new UnsupportedError({
      ...fail('this platform has no O_NOFOLLOW and O_DIRECTORY', 'a hostDir never runs unconfined'),
      allow: 'use memory(), or run the host on Linux, macOS or a BSD',
    });
  }
  let hostPath: string;
  let found: BigIntStats;
  try {
    hostPath = realpathSync(path);
    found = statSync(hostPath, { bigint: true });
  } catch (error) {
    // The host's own call: naming its path here is fine.
    throw fromHost('hostDir', path, error);
  }
  if (!found.isDirectory()) {
    throw new WrongKindError(fail('it is not a directory', 'a hostDir is made over a directory'));
  }
  const root: Root = Object.freeze({ hostPath, dev: found.dev, ino: found.ino });
  let chosen: Promise<Opener> | undefined = opener === undefined ? undefined : Promise.resolve(opener);
  const pick = (): Promise<Opener> =>
    (chosen ??= chooseOpener(root).catch((error: unknown) => {
      chosen = undefined;
      throw error;
    }));
  return makeStoreRoot(makeHostDirStore(root, pick), 'hostDir');
};

/** A root over the host directory at `path` (resolved with realpath once, now). */
export const hostDir = (path: string): DirNode => makeHostDir(path);

export { useNativeOpener, type NativeResolver } from './host-dir-native.js';

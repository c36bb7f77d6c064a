/**
 * Refusals for `hostDir`, and the one mapping from host errno codes to typed
 * Cathedral errors.
 *
 * Every error made here names the path as the guest wrote it and nothing of
 * the host: a Node error carries host paths in its message, so it is never
 * passed as `cause`, and only its errno code is read.
 *
 * This module does not decide what to refuse; host-dir.ts and
 * host-dir-walk.ts do.
 */
import {
  CathedralError,
  ExistsError,
  InvalidArgumentError,
  IoError,
  NotEmptyError,
  NotFoundError,
  PathEscapeError,
  WrongKindError,
  isCathedralError,
} from '@cathedral/sdk';

/** Names starting with this are temp files of atomic writes: never listed, never reachable. */
export const TEMP_PREFIX = '.cathedral-tmp-';

/** The errno code of a host error (`ENOENT`, …), or undefined. */
export const errnoOf = (error: unknown): string | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const code: unknown = (error as { code?: unknown }).code;
  // A code is a short constant; anything else is not echoed to a guest.
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,39}$/.test(code) ? code : undefined;
};

export const notFound = (operation: string, target: string) =>
  new NotFoundError({ operation, target, problem: 'no such file or directory', rule: 'only existing entries can be reached' });

export const reserved = (operation: string, target: string) =>
  new NotFoundError({
    operation,
    target,
    problem: `names starting with "${TEMP_PREFIX}" are reserved for atomic writes`,
    rule: 'temp files of atomic writes do not exist for guests',
    allow: 'choose another name',
  });

export const symlinkRefused = (operation: string, target: string, name: string) =>
  new PathEscapeError({
    operation,
    target,
    problem: `"${name}" is a symbolic link`,
    rule: 'symlinks are not followed',
    allow: 'replace the link with the file or directory itself, or grant a hostDir of its target',
  });

export const hardLinkRefused = (operation: string, target: string) =>
  new PathEscapeError({
    operation,
    target,
    problem: 'the file has more than one hard link',
    rule: 'hard-linked files are refused: they may be shared with files outside the root',
    allow: 'replace the link with a copy of the file',
  });

export const specialRefused = (operation: string, target: string, name: string) =>
  new WrongKindError({
    operation,
    target,
    problem: `"${name}" is a FIFO, socket or device, not a file or directory`,
    rule: 'only regular files and directories are reachable',
  });

export const changed = (operation: string, target: string, name: string) =>
  new PathEscapeError({
    operation,
    target,
    problem: `"${name}" changed while it was being opened`,
    rule: 'an entry replaced during a walk is refused, so a swapped-in symlink is never followed',
    allow: 'retry once the directory is no longer being changed',
  });

export const rootGone = (operation: string, target: string) =>
  new IoError({
    operation,
    target,
    problem: 'the root directory was moved, removed or replaced on the host',
    rule: 'a hostDir stays bound to the directory it was made for',
    allow: 'ask the host for a new root',
  });

export const notADir = (operation: string, target: string, name: string) =>
  new WrongKindError({ operation, target, problem: `"${name}" is a file, not a directory`, rule: 'only directories have entries' });

export const notAFile = (operation: string, target: string) =>
  new WrongKindError({ operation, target, problem: 'it is a directory, not a file', rule: 'only files have content' });

export const intoItself = (operation: string, target: string) =>
  new InvalidArgumentError({ operation, target, problem: 'a directory cannot move inside itself', rule: 'rename keeps the tree a tree' });

const io = (operation: string, target: string, problem: string, allow?: string) =>
  new IoError({ operation, target, problem, rule: 'the host file system must allow the operation', allow });

/** `error` as a Cathedral error about `target`; Cathedral errors pass unchanged. */
export const fromHost = (operation: string, target: string, error: unknown): CathedralError => {
  if (error instanceof CathedralError) return error;
  const errno = errnoOf(error);
  switch (errno) {
    case 'ENOENT':
      return notFound(operation, target);
    case 'ENOTDIR':
      return new WrongKindError({
        operation,
        target,
        problem: 'a component of the path is not a directory',
        rule: 'only directories have entries',
      });
    case 'EISDIR':
      return notAFile(operation, target);
    case 'EEXIST':
      return new ExistsError({ operation, target, problem: 'an entry with that name exists', rule: 'the operation creates a new entry' });
    case 'ENOTEMPTY':
      return new NotEmptyError({
        operation,
        target,
        problem: 'the directory is not empty',
        rule: 'only empty directories are removed or replaced',
      });
    case 'ELOOP':
      return new PathEscapeError({ operation, target, problem: 'the path meets a symbolic link', rule: 'symlinks are not followed' });
    case 'ENAMETOOLONG':
      return new InvalidArgumentError({
        operation,
        target,
        problem: 'the path is too long for the host',
        rule: 'paths must fit the host file system',
      });
    case 'EINVAL':
      return new InvalidArgumentError({ operation, target, problem: 'the host refused the operation as invalid', rule: 'rename keeps the tree a tree' });
    case 'EXDEV':
      return io(operation, target, 'the entry would move across a host mount point');
    case 'EACCES':
    case 'EPERM':
      return io(operation, target, 'the host denied access', 'ask the host to give its own process access');
    case 'ENOSPC':
    case 'EDQUOT':
      return io(operation, target, 'the host disk is full');
    case 'EROFS':
      return io(operation, target, 'the host file system is read-only');
    case 'EMFILE':
    case 'ENFILE':
      return io(operation, target, 'the host ran out of file handles', 'retry later');
    default:
      return io(operation, target, `the host failed with ${errno ?? 'an unknown error'}`);
  }
};

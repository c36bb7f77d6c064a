/**
 * `subtree(dir, path)`: a root at a descendant directory. Nothing above it is
 * reachable: guest paths are checked (no `..`, no absolute paths) and then
 * appended to `path`, so they can only name things below it.
 */
import type { DirNode } from '@cathedral/sdk';
import { CathedralError, WrongKindError, restate } from '@cathedral/sdk';
import { checkPath, showPath } from '../path.js';
import { attenuateAt } from './forward.js';

/** A directory node for `path` below `dir`; refuses if it is not a directory. */
export const subtree = async (dir: DirNode, path: string): Promise<DirNode> => {
  const prefix = checkPath('subtree', path);
  const { kind } = await dir.stat(showPath(prefix));
  if (kind !== 'dir') {
    throw new WrongKindError({
      operation: 'subtree',
      target: path,
      problem: 'it is a file, not a directory',
      rule: 'a subtree is rooted at a directory',
    });
  }
  const shown = showPath(prefix);
  // Errors from below name paths relative to the subtree, never its prefix.
  const failed = (_operation: string, _path: unknown, error: unknown): unknown => {
    if (!(error instanceof CathedralError) || error.target === undefined) return error;
    const { target } = error;
    if (target !== shown && !target.startsWith(`${shown}/`)) return error;
    return restate(error, { target: target.slice(shown.length + 1) });
  };
  return attenuateAt(dir, { label: `subtree(${JSON.stringify(shown)})`, check: () => undefined, failed }, prefix);
};

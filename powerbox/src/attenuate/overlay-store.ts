/**
 * The `Store` behind an overlay's node: every operation is decided on the
 * merged view (overlay-view.ts), with the memory store's refusals in the
 * memory store's order, and every change is made in `upper` or in the
 * whiteouts. `lower` is only ever read here.
 *
 * Operations run one at a time (`state.serial`), so a guest never sees a
 * rename or a copy-up half done by another of its own calls.
 */
import type { Stat } from '@cathedral/sdk';
import { ExistsError, InvalidArgumentError, NotEmptyError } from '@cathedral/sdk';
import { type CheckedPath, showPath, splitLast } from '../path.js';
import { type Store, wrongKind } from '../roots/store.js';
import {
  type OverlayState,
  type Probe,
  addWhiteout,
  child,
  dirProbe,
  dropWhiteouts,
  isWithin,
  mergedList,
  notFound,
  probe,
  probeLevels,
  readFrom,
  readView,
  samePath,
} from './overlay-view.js';

/** The parent of `path`, which must be a directory in the view (or may be created, with `create`). */
const parentDir = async (state: OverlayState, operation: string, path: CheckedPath, create: boolean): Promise<CheckedPath> => {
  const [parent] = splitLast(operation, path);
  if (!create) {
    await dirProbe(state, operation, parent);
    return parent;
  }
  // Like the memory store: missing levels will be made; a file on the way is refused.
  const levels = await probeLevels(state, parent);
  if (levels.some(level => level.kind === 'file')) throw wrongKind(operation, parent, 'dir');
  return parent;
};

/** Makes the directories of `path` in upper (copy-up of structure); lower's entries still show through them. */
const upperDirs = async (state: OverlayState, path: CheckedPath): Promise<void> => {
  if (path.length > 0) await state.upper.mkdir(showPath(path), { recursive: true });
};

/** Puts a file at `path` in upper; a file in upper hides everything lower has at or below `path`. */
const placeFile = async (state: OverlayState, path: CheckedPath, bytes: Uint8Array): Promise<void> => {
  const [parent] = splitLast('write', path);
  await upperDirs(state, parent);
  await state.upper.write(showPath(path), bytes);
  dropWhiteouts(state, showPath(path), true);
};

/** Removes what the view shows at `path`, probed as `found`: from upper, and by a whiteout over lower. */
const removeShown = async (state: OverlayState, path: CheckedPath, found: Probe): Promise<void> => {
  if (found.upper !== 'none') await state.upper.remove(showPath(path), { recursive: true });
  if (found.lower !== 'none') addWhiteout(state, path);
};

/** Copies the view's entry at `from` (of `kind`) into upper at `to`, a whole directory tree included. */
const copyUp = async (state: OverlayState, from: CheckedPath, to: CheckedPath, found: Probe): Promise<void> => {
  if (found.kind === 'file') {
    await placeFile(state, to, await readFrom(state, from, found));
    return;
  }
  await state.upper.mkdir(showPath(to), { recursive: true });
  for (const { name } of await mergedList(state, from, found)) {
    const source = child('rename', from, name);
    await copyUp(state, source, child('rename', to, name), await probe(state, source));
  }
};

const rename = async (state: OverlayState, from: CheckedPath, to: CheckedPath): Promise<void> => {
  await parentDir(state, 'rename', from, false);
  const source = await probe(state, from);
  if (source.kind === 'none') throw notFound('rename', from);
  if (source.kind === 'dir' && isWithin(to, from)) {
    throw new InvalidArgumentError({
      operation: 'rename',
      target: showPath(to),
      problem: 'a directory cannot move inside itself',
      rule: 'rename keeps the tree a tree',
    });
  }
  const [targetParent] = splitLast('rename', to);
  await dirProbe(state, 'rename', targetParent);
  const target = await probe(state, to);
  if (target.kind === 'dir' && source.kind === 'file') throw wrongKind('rename', to, 'file');
  if (target.kind === 'dir' && (await mergedList(state, to, target)).length > 0) {
    throw new NotEmptyError({
      operation: 'rename',
      target: showPath(to),
      problem: 'the target directory is not empty',
      rule: 'rename replaces only files and empty directories',
    });
  }
  if (samePath(from, to)) return;
  if (target.kind !== 'none') await removeShown(state, to, target);
  if (source.lower === 'none') {
    // Nothing of lower shows at or below `from`: upper can move it in one step.
    await upperDirs(state, targetParent);
    await state.upper.rename(showPath(from), showPath(to));
    if (source.kind === 'file') dropWhiteouts(state, showPath(to), true);
    return;
  }
  // Copy first, remove the source last: a failure midway leaves two copies, never none.
  await copyUp(state, from, to, source);
  await removeShown(state, from, source);
};

const remove = async (state: OverlayState, path: CheckedPath, recursive: boolean): Promise<void> => {
  await parentDir(state, 'remove', path, false);
  const found = await probe(state, path);
  if (found.kind === 'none') throw notFound('remove', path);
  if (found.kind === 'dir' && !recursive && (await mergedList(state, path, found)).length > 0) {
    throw new NotEmptyError({
      operation: 'remove',
      target: showPath(path),
      problem: 'the directory is not empty',
      rule: 'only empty directories are removed by default',
      allow: 'pass { recursive: true }',
    });
  }
  await removeShown(state, path, found);
};

const mkdir = async (state: OverlayState, path: CheckedPath, recursive: boolean): Promise<void> => {
  if (path.length === 0) {
    if (recursive) return;
    throw new ExistsError({ operation: 'mkdir', target: '', problem: 'the directory exists', rule: 'mkdir creates' });
  }
  await parentDir(state, 'mkdir', path, recursive);
  const found = await probe(state, path);
  if (found.kind === 'dir' && recursive) return;
  if (found.kind !== 'none') {
    throw new ExistsError({
      operation: 'mkdir',
      target: showPath(path),
      problem: 'an entry with that name exists',
      rule: 'mkdir creates a new directory',
      allow: found.kind === 'dir' ? 'pass { recursive: true } to accept an existing directory' : undefined,
    });
  }
  // A whiteout at `path` stays: the new directory is opaque, lower's old entries stay hidden.
  await upperDirs(state, path);
};

const write = async (state: OverlayState, path: CheckedPath, bytes: Uint8Array, parents: boolean): Promise<void> => {
  await parentDir(state, 'write', path, parents);
  if ((await probe(state, path)).kind === 'dir') throw wrongKind('write', path, 'file');
  await placeFile(state, path, bytes);
};

const stat = async (state: OverlayState, path: CheckedPath): Promise<Stat> => {
  const found = await probe(state, path);
  switch (found.kind) {
    case 'none':
      throw notFound('stat', path);
    case 'dir':
      return { kind: 'dir', size: (await mergedList(state, path, found)).length };
    case 'file': {
      const node = found.upper === 'file' ? state.up : state.down;
      return { kind: 'file', size: (await node.stat(path)).size };
    }
    default:
      return found.kind satisfies never;
  }
};

/** The overlay's store: reads merge, changes land in upper and the whiteouts. */
export const makeOverlayStore = (state: OverlayState): Store => ({
  stat: path => state.serial(() => stat(state, path)),
  list: path => state.serial(async () => mergedList(state, path, await dirProbe(state, 'list', path))),
  read: path => state.serial(() => readView(state, path)),
  write: (path, bytes, { parents }) => state.serial(() => write(state, path, bytes, parents)),
  mkdir: (path, { recursive }) => state.serial(() => mkdir(state, path, recursive)),
  remove: (path, { recursive }) => state.serial(() => remove(state, path, recursive)),
  rename: (from, to) => state.serial(() => rename(state, from, to)),
});

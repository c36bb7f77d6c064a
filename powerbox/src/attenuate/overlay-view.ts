/**
 * The merged view of an overlay: what a path is when `upper` is laid over
 * `lower` with a set of whiteouts. See overlay.ts for the rules.
 *
 * This module only looks: it never changes `upper`, `lower` or the
 * whiteouts, and never calls a mutating method on either node.
 */
import type { DirEntry, DirNode, NodeKind } from '@cathedral/sdk';
import { InvalidArgumentError, NotFoundError } from '@cathedral/sdk';
import { type Direct, type Presence, directOf, directTo } from '../direct.js';
import { type CheckedPath, checkPath, joinPath, showPath } from '../path.js';
import { wrongKind } from '../roots/store.js';

/** The private state shared by an overlay's node and its control facet. */
export interface OverlayState {
  readonly upper: DirNode;
  readonly lower: DirNode;
  /** Upper's and lower's reads over checked paths (../direct.ts). */
  readonly up: Direct;
  readonly down: Direct;
  /** Lower paths hidden from the view, each with everything below it. */
  readonly whiteouts: Set<string>;
  /** Runs `run` after every earlier operation of this overlay has settled. */
  serial<R>(run: () => Promise<R>): Promise<R>;
}

export type { Presence } from '../direct.js';

/** What one path is in the view, and where that comes from. */
export interface Probe {
  /** The kind the guest sees. */
  readonly kind: Presence;
  /** The kind in `upper` ('none' when absent). */
  readonly upper: Presence;
  /** The kind in `lower` that shows through ('none' when absent or hidden). */
  readonly lower: Presence;
}

const ROOT: Probe = Object.freeze({ kind: 'dir', upper: 'dir', lower: 'dir' });
const NOWHERE: Probe = Object.freeze({ kind: 'none', upper: 'none', lower: 'none' });

/** The same refusal the memory store gives for a missing entry. */
export const notFound = (operation: string, path: CheckedPath) =>
  new NotFoundError({
    operation,
    target: showPath(path),
    problem: 'no such file or directory',
    rule: 'only existing entries can be reached',
  });

/**
 * The reads of `node` over checked paths. For a directory made elsewhere,
 * `kind` looks in the parent's listing: a refusal costs far more than a
 * listing (an error and its stack per probe), and an upper layer is usually
 * small and usually lacks the entry.
 */
export const overlayDirect = (node: DirNode): Direct => {
  const own = directOf(node);
  if (own !== undefined) return own;
  const direct = directTo(node);
  return {
    ...direct,
    kind: async path => {
      if (path.length === 0) return (await node.stat('')).kind;
      const name = path[path.length - 1];
      for (const entry of await node.list(showPath(path.slice(0, -1)))) if (entry.name === name) return entry.kind;
      return 'none';
    },
  };
};

/**
 * Probes every level of `path`, the root first: a level shows upper's entry
 * if there is one, else lower's unless a whiteout or an upper file above it
 * hides it. Each node is only asked about paths whose parent is a directory
 * in that node, so no backend is asked to walk through a file.
 */
export const probeLevels = async (state: OverlayState, path: CheckedPath): Promise<readonly Probe[]> => {
  const levels: Probe[] = [ROOT];
  let here = ROOT;
  for (let i = 1; i <= path.length; i += 1) {
    if (here.kind !== 'dir') {
      here = NOWHERE;
    } else {
      const at = path.slice(0, i) as unknown as CheckedPath;
      const upper = here.upper === 'dir' ? await state.up.kind(at) : 'none';
      const lower = here.lower === 'dir' && !state.whiteouts.has(showPath(at)) ? await state.down.kind(at) : 'none';
      here = Object.freeze({ kind: upper === 'none' ? lower : upper, upper, lower });
    }
    levels.push(here);
  }
  return levels;
};

export const probe = async (state: OverlayState, path: CheckedPath): Promise<Probe> => {
  const levels = await probeLevels(state, path);
  return levels[levels.length - 1] ?? ROOT;
};

/** The probe of `path`, refused like the memory store refuses a missing entry or a file where a directory is needed. */
export const dirProbe = async (state: OverlayState, operation: string, path: CheckedPath): Promise<Probe> => {
  const found = await probe(state, path);
  if (found.kind === 'none') throw notFound(operation, path);
  if (found.kind === 'file') throw wrongKind(operation, path, 'dir');
  return found;
};

const byName = (a: DirEntry, b: DirEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The merged entries of the directory at `path`, probed as `found`: upper's kind wins, whiteouts hide. */
export const mergedList = async (state: OverlayState, path: CheckedPath, found: Probe): Promise<DirEntry[]> => {
  const entries = new Map<string, NodeKind>();
  if (found.upper === 'dir') {
    for (const { name, kind } of await state.up.list(path)) entries.set(name, kind);
  }
  if (found.lower === 'dir') {
    for (const { name, kind } of await state.down.list(path)) {
      if (!entries.has(name) && !state.whiteouts.has(showPath([...path, name]))) entries.set(name, kind);
    }
  }
  return [...entries].map(([name, kind]): DirEntry => ({ name, kind })).sort(byName);
};

/**
 * Reads `path` in the view, as a private copy: upper's file when upper has
 * one there, else lower's unless a whiteout hides it. The last level is not
 * probed in lower: its own read answers, refusals included (NOT_FOUND, or
 * WRONG_KIND for a directory), which spares a stat per read.
 */
export const readView = async (state: OverlayState, path: CheckedPath): Promise<Uint8Array> => {
  const parent = path.length <= 1 ? ROOT : await probe(state, path.slice(0, -1) as unknown as CheckedPath);
  if (parent.kind !== 'dir') throw notFound('read', path);
  const upper = parent.upper === 'dir' ? await state.up.kind(path) : 'none';
  if (upper === 'file') return state.up.read(path);
  if (upper === 'dir') throw wrongKind('read', path, 'file');
  if (parent.lower !== 'dir' || state.whiteouts.has(showPath(path))) throw notFound('read', path);
  return state.down.read(path);
};

/** Reads the file probed as `found` from the node it shows from, as a private copy. */
export const readFrom = (state: OverlayState, path: CheckedPath, found: Probe): Promise<Uint8Array> =>
  (found.upper === 'file' ? state.up : state.down).read(path);

/** Whether anything strictly below `key` is whited out. */
export const whiteoutsBelow = (state: OverlayState, key: string): boolean => {
  const prefix = `${key}/`;
  for (const w of state.whiteouts) if (w.startsWith(prefix)) return true;
  return false;
};

/** Hides lower's `path` and everything below it (one entry replaces those below). */
export const addWhiteout = (state: OverlayState, path: CheckedPath): void => {
  const key = showPath(path);
  dropWhiteouts(state, key, false);
  state.whiteouts.add(key);
};

/** Forgets the whiteouts below `key`, and at `key` too when `self`. */
export const dropWhiteouts = (state: OverlayState, key: string, self: boolean): void => {
  const prefix = `${key}/`;
  for (const w of [...state.whiteouts]) if ((self && w === key) || w.startsWith(prefix)) state.whiteouts.delete(w);
};

/** Whether the two paths are the same. */
export const samePath = (a: CheckedPath, b: CheckedPath): boolean => a.length === b.length && a.every((s, i) => b[i] === s);

/** Whether `inner` is `outer` or below it. */
export const isWithin = (inner: CheckedPath, outer: CheckedPath): boolean =>
  inner.length >= outer.length && outer.every((s, i) => inner[i] === s);

/**
 * `path` followed by one name from a listing. The name is checked like a
 * guest path: a provider that lists `..` or `a/b` is refused, not followed.
 */
export const child = (operation: string, path: CheckedPath, name: string): CheckedPath => {
  const segment = checkPath(operation, name);
  if (segment.length !== 1 || segment[0] !== name) {
    throw new InvalidArgumentError({
      operation,
      target: showPath([...path, name]),
      problem: 'a listing gave a name that is not one plain name',
      rule: 'a directory entry is named by one segment',
    });
  }
  return joinPath(path, segment);
};

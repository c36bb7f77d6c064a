/**
 * `filter(node, globs | predicate)`: only the names the filter shows exist.
 *
 * Invariant: a name the filter does not show is *absent*. It is not listed,
 * not counted in a directory's `stat().size`, not resolvable, and every
 * refusal for it is the very error a missing entry gets (`NotFoundError`,
 * "no such file or directory"); NotFound errors from the inner node are
 * restated in that same form, with the path relative to the filter, so a
 * hidden name and a missing one cannot be told apart by any field.
 *
 * What is shown: with globs (see glob.ts), a file whose path some glob
 * matches, and a directory whose path matches or below which some glob could
 * match (with `docs/*.md`, the directory `docs`, but not a *file* named
 * `docs`). With a predicate `(path, kind) => boolean`, an entry for which it
 * returns `true` and whose ancestors it shows as directories; it is called
 * with two plain strings, and one that throws hides the entry.
 *
 * Creating a name the filter does not show (write a file, mkdir, rename to)
 * is refused with `CeilingError`, decided on the path alone, so the refusal
 * reveals nothing. Moving or removing a directory is allowed only when the
 * filter shows everything below both ends (a glob ending in `**`), because it
 * would otherwise move or destroy hidden entries or reveal them at the new
 * place.
 *
 * What it deliberately does not do: hide that a name is *occupied*. Creating
 * a name held by a hidden entry fails (e.g. `mkdir('docs')` over a hidden
 * file `docs`); the failure is the only trace. Kinds are checked by a stat
 * before the operation, so a concurrent change by another holder of the
 * inner node can slip between the two. A `Layer` sees neither answers nor
 * errors, so the kind checks and restated errors live in a private view of
 * the inner node that the forwarder calls instead of the node itself.
 */
import { getInterfaceOf } from '@endo/pass-style';
import type { DirEntry, DirNode, Node, NodeKind, NodeOperation, Stat } from '@cathedral/sdk';
import { CeilingError, InvalidArgumentError, NotFoundError, isCathedralError } from '@cathedral/sdk';
import { type CheckedPath, checkPath, showPath } from '../path.js';
import { toText } from '../data.js';
import { type Direct, directTo, settle, withDirect } from '../direct.js';
import { recordLineage } from '../lineage.js';
import { wrongKind } from '../roots/store.js';
import { type Layer, attenuate } from './forward.js';
import { compileGlobs } from './glob.js';

export type FilterPredicate = (path: string, kind: NodeKind) => boolean;

type Path = readonly string[];

/** What a filter shows; the root is always shown. */
interface View {
  readonly label: string;
  shows(path: Path, kind: NodeKind): boolean;
  /** An entry of the shown directory `dir`. */
  showsEntry(dir: Path, name: string, kind: NodeKind): boolean;
  /** Everything strictly below the directory at `path` is shown. */
  showsAllBelow(path: Path): boolean;
}

const globView = (globs: readonly unknown[]): View => {
  const set = compileGlobs(globs);
  const shows = (path: Path, kind: NodeKind): boolean => {
    if (path.length === 0) return true;
    const v = set.classify(path);
    return kind === 'file' ? v.matches : v.matches || v.below;
  };
  return {
    label: `filter(${set.sources.map(glob => JSON.stringify(glob)).join(', ')})`,
    shows,
    showsEntry: (dir, name, kind) => shows([...dir, name], kind),
    showsAllBelow: path => set.classify(path).all,
  };
};

const predicateView = (predicate: FilterPredicate): View => {
  const ask = (path: Path, kind: NodeKind): boolean => {
    try {
      return predicate(showPath(path), kind) === true;
    } catch {
      return false; // fail closed: a predicate that cannot answer hides the entry
    }
  };
  return {
    label: 'filter(predicate)',
    shows: (path, kind) => {
      if (path.length === 0) return true;
      for (let depth = 1; depth < path.length; depth += 1) if (!ask(path.slice(0, depth), 'dir')) return false;
      return ask(path, kind);
    },
    showsEntry: (dir, name, kind) => ask([...dir, name], kind),
    showsAllBelow: () => false, // a predicate makes no promise about names not yet asked
  };
};

const showsAny = (view: View, path: Path) => view.shows(path, 'dir') || view.shows(path, 'file');

/** Exactly what the memory store throws for a missing entry. */
const absent = (operation: string, path: Path) =>
  new NotFoundError({ operation, target: showPath(path), problem: 'no such file or directory', rule: 'only existing entries can be reached' });

/** The operation name a store reports: `resolve` stats, `readText` reads. */
const storeOperation = (operation: NodeOperation): string =>
  operation === 'resolve' ? 'stat' : operation === 'readText' ? 'read' : operation;

const outside = (operation: string, path: Path, label: string) =>
  new CeilingError({
    operation,
    target: showPath(path),
    problem: `the name is outside the filter: held through ${label}`,
    rule: 'a filtered node creates only names its filter shows',
    allow: 'use a name the filter shows, or ask the grantor for a wider filter',
  });

const partial = (operation: string, path: Path, label: string) =>
  new CeilingError({
    operation,
    target: showPath(path),
    problem: `the directory is only partly inside the filter: held through ${label}`,
    rule: 'a filtered node moves or removes a directory only when its filter shows everything below it',
    allow: 'move or remove the entries one by one',
  });

const restateMissing = (operation: string, path: Path) => (error: unknown): never => {
  throw isCathedralError(error, 'NOT_FOUND') ? absent(operation, path) : error;
};

/**
 * The inner directory as the filter shows it, for the forwarder to call by
 * path: kinds are checked against answers, NotFound is restated. Never handed
 * out; the paths it gets are the forwarder's, already checked.
 */
const makeShownView = (inner: DirNode, view: View): DirNode => {
  const below = directTo(inner);
  const at = (operation: string, path: string | undefined) => checkPath(operation, path ?? '');
  const shownStat = async (operation: string, path: CheckedPath): Promise<Stat> => {
    const stat = await settle(() => below.stat(path)).catch(restateMissing(operation, path));
    if (!view.shows(path, stat.kind)) throw absent(operation, path);
    return stat;
  };
  const direct: Direct = {
    stat: path => shownStat('stat', path),
    list: async path => {
      const entries = await settle(() => below.list(path)).catch((error: unknown) => {
        if (isCathedralError(error, 'WRONG_KIND') && !view.shows(path, 'file')) throw absent('list', path);
        return restateMissing('list', path)(error);
      });
      if (!view.shows(path, 'dir')) throw absent('list', path);
      return entries;
    },
    read: async path => {
      if (!view.shows(path, 'file')) {
        // Shown only as a directory: never read it; a file there is hidden.
        await shownStat('read', path);
        throw wrongKind('read', path, 'file');
      }
      return settle(() => below.read(path)).catch((error: unknown) => {
        if (isCathedralError(error, 'WRONG_KIND') && !view.shows(path, 'dir')) throw absent('read', path);
        return restateMissing('read', path)(error);
      });
    },
    kind: async path => {
      const kind = await below.kind(path);
      return kind !== 'none' && !view.shows(path, kind) ? 'none' : kind;
    },
  };
  const shownView: DirNode = {
    resolve: () => Promise.reject(new InvalidArgumentError({ operation: 'resolve', problem: 'internal view', rule: 'the forwarder resolves by stat' })),
    // A directory's size is recounted by the forwarder from the layer's `list`.
    stat: p => direct.stat(at('stat', p)),
    list: p => direct.list(at('list', p)),
    read: p => direct.read(at('read', p)),
    readText: async p => toText(await direct.read(at('read', p))),
    write: (p, data, options) => inner.write(p, data, options).catch(restateMissing('write', at('write', p))),
    mkdir: (p, options) => inner.mkdir(p, options).catch(restateMissing('mkdir', at('mkdir', p))),
    remove: async (p, options) => {
      const path = at('remove', p);
      const { kind } = await shownStat('remove', path);
      if (kind === 'dir' && !view.showsAllBelow(path)) throw partial('remove', path, view.label);
      // A file is removed without `recursive`: should a directory replace it meanwhile, nothing hidden goes with it.
      return inner.remove(p, kind === 'file' ? undefined : options).catch(restateMissing('remove', path));
    },
    rename: async (f, t) => {
      const from = at('rename', f);
      const to = at('rename', t);
      const { kind } = await shownStat('rename', from);
      if (kind === 'file' && !view.shows(to, 'file')) throw outside('rename', to, view.label);
      if (kind === 'dir' && !(view.showsAllBelow(from) && view.showsAllBelow(to))) throw partial('rename', from, view.label);
      // A rename replaces what is at `to`: that must be something the filter shows.
      const existing = await inner.stat(showPath(to)).then(
        stat => stat,
        () => undefined,
      );
      if (existing !== undefined && !view.shows(to, existing.kind)) throw outside('rename', to, view.label);
      return inner.rename(f, t).catch(restateMissing('rename', to));
    },
  };
  // Recorded over `inner` so that provenance walks (innerOf) reach it from
  // nodes resolved through the filter; lineage has no transparent hop, so
  // their routes read `filter(…) ← filter view ← …` (the top node's does not).
  return withDirect(recordLineage(harden(shownView), 'filter view', inner), direct);
};

const makeLayer = (view: View): Layer => ({
  label: view.label,
  check: (operation, path, to) => {
    switch (operation) {
      case 'write':
        if (!view.shows(path, 'file')) throw outside(operation, path, view.label);
        return;
      case 'mkdir':
        if (!view.shows(path, 'dir')) throw outside(operation, path, view.label);
        return;
      case 'rename':
        if (!showsAny(view, path)) throw absent(operation, path);
        if (to === undefined || !showsAny(view, to)) throw outside(operation, to ?? path, view.label);
        return;
      case 'resolve':
      case 'list':
      case 'stat':
      case 'read':
      case 'readText':
      case 'remove':
        if (!showsAny(view, path)) throw absent(storeOperation(operation), path);
        return;
      default:
        throw new InvalidArgumentError({ operation: String(operation satisfies never), problem: 'unknown operation', rule: 'nodes have nine operations' });
    }
  },
  list: (path, entries: readonly DirEntry[]) => entries.filter(e => view.showsEntry(path, e.name, e.kind)),
});

/**
 * `node` with only the names `globs` match (or `predicate` accepts). See the
 * module header for what "shown" means and what is refused.
 */
export const filter = <N extends Node>(node: N, globs: readonly string[] | FilterPredicate): N => {
  let view: View;
  if (typeof globs === 'function') view = predicateView(globs);
  else if (Array.isArray(globs)) view = globView(globs);
  else {
    throw new InvalidArgumentError({
      operation: 'filter',
      problem: 'the filter must be an array of globs or a predicate function',
      rule: 'filter(node, ["docs/**"]) or filter(node, (path, kind) => boolean)',
    });
  }
  const layer = makeLayer(view);
  // A file node is its own root: the filter has nothing below it to hide.
  if (getInterfaceOf(node) === 'Alleged: File') return attenuate(node, layer);
  const filtered = attenuate(makeShownView(node as DirNode, view), layer);
  return recordLineage(filtered, view.label, node) as N;
};

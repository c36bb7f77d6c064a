/**
 * An independent model of a stack of attenuations over a `memory()` root, for
 * property tests (compose.test.ts).
 *
 * It is written from the rules the READMEs and module headers state, not from
 * the code: a plain in-memory file system with the memory root's refusals, a
 * reference glob matcher that decides "below" and "everything below" by brute
 * force over a small universe of names, and one short rule per layer:
 * - readOnly refuses every mutation (CEILING);
 * - a revoked revocable refuses everything (REVOKED);
 * - subtree prepends its prefix; an operation that names the subtree's own
 *   root as something to write, remove or move is refused like it is on any
 *   root (plain INVALID_ARGUMENT; the code is not predicted, the refusal is);
 * - filter shows only matched names: hidden ones read as missing (NOT_FOUND),
 *   creating one is CEILING, moving or removing a directory not wholly shown
 *   (by one glob ending in `**`) is CEILING, and nothing it hides is ever
 *   replaced;
 * - quota measures growth on the node below it (stat, list) before the
 *   mutation, as its header states (a rename counts nothing), and refuses
 *   growth past its budget (BUDGET_EXCEEDED);
 * - overlay absorbs every mutation from the layers below it: its view is a
 *   private copy of lower's view when it was made, changed like a plain file
 *   system. Everything below the topmost overlay is frozen.
 *
 * Every entry carries a `tag`: the level of the store that holds it (0 for
 * the base memory root, k for the upper of the overlay at layer k). A
 * revoked layer at level r withholds every store below it, so an answer that
 * succeeds must carry only tags above every revoked level. An overlay over a
 * revoked layer may still answer from its upper without asking lower, so for
 * it the model allows either its plain answer or REVOKED (`mayBeRevoked`).
 *
 * What it deliberately does not model: error messages and targets, the
 * predicate form of filter, file nodes as roots, concurrency, and changes
 * made by another holder of an inner node (every change comes through the
 * top, so everything below the topmost overlay stays as it was).
 */

export type Kind = 'file' | 'dir';
export type Path = readonly string[];

export interface MFile {
  readonly kind: 'file';
  readonly bytes: Uint8Array;
  readonly tag: number;
}
export interface MDir {
  readonly kind: 'dir';
  readonly entries: Map<string, MEntry>;
  tag: number;
}
export type MEntry = MFile | MDir;

export type ReadOp = { readonly op: 'read' | 'readText' | 'stat' | 'list' | 'resolve'; readonly path: Path };
export type MutationOp =
  | { readonly op: 'write'; readonly path: Path; readonly data: Uint8Array; readonly parents: boolean }
  | { readonly op: 'mkdir'; readonly path: Path; readonly recursive: boolean }
  | { readonly op: 'remove'; readonly path: Path; readonly recursive: boolean }
  | { readonly op: 'rename'; readonly path: Path; readonly to: Path };
export type ModelOp = ReadOp | MutationOp;

/** `ANY`: the model knows the operation must fail, not which refusal comes first. */
export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly code: string };

/** What the model expects of one operation, and how to apply it when it succeeds. */
export interface Expectation {
  readonly outcome: Outcome;
  /** REVOKED is also acceptable (and then nothing changed). */
  readonly mayBeRevoked: boolean;
  /** Tags of everything a successful answer reveals. */
  readonly tags: readonly number[];
  readonly commit: () => void;
  /** For a refusal whose code the model cannot tell: the rule that refuses. */
  readonly rule?: string;
}

const nothing = () => undefined;
const fail = (code: string, mayBeRevoked = false): Expectation => ({ outcome: { ok: false, code }, mayBeRevoked, tags: [], commit: nothing });
const isMutation = (op: ModelOp): op is MutationOp => op.op === 'write' || op.op === 'mkdir' || op.op === 'remove' || op.op === 'rename';

// ---------------------------------------------------------------------------
// A plain file system with the memory root's refusals.

type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: string };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const no = (code: string): { ok: false; code: string } => ({ ok: false, code });

export const newDir = (tag: number): MDir => ({ kind: 'dir', entries: new Map(), tag });

export const cloneEntry = <E extends MEntry>(entry: E): E =>
  (entry.kind === 'file'
    ? { kind: 'file', bytes: new Uint8Array(entry.bytes), tag: entry.tag }
    : { kind: 'dir', tag: entry.tag, entries: new Map([...entry.entries].map(([n, e]) => [n, cloneEntry(e)])) }) as E;

const retag = (entry: MEntry, tag: number): MEntry =>
  entry.kind === 'file'
    ? { kind: 'file', bytes: entry.bytes, tag }
    : { kind: 'dir', tag, entries: new Map([...entry.entries].map(([n, e]) => [n, retag(e, tag)])) };

/** The entry at `path`, or undefined (missing, or below a file). */
export const lookup = (root: MEntry | undefined, path: Path): MEntry | undefined => {
  let entry = root;
  for (const name of path) {
    if (entry === undefined || entry.kind !== 'dir') return undefined;
    entry = entry.entries.get(name);
  }
  return entry;
};

const sorted = (dir: MDir) => [...dir.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const dirAt = (root: MDir, path: Path): Result<MDir> => {
  const entry = lookup(root, path);
  if (entry === undefined) return no('NOT_FOUND');
  return entry.kind === 'dir' ? ok(entry) : no('WRONG_KIND');
};

/** The directory that will hold `path`'s last name; with `create`, missing ones are made. */
const parentFor = (root: MDir, path: Path, create: boolean, tag: number): Result<MDir> => {
  const parent = path.slice(0, -1);
  if (!create) return dirAt(root, parent);
  let dir = root;
  for (const name of parent) {
    let next = dir.entries.get(name);
    if (next === undefined) {
      next = newDir(tag);
      dir.entries.set(name, next);
    }
    if (next.kind === 'file') return no('WRONG_KIND');
    dir = next;
  }
  return ok(dir);
};

const within = (inner: Path, outer: Path) => inner.length >= outer.length && outer.every((s, i) => inner[i] === s);

/** Applies `op` to `root` in place (give it a copy); `tag` marks what it creates. */
export const fsMutate = (root: MDir, op: MutationOp, tag: number): Result<void> => {
  const name = op.path[op.path.length - 1];
  switch (op.op) {
    case 'write': {
      if (name === undefined) return no('INVALID_ARGUMENT');
      const parent = parentFor(root, op.path, op.parents, tag);
      if (!parent.ok) return parent;
      if (parent.value.entries.get(name)?.kind === 'dir') return no('WRONG_KIND');
      parent.value.entries.set(name, { kind: 'file', bytes: new Uint8Array(op.data), tag });
      return ok(undefined);
    }
    case 'mkdir': {
      if (name === undefined) return op.recursive ? ok(undefined) : no('EXISTS');
      const parent = parentFor(root, op.path, op.recursive, tag);
      if (!parent.ok) return parent;
      const existing = parent.value.entries.get(name);
      if (existing?.kind === 'dir' && op.recursive) return ok(undefined);
      if (existing !== undefined) return no('EXISTS');
      parent.value.entries.set(name, newDir(tag));
      return ok(undefined);
    }
    case 'remove': {
      if (name === undefined) return no('INVALID_ARGUMENT');
      const parent = dirAt(root, op.path.slice(0, -1));
      if (!parent.ok) return parent;
      const entry = parent.value.entries.get(name);
      if (entry === undefined) return no('NOT_FOUND');
      if (entry.kind === 'dir' && entry.entries.size > 0 && !op.recursive) return no('NOT_EMPTY');
      parent.value.entries.delete(name);
      return ok(undefined);
    }
    case 'rename': {
      if (name === undefined) return no('INVALID_ARGUMENT');
      const from = dirAt(root, op.path.slice(0, -1));
      if (!from.ok) return from;
      const entry = from.value.entries.get(name);
      if (entry === undefined) return no('NOT_FOUND');
      if (entry.kind === 'dir' && within(op.to, op.path)) return no('INVALID_ARGUMENT');
      const toName = op.to[op.to.length - 1];
      if (toName === undefined) return no('INVALID_ARGUMENT');
      const to = dirAt(root, op.to.slice(0, -1));
      if (!to.ok) return to;
      const existing = to.value.entries.get(toName);
      if (existing?.kind === 'dir' && entry.kind === 'file') return no('WRONG_KIND');
      if (existing?.kind === 'dir' && existing.entries.size > 0) return no('NOT_EMPTY');
      if (within(op.to, op.path)) return ok(undefined); // a file onto itself
      from.value.entries.delete(name);
      // What moves now lives in this store: an overlay copies it up into its upper.
      to.value.entries.set(toName, retag(entry, tag));
      return ok(undefined);
    }
    default:
      return op satisfies never;
  }
};

const decoder = new TextDecoder();
const allTags = (entry: MEntry): number[] => (entry.kind === 'file' ? [entry.tag] : [entry.tag, ...[...entry.entries.values()].map(e => e.tag)]);

/** A read of the tree `root` as a plain file system: the value and the tags it reveals. */
export const fsRead = (root: MEntry | undefined, op: ReadOp): { result: Result<unknown>; tags: number[] } => {
  const entry = lookup(root, op.path);
  if (entry === undefined) return { result: no('NOT_FOUND'), tags: [] };
  switch (op.op) {
    case 'stat':
      return { result: ok({ kind: entry.kind, size: entry.kind === 'dir' ? entry.entries.size : entry.bytes.byteLength }), tags: allTags(entry) };
    case 'list':
      if (entry.kind !== 'dir') return { result: no('WRONG_KIND'), tags: [] };
      return { result: ok(sorted(entry).map(([name, e]) => ({ name, kind: e.kind }))), tags: [...entry.entries.values()].map(e => e.tag) };
    case 'read':
    case 'readText':
      if (entry.kind !== 'file') return { result: no('WRONG_KIND'), tags: [] };
      return { result: ok(op.op === 'read' ? [...entry.bytes] : decoder.decode(entry.bytes)), tags: [entry.tag] };
    case 'resolve':
      if (entry.kind === 'dir') {
        return { result: ok({ kind: 'dir', list: sorted(entry).map(([name, e]) => ({ name, kind: e.kind })) }), tags: allTags(entry) };
      }
      return { result: ok({ kind: 'file', text: decoder.decode(entry.bytes) }), tags: [entry.tag] };
    default:
      return op.op satisfies never;
  }
};

/** Every path of the tree with `path/` or its bytes: what a snapshot of the real node gives. */
export const listing = (root: MDir, at: Path = []): string[] =>
  sorted(root).flatMap(([name, entry]) => {
    const path = [...at, name].join('/');
    return entry.kind === 'dir' ? [`${path}/`, ...listing(entry, [...at, name])] : [`${path} = ${[...entry.bytes].join(',')}`];
  });

/** Directory paths of the tree, deepest last. */
export const dirPaths = (root: MDir, at: Path = []): Path[] =>
  sorted(root).flatMap(([name, entry]) => (entry.kind === 'dir' ? [[...at, name], ...dirPaths(entry, [...at, name])] : []));

// ---------------------------------------------------------------------------
// A reference glob matcher: `*` any run, `?` one character, `**` any number of
// whole segments (one or more at the end of a glob), over split segments.

const segmentRe = (pattern: string) =>
  new RegExp(`^${Array.from(pattern, c => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 'u');

export const globMatches = (glob: Path, path: Path): boolean => {
  const [head, ...rest] = glob;
  if (head === undefined) return path.length === 0;
  if (head === '**') {
    if (rest.length === 0) return path.length >= 1;
    return globMatches(rest, path) || (path.length > 0 && globMatches(glob, path.slice(1)));
  }
  const [first] = path;
  return first !== undefined && segmentRe(head).test(first) && globMatches(rest, path.slice(1));
};

/** Every path of 1..depth names drawn from `universe`. */
const extensions = (universe: readonly string[], depth: number): Path[] => {
  const out: Path[] = [];
  let layer: Path[] = [[]];
  for (let d = 1; d <= depth; d += 1) {
    layer = layer.flatMap(p => universe.map(n => [...p, n]));
    out.push(...layer);
  }
  return out;
};

/**
 * What a set of globs shows, decided by brute force: "could match below" and
 * "matches everything below" are tried on every extension of up to four names
 * from `universe`, which must hold a witness for every glob segment used and
 * a name failing each (for globs of up to three segments this is exact).
 */
export const makeGlobView = (globs: readonly string[], universe: readonly string[]) => {
  const split = globs.map(g => g.split('/').filter(s => s !== '' && s !== '.'));
  const deep = extensions(universe, 4);
  const memo = new Map<string, { matches: boolean; below: boolean; all: boolean }>();
  const classify = (path: Path) => {
    const key = path.join('/');
    let v = memo.get(key);
    if (v === undefined) {
      const matches = split.some(g => globMatches(g, path));
      const below = split.some(g => deep.some(e => e.length <= 3 && globMatches(g, [...path, ...e])));
      // The filter header's rule: one glob, ending in `**`, matches everything below.
      const all = split.some(g => g[g.length - 1] === '**' && deep.every(e => globMatches(g, [...path, ...e])));
      v = { matches, below, all };
      memo.set(key, v);
    }
    return v;
  };
  const shows = (path: Path, kind: Kind): boolean => {
    if (path.length === 0) return true; // the root is always shown
    const v = classify(path);
    return kind === 'file' ? v.matches : v.matches || v.below;
  };
  return {
    shows,
    showsAny: (path: Path) => shows(path, 'file') || shows(path, 'dir'),
    showsAllBelow: (path: Path) => classify(path).all,
  };
};
type GlobView = ReturnType<typeof makeGlobView>;

const prune = (dir: MDir, view: GlobView, at: Path): MDir => {
  const out = newDir(dir.tag);
  for (const [name, entry] of dir.entries) {
    const path = [...at, name];
    if (!view.shows(path, entry.kind)) continue;
    out.entries.set(name, entry.kind === 'dir' ? prune(entry, view, path) : entry);
  }
  return out;
};

// ---------------------------------------------------------------------------
// The stack.

export type ModelLayer =
  | { readonly kind: 'readOnly' }
  | { readonly kind: 'revocable'; revoked: boolean }
  | { readonly kind: 'subtree'; readonly prefix: Path }
  | { readonly kind: 'filter'; readonly globs: readonly string[]; readonly view: GlobView }
  | { readonly kind: 'quota'; readonly bytes: number; readonly entries: number; readonly used: { bytes: number; entries: number } }
  | { readonly kind: 'overlay'; root: MDir };

export const describeLayer = (layer: ModelLayer): string => {
  switch (layer.kind) {
    case 'readOnly':
      return 'readOnly';
    case 'revocable':
      return layer.revoked ? 'revocable(revoked)' : 'revocable';
    case 'subtree':
      return `subtree(${JSON.stringify(layer.prefix.join('/'))})`;
    case 'filter':
      return `filter(${layer.globs.map(g => JSON.stringify(g)).join(', ')})`;
    case 'quota':
      return `quota(${layer.bytes} bytes, ${layer.entries} entries; used ${layer.used.bytes}, ${layer.used.entries})`;
    case 'overlay':
      return 'overlay';
    default:
      return layer satisfies never;
  }
};

/** Thrown inside a plan to stop at the first refusal. */
class Refusal {
  constructor(readonly expectation: Expectation) {}
}

export class ModelStack {
  base: MDir;
  /** layers[0] is level 1, directly over the base. */
  readonly layers: ModelLayer[] = [];

  constructor(base: MDir) {
    this.base = base;
  }

  get top(): number {
    return this.layers.length;
  }

  layer(level: number): ModelLayer {
    const layer = this.layers[level - 1];
    if (layer === undefined) throw new Error(`no layer at level ${level}`);
    return layer;
  }

  push(layer: ModelLayer): void {
    this.layers.push(layer);
  }

  /** A revoked layer below `level` (an overlay at `level` may then fail to reach lower). */
  revokedBelow(level: number): boolean {
    return this.layers.slice(0, level - 1).some(l => l.kind === 'revocable' && l.revoked);
  }

  /** Whether a successful answer may reveal what a store at `tag` holds. */
  reachable(tag: number): boolean {
    return this.layers.every((l, i) => !(l.kind === 'revocable' && l.revoked && i + 1 > tag));
  }

  /** The level of the store mutations from `level` land in: the topmost overlay at or below it, else the base. */
  storeLevel(level: number = this.top): number {
    for (let j = level; j >= 1; j -= 1) if (this.layer(j).kind === 'overlay') return j;
    return 0;
  }

  /** Every store level whose contents must never change: below a readOnly or an overlay. */
  frozenStores(): number[] {
    const stores = [0, ...this.layers.flatMap((l, i) => (l.kind === 'overlay' ? [i + 1] : []))];
    return stores.filter(s => this.layers.some((l, i) => i + 1 > s && (l.kind === 'readOnly' || l.kind === 'overlay')));
  }

  /** The tree a node at `level` shows (undefined when its root is gone). */
  visible(level: number): MDir | undefined {
    if (level === 0) return this.base;
    const layer = this.layer(level);
    switch (layer.kind) {
      case 'readOnly':
      case 'revocable':
      case 'quota':
        return this.visible(level - 1);
      case 'subtree': {
        const entry = lookup(this.visible(level - 1), layer.prefix);
        return entry?.kind === 'dir' ? entry : undefined;
      }
      case 'filter': {
        const below = this.visible(level - 1);
        return below === undefined ? undefined : prune(below, layer.view, []);
      }
      case 'overlay':
        return layer.root;
      default:
        return layer satisfies never;
    }
  }

  /** A read at `level`: refusals top-down, then the answer of the tree it shows. */
  read(level: number, op: ReadOp): Expectation {
    let path = op.path;
    let mayBeRevoked = false;
    for (let j = level; j >= 1; j -= 1) {
      const layer = this.layer(j);
      if (layer.kind === 'revocable' && layer.revoked) return fail('REVOKED');
      if (layer.kind === 'subtree') path = [...layer.prefix, ...path];
      if (layer.kind === 'filter' && !layer.view.showsAny(path)) return fail('NOT_FOUND');
      if (layer.kind === 'overlay') {
        mayBeRevoked = this.revokedBelow(j);
        break;
      }
    }
    const { result, tags } = fsRead(this.visible(level), op);
    return { outcome: result, mayBeRevoked, tags, commit: nothing };
  }

  /** What the model expects of `op` on the node at `level`. */
  plan(level: number, op: ModelOp): Expectation {
    if (!isMutation(op)) return this.read(level, op);
    try {
      return this.mutate(level, op);
    } catch (error) {
      if (error instanceof Refusal) return error.expectation;
      throw error;
    }
  }

  private mutate(level: number, op: MutationOp): Expectation {
    if (level === 0) return this.store(op, 0, false, root => (this.base = root), this.base);
    const layer = this.layer(level);
    switch (layer.kind) {
      case 'readOnly':
        return fail('CEILING');
      case 'revocable':
        return layer.revoked ? fail('REVOKED') : this.mutate(level - 1, op);
      case 'subtree': {
        if ((op.op !== 'mkdir' && op.path.length === 0) || (op.op === 'rename' && op.to.length === 0)) {
          return { ...fail('ANY'), rule: `${op.op} names the subtree's own root` };
        }
        const shift = (p: Path) => [...layer.prefix, ...p];
        return this.mutate(level - 1, op.op === 'rename' ? { ...op, path: shift(op.path), to: shift(op.to) } : { ...op, path: shift(op.path) });
      }
      case 'filter':
        return this.filtered(level, layer.view, op);
      case 'quota':
        return this.quota(level, layer, op);
      case 'overlay':
        return this.store(op, level, this.revokedBelow(level), root => (layer.root = root), layer.root);
      default:
        return layer satisfies never;
    }
  }

  private store(op: MutationOp, tag: number, mayBeRevoked: boolean, set: (root: MDir) => void, root: MDir): Expectation {
    const copy = cloneEntry(root);
    const result = fsMutate(copy, op, tag);
    if (!result.ok) return fail(result.code, mayBeRevoked);
    return { outcome: ok(undefined), mayBeRevoked, tags: [], commit: () => set(copy) };
  }

  /** A read done by a layer on the node below it; its refusals (other than `tolerate`) end the plan. */
  private ask(level: number, op: ReadOp, seen: { mayBeRevoked: boolean }, tolerate?: string): Result<unknown> {
    const e = this.read(level, op);
    seen.mayBeRevoked ||= e.mayBeRevoked;
    if (e.outcome.ok || e.outcome.code === tolerate) return e.outcome;
    throw new Refusal(fail(e.outcome.code, seen.mayBeRevoked));
  }

  private filtered(level: number, view: GlobView, op: MutationOp): Expectation {
    const seen = { mayBeRevoked: false };
    const shownKind = (path: Path): Kind => {
      const stat = this.ask(level - 1, { op: 'stat', path }, seen) as { value: { kind: Kind } };
      if (!view.shows(path, stat.value.kind)) throw new Refusal(fail('NOT_FOUND', seen.mayBeRevoked));
      return stat.value.kind;
    };
    switch (op.op) {
      case 'write':
        if (!view.shows(op.path, 'file')) return fail('CEILING');
        break;
      case 'mkdir':
        if (!view.shows(op.path, 'dir')) return fail('CEILING');
        break;
      case 'remove':
        if (!view.showsAny(op.path)) return fail('NOT_FOUND');
        if (shownKind(op.path) === 'dir' && !view.showsAllBelow(op.path)) return fail('CEILING', seen.mayBeRevoked);
        break;
      case 'rename': {
        if (!view.showsAny(op.path)) return fail('NOT_FOUND');
        if (!view.showsAny(op.to)) return fail('CEILING');
        const kind = shownKind(op.path);
        if (kind === 'file' && !view.shows(op.to, 'file')) return fail('CEILING', seen.mayBeRevoked);
        if (kind === 'dir' && !(view.showsAllBelow(op.path) && view.showsAllBelow(op.to))) return fail('CEILING', seen.mayBeRevoked);
        // A filter never destroys what it hides: a rename onto a hidden entry must fail.
        const victim = lookup(this.visible(level - 1), op.to);
        if (victim !== undefined && !view.shows(op.to, victim.kind)) {
          return { ...fail('ANY', seen.mayBeRevoked), rule: `rename onto a ${victim.kind} the filter hides` };
        }
        break;
      }
      default:
        return op satisfies never;
    }
    const inner = this.mutate(level - 1, op);
    return { ...inner, mayBeRevoked: inner.mayBeRevoked || seen.mayBeRevoked };
  }

  private quota(level: number, layer: Extract<ModelLayer, { kind: 'quota' }>, op: MutationOp): Expectation {
    const seen = { mayBeRevoked: false };
    type Stat = { kind: Kind; size: number };
    const existing = (path: Path): Stat | undefined => {
      const r = this.ask(level - 1, { op: 'stat', path }, seen, 'NOT_FOUND');
      return r.ok ? (r.value as Stat) : undefined;
    };
    const missingParents = (path: Path): number => {
      let missing = 0;
      for (let depth = path.length - 1; depth > 0 && existing(path.slice(0, depth)) === undefined; depth -= 1) missing += 1;
      return missing;
    };
    const tree = (path: Path): { bytes: number; entries: number } => {
      const list = this.ask(level - 1, { op: 'list', path }, seen) as { value: { name: string; kind: Kind }[] };
      let bytes = 0;
      let entries = 1;
      for (const e of list.value) {
        const below = e.kind === 'dir' ? tree([...path, e.name]) : { bytes: existing([...path, e.name])?.size ?? 0, entries: 1 };
        bytes += below.bytes;
        entries += below.entries;
      }
      return { bytes, entries };
    };
    let cost = { bytes: 0, entries: 0 };
    switch (op.op) {
      case 'write': {
        const before = existing(op.path);
        if (before === undefined) cost = { bytes: op.data.byteLength, entries: 1 + missingParents(op.path) };
        else if (before.kind === 'file') cost = { bytes: op.data.byteLength - before.size, entries: 0 };
        break;
      }
      case 'mkdir':
        if (existing(op.path) === undefined) cost = { bytes: 0, entries: 1 + missingParents(op.path) };
        break;
      case 'remove': {
        const before = existing(op.path);
        if (before?.kind === 'file') cost = { bytes: -before.size, entries: -1 };
        else if (before?.kind === 'dir') {
          const gone = tree(op.path);
          cost = { bytes: -gone.bytes, entries: -gone.entries };
        }
        break;
      }
      case 'rename':
        break; // a move adds nothing
      default:
        return op satisfies never;
    }
    for (const budget of ['bytes', 'entries'] as const) {
      const asked = Math.max(0, cost[budget]);
      if (asked > 0 && asked > layer[budget] - layer.used[budget]) return fail('BUDGET_EXCEEDED', seen.mayBeRevoked);
    }
    const inner = this.mutate(level - 1, op);
    return {
      ...inner,
      mayBeRevoked: inner.mayBeRevoked || seen.mayBeRevoked,
      commit: () => {
        inner.commit();
        layer.used.bytes += cost.bytes;
        layer.used.entries += cost.entries;
      },
    };
  }
}

/**
 * A tiny glob matcher for `filter`, over checked path segments.
 *
 * A glob is a relative, `/`-separated pattern. Within a segment, `*` matches
 * any run of characters (possibly empty) and `?` exactly one code point;
 * every other character is literal, compared code point by code point, so
 * `DOCS` is not `docs` and an NFD `é` is not an NFC `é`. A segment that is
 * exactly `**` matches any number of whole segments, zero included, except
 * at the end of a glob, where it matches one or more: `docs/**` is
 * everything *inside* `docs`, not a file named `docs` (as in .gitignore).
 * `*` and `?` match a leading dot like any other character.
 *
 * It deliberately does not do: character classes, braces, negation, escapes
 * or case folding. A glob with `..`, an absolute glob, or one with a
 * backslash or NUL is refused at construction: none could name anything
 * inside a node, so each is surely a mistake.
 */
import { InvalidArgumentError } from '@cathedral/sdk';

type Part = { readonly kind: 'globstar' } | { readonly kind: 'segment'; readonly pattern: readonly string[] };

/** What a glob set says about one path. */
export interface Verdict {
  /** Some glob matches the path itself. */
  readonly matches: boolean;
  /** Some glob could match a path strictly below it. */
  readonly below: boolean;
  /** Some glob matches every path strictly below it. */
  readonly all: boolean;
}

export interface GlobSet {
  /** The globs as they were given. */
  readonly sources: readonly string[];
  classify(path: readonly string[]): Verdict;
}

const NONE: Verdict = Object.freeze({ matches: false, below: false, all: false });

/** `*` and `?` within one segment; greedy with a single backtrack point, so linear-ish. */
const matchSegment = (pattern: readonly string[], name: readonly string[]): boolean => {
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    const c = pattern[p];
    if (c === '*') {
      starP = p;
      p += 1;
      starN = n;
    } else if (c !== undefined && (c === '?' || c === name[n])) {
      p += 1;
      n += 1;
    } else if (starP >= 0) {
      p = starP + 1;
      starN += 1;
      n = starN;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
};

const invalid = (glob: string, problem: string) =>
  new InvalidArgumentError({
    operation: 'filter',
    target: glob,
    problem,
    rule: 'a glob is a relative pattern of names, `*`, `?` and `**` below the node',
  });

const compile = (glob: unknown): readonly Part[] => {
  if (typeof glob !== 'string') {
    throw new InvalidArgumentError({ operation: 'filter', problem: `a glob must be a string, got ${glob === null ? 'null' : typeof glob}`, rule: 'globs are strings' });
  }
  if (glob.includes('\0') || glob.includes('\\')) throw invalid(glob, 'the glob contains a NUL or a backslash');
  if (glob.startsWith('/')) throw invalid(glob, 'the glob is absolute');
  if (glob.length > 4096) throw invalid(`${glob.slice(0, 64)}…`, 'the glob is longer than 4096 characters');
  const parts: Part[] = [];
  for (const segment of glob.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw invalid(glob, 'the glob contains ".."');
    // Array.from on a string iterates code points: `?` is one code point.
    parts.push(segment === '**' ? { kind: 'globstar' } : { kind: 'segment', pattern: Array.from(segment) });
  }
  if (parts.length === 0) throw invalid(glob, 'the glob names no entry');
  return parts;
};

/** Adds the states reachable without consuming a segment: a `**` that is not last may match nothing. */
const close = (parts: readonly Part[], states: Set<number>): Set<number> => {
  for (const i of states) {
    if (parts[i]?.kind === 'globstar' && i < parts.length - 1) states.add(i + 1);
  }
  return states;
};

const step = (parts: readonly Part[], states: ReadonlySet<number>, name: readonly string[]): Set<number> => {
  const next = new Set<number>();
  for (const i of states) {
    const part = parts[i];
    if (part === undefined) continue;
    if (part.kind === 'globstar') {
      next.add(i);
      next.add(i + 1);
    } else if (matchSegment(part.pattern, name)) {
      next.add(i + 1);
    }
  }
  return close(parts, next);
};

const classifyOne = (parts: readonly Part[], path: readonly (readonly string[])[]): Verdict => {
  let states = close(parts, new Set([0]));
  for (const name of path) {
    states = step(parts, states, name);
    if (states.size === 0) return NONE;
  }
  const end = parts.length;
  let below = false;
  let all = false;
  for (const i of states) {
    if (i >= end) continue;
    // Any unfinished state can be completed: every part matches some non-empty name.
    below = true;
    if (parts.slice(i).every(part => part.kind === 'globstar')) all = true;
  }
  return { matches: states.has(end), below, all };
};

/** Compiles `globs` once; the array is copied, so later changes to it change nothing. */
export const compileGlobs = (globs: readonly unknown[]): GlobSet => {
  const copy = [...globs];
  const compiled = copy.map(compile);
  const sources = Object.freeze(copy as string[]); // every one checked to be a string by compile
  return Object.freeze({
    sources,
    classify: (path: readonly string[]): Verdict => {
      const names = path.map(name => Array.from(name));
      let matches = false;
      let below = false;
      let all = false;
      for (const parts of compiled) {
        const v = classifyOne(parts, names);
        matches ||= v.matches;
        below ||= v.below;
        all ||= v.all;
      }
      return { matches, below, all };
    },
  });
};

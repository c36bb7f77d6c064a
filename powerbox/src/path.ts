/**
 * Guest paths, checked once at the edge.
 *
 * A guest path is a relative, `/`-separated string. `checkPath` turns it into
 * a `CheckedPath` (a frozen list of segments) or refuses it; only this module
 * can make a `CheckedPath`, so every backend receives paths that were checked.
 *
 * Refused, with `PathEscapeError`: absolute paths, `..` anywhere, NUL,
 * backslashes, and percent-encoded separators, dots or NUL (`%2f`, `%5c`,
 * `%2e`, `%00`), which some layer below might decode. Refused with
 * `InvalidArgumentError`: non-strings, control, bidi and zero-width
 * characters, lone surrogates, a segment over
 * 255 UTF-8 bytes, a path over 4096. `.` and empty segments are dropped.
 *
 * This module does not touch any store: symlinks and other store-level
 * hazards are the backend's to refuse.
 */
import { InvalidArgumentError, PathEscapeError } from '@cathedral/sdk';

declare const checked: unique symbol;
/** Segments of a checked path; only `checkPath` makes these. */
export type CheckedPath = readonly string[] & { readonly [checked]: true };

export const MAX_SEGMENT_BYTES = 255;
export const MAX_PATH_BYTES = 4096;

// C0 and C1 controls, DEL, bidi overrides and isolates, zero-width characters
// and the BOM: invisible or reordering characters that make two different
// names look alike in a listing or a message.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0001-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
// A lone surrogate is not a character: Node turns it into U+FFFD on the way
// to the file system, so several guest names would reach one file.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ENCODED_HAZARD = /%(2f|5c|2e|00)/i;
const encoder = new TextEncoder();

const escape = (operation: string, target: string, problem: string) =>
  new PathEscapeError({
    operation,
    target,
    problem,
    rule: 'a path names something inside its root and nothing else',
    allow: 'use a relative path made of plain names below the node',
  });

const invalid = (operation: string, target: string, problem: string, rule: string) =>
  new InvalidArgumentError({ operation, target, problem, rule });

// Paths made only of ASCII letters, digits, `_`, `-`, `.` and `/` (almost
// all of them) need none of the checks below but `..`, absoluteness and
// length: they take this path, the rest the full one.
const PLAIN = /^[\w.\-/]*$/;

const plainSegments = (path: string): string[] | undefined => {
  if (path.length * 3 > MAX_PATH_BYTES || path.startsWith('/') || !PLAIN.test(path)) return undefined;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..' || segment.length > MAX_SEGMENT_BYTES) return undefined;
    segments.push(segment);
  }
  return segments;
};

/** Checks a guest path for `operation`; returns its segments. */
export const checkPath = (operation: string, path: unknown): CheckedPath => {
  if (typeof path === 'string') {
    const plain = plainSegments(path);
    if (plain !== undefined) return Object.freeze(plain) as unknown as CheckedPath;
  }
  if (typeof path !== 'string') {
    throw invalid(operation, String(typeof path), `a path must be a string, got ${typeof path}`, 'paths are strings');
  }
  if (path.includes('\0')) throw escape(operation, path.replace(/\0/g, '\\0'), 'the path contains a NUL byte');
  if (path.includes('\\')) throw escape(operation, path, 'the path contains a backslash');
  if (ENCODED_HAZARD.test(path)) throw escape(operation, path, 'the path contains a percent-encoded separator, dot or NUL');
  if (path.startsWith('/')) throw escape(operation, path, 'the path is absolute');
  if (CONTROL.test(path)) {
    throw invalid(operation, JSON.stringify(path), 'the path contains a control, bidi or zero-width character', 'names are printable and visible');
  }
  if (LONE_SURROGATE.test(path)) {
    throw invalid(operation, JSON.stringify(path), 'the path contains a lone surrogate', 'names are well-formed Unicode');
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: encode only when it could matter.
  if (path.length * 3 > MAX_PATH_BYTES && encoder.encode(path).length > MAX_PATH_BYTES) {
    throw invalid(operation, `${path.slice(0, 64)}…`, `the path is longer than ${MAX_PATH_BYTES} bytes`, 'paths fit in 4096 bytes');
  }
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw escape(operation, path, 'the path contains ".."');
    if (segment.length * 3 > MAX_SEGMENT_BYTES && encoder.encode(segment).length > MAX_SEGMENT_BYTES) {
      throw invalid(operation, `${segment.slice(0, 64)}…`, `a name is longer than ${MAX_SEGMENT_BYTES} bytes`, 'names fit in 255 bytes');
    }
    segments.push(segment);
  }
  return Object.freeze(segments) as unknown as CheckedPath;
};

/** The path as a guest would write it again. */
export const showPath = (segments: readonly string[]): string => segments.join('/');

/** `base` followed by `rest`, both already checked. */
export const joinPath = (base: CheckedPath, rest: CheckedPath): CheckedPath =>
  Object.freeze([...base, ...rest]) as unknown as CheckedPath;

/** The parent segments and the last name; refuses the root itself. */
export const splitLast = (operation: string, path: CheckedPath): readonly [CheckedPath, string] => {
  const name = path[path.length - 1];
  if (name === undefined) {
    throw invalid(operation, '', 'the operation needs a name below the node, not the node itself', 'name an entry');
  }
  return [Object.freeze(path.slice(0, -1)) as unknown as CheckedPath, name];
};

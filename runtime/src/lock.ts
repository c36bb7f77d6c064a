/**
 * The lock: content digests of the files a realm was spawned with, recorded
 * once and verified at a later spawn, so a run is reproducible by how its
 * names were bound.
 *
 * `recordLock(roots)` walks each bound root (name → directory node) through
 * its own `list`/`stat`/`read`, hashes every file with SHA-256 and answers a
 * plain, sorted, JSON-ready record:
 *
 *   { version: 1, roots: { app: { 'lib/x.js': 'sha256-<base64>', 'main.js': … } } }
 *
 * `verifyLock(roots, lock)` walks again and refuses (`LockMismatchError`) with a
 * message naming every file added, removed or changed, as `app://main.js`;
 * `diffLock` gives the same as data. Only files are locked: an empty
 * directory added or removed does not break a lock. The walk is bounded
 * (`maxEntries` files and directories, `maxBytes` read), and refuses with
 * `BudgetExceededError` beyond, before reading more.
 *
 * Its one ambient power: `node:crypto` for SHA-256, in the host.
 */
import { createHash } from 'node:crypto';
import type { DirNode } from '@cathedral/sdk';
import { BudgetExceededError, InvalidArgumentError, LockMismatchError } from '@cathedral/sdk';

export interface Lock {
  readonly version: 1;
  /** Realm name → file path (relative, `/`-separated) → `sha256-<base64>`. */
  readonly roots: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface LockOptions {
  /** The most files and directories walked, all roots together (default 10 000). */
  readonly maxEntries?: number;
  /** The most bytes read, all roots together (default 64 MiB). */
  readonly maxBytes?: number;
  /** Names the realm in refusals. */
  readonly realm?: string | undefined;
  /** The operation named in refusals (default `lock` / `verify`). */
  readonly operation?: string;
}

export interface LockDiff {
  /** URIs such as `app://main.js`, sorted. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

const digest = (bytes: Uint8Array): string => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;

const uriOf = (root: string, path: string) => `${root}://${path}`;

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const walkRoot = async (
  name: string,
  root: DirNode,
  budget: { entries: number; bytes: number },
  options: LockOptions,
  operation: string,
): Promise<Record<string, string>> => {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const files: Array<[string, string]> = [];
  const over = (what: string, at: string, limit: number, option: string) =>
    new BudgetExceededError({
      operation,
      target: uriOf(name, at),
      realm: options.realm,
      problem: `the roots hold more than ${limit} ${what}`,
      rule: `a lock walks at most ${option} ${limit} ${what}`,
      allow: `raise ${option}, or lock a narrower root (subtree, filter)`,
    });
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await root.list(dir)) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      budget.entries += 1;
      if (budget.entries > maxEntries) throw over('entries', path, maxEntries, 'maxEntries');
      if (entry.kind === 'dir') {
        await walk(path);
        continue;
      }
      const { size } = await root.stat(path);
      if (budget.bytes + size > maxBytes) throw over('bytes', path, maxBytes, 'maxBytes');
      const bytes = await root.read(path);
      budget.bytes += bytes.length;
      if (budget.bytes > maxBytes) throw over('bytes', path, maxBytes, 'maxBytes');
      files.push([path, digest(bytes)]);
    }
  };
  await walk('');
  files.sort(([a], [b]) => byName(a, b));
  return Object.fromEntries(files);
};

export const recordLock = async (roots: Readonly<Record<string, DirNode>>, options: LockOptions = {}): Promise<Lock> => {
  const operation = options.operation ?? 'lock';
  const budget = { entries: 0, bytes: 0 };
  const out: Record<string, Record<string, string>> = {};
  for (const name of Object.keys(roots).sort(byName)) {
    out[name] = await walkRoot(name, roots[name] as DirNode, budget, options, operation);
  }
  return harden({ version: 1 as const, roots: out });
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a lock read from elsewhere (a JSON file): its shape, never trusted. */
export const checkLock = (value: unknown, options: Pick<LockOptions, 'realm' | 'operation'> = {}): Lock => {
  const bad = (problem: string) =>
    new InvalidArgumentError({
      operation: options.operation ?? 'verify',
      target: 'lock',
      realm: options.realm,
      problem,
      rule: 'a lock is { version: 1, roots: { name: { path: "sha256-…" } } }, as recordLock makes it',
      allow: 'record the lock again with recordLock',
    });
  if (!isRecord(value) || value['version'] !== 1) throw bad('the lock is not a version 1 lock');
  const roots = value['roots'];
  if (!isRecord(roots)) throw bad('the lock has no roots record');
  for (const [name, files] of Object.entries(roots)) {
    if (!isRecord(files)) throw bad(`the lock's root "${name}" is not a record of files`);
    for (const [path, hash] of Object.entries(files)) {
      if (typeof hash !== 'string' || !/^sha256-[A-Za-z0-9+/]{43}=$/.test(hash)) throw bad(`the digest of ${uriOf(name, path)} is not a sha256 digest`);
    }
  }
  return value as unknown as Lock;
};

/** What differs between a recorded lock and the current one, as URIs. */
export const diffLock = (recorded: Lock, current: Lock): LockDiff => {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  const names = new Set([...Object.keys(recorded.roots), ...Object.keys(current.roots)]);
  for (const name of names) {
    const before = Object.hasOwn(recorded.roots, name) ? (recorded.roots[name] as Record<string, string>) : {};
    const after = Object.hasOwn(current.roots, name) ? (current.roots[name] as Record<string, string>) : {};
    for (const [path, hash] of Object.entries(before)) {
      if (!Object.hasOwn(after, path)) removed.push(uriOf(name, path));
      else if (after[path] !== hash) changed.push(uriOf(name, path));
    }
    for (const path of Object.keys(after)) {
      if (!Object.hasOwn(before, path)) added.push(uriOf(name, path));
    }
    // A root bound or unbound since, even an empty one, is named as the root itself.
    if (!Object.hasOwn(recorded.roots, name) && Object.keys(after).length === 0) added.push(uriOf(name, ''));
    if (!Object.hasOwn(current.roots, name) && Object.keys(before).length === 0) removed.push(uriOf(name, ''));
  }
  return harden({ added: added.sort(byName), removed: removed.sort(byName), changed: changed.sort(byName) });
};

const MAX_NAMED = 20;

const describeDiff = (diff: LockDiff): string => {
  const parts: string[] = [];
  const named = (label: string, uris: readonly string[]) => {
    if (uris.length === 0) return;
    const shown = uris.slice(0, MAX_NAMED).join(', ');
    parts.push(`${label} ${shown}${uris.length > MAX_NAMED ? ` and ${uris.length - MAX_NAMED} more` : ''}`);
  };
  named('changed', diff.changed);
  named('added', diff.added);
  named('removed', diff.removed);
  return parts.join('; ');
};

/**
 * Walks the roots again and answers the current lock when it equals `lock`;
 * otherwise refuses with `LockMismatchError` naming what changed.
 */
export const verifyLock = async (roots: Readonly<Record<string, DirNode>>, lock: unknown, options: LockOptions = {}): Promise<Lock> => {
  const operation = options.operation ?? 'verify';
  const recorded = checkLock(lock, { realm: options.realm, operation });
  const current = await recordLock(roots, { ...options, operation });
  const diff = diffLock(recorded, current);
  if (diff.added.length + diff.removed.length + diff.changed.length === 0) return current;
  throw new LockMismatchError({
    operation,
    target: 'lock',
    realm: options.realm,
    problem: `the code and data bound differ from the lock: ${describeDiff(diff)}`,
    rule: 'a realm spawned with a lock runs only the content recorded in it',
    allow: 'restore the files, or record the lock again with recordLock if the change is intended',
  });
};

/**
 * `synthetic(provider, options?)`: a root served by any object that answers
 * (a subset of) the node interface with string paths: a `proc:` listing, a
 * device, a database view.
 *
 * Invariant: nothing the provider does reaches the realm that uses the root
 * except validated copies. Every answer is read once and copied into fresh
 * data (entries, stats, bytes), so a Proxy, a getter or a buffer the provider
 * keeps cannot change an answer after it was checked. Every call is bounded
 * by `timeoutMs` (default 5000). A misbehaving answer, a throw (of anything),
 * or a timeout becomes an `IoError` naming the provider's fault, never its
 * message or objects; a provider error carrying a known `code`
 * (`NOT_FOUND`/`ENOENT`, `EXISTS`/`EEXIST`, `NOT_EMPTY`/`ENOTEMPTY`,
 * `WRONG_KIND`/`ENOTDIR`/`EISDIR`, `UNSUPPORTED`/`ENOTSUP`) is restated as the
 * matching Cathedral error. A method the provider lacks refuses its operation
 * with `UnsupportedError`. The methods are read once, when the root is made.
 *
 * What it deliberately does not do: bound a provider that loops forever
 * synchronously (nothing in one thread can; use a worker or process tier), or
 * derive one method from another (no `stat` means `resolve` is unsupported).
 */
import type { DirEntry, DirNode, NodeKind, Stat } from '@cathedral/sdk';
import { ExistsError, InvalidArgumentError, IoError, NotEmptyError, NotFoundError, UnsupportedError, WrongKindError, isUint8Array } from '@cathedral/sdk';
import type { ErrorDetails } from '@cathedral/sdk';
import { type CheckedPath, checkPath, showPath } from '../path.js';
import { type Store, makeStoreRoot } from './store.js';

type Maybe<T> = T | Promise<T>;

export interface Provider {
  list?(path: string): Maybe<readonly DirEntry[]>;
  stat?(path: string): Maybe<Stat>;
  read?(path: string): Maybe<Uint8Array | string>;
  write?(path: string, bytes: Uint8Array, options: { readonly parents: boolean }): Maybe<void>;
  mkdir?(path: string, options: { readonly recursive: boolean }): Maybe<void>;
  remove?(path: string, options: { readonly recursive: boolean }): Maybe<void>;
  rename?(from: string, to: string): Maybe<void>;
}

export interface SyntheticOptions {
  /** Bound on each call, in ms (default 5000). */
  readonly timeoutMs?: number;
  /** Largest answer `read` may give, in bytes (default 64 MiB). */
  readonly maxBytes?: number;
  /** Largest listing `list` may give (default 100 000). */
  readonly maxEntries?: number;
}

const METHODS = ['list', 'stat', 'read', 'write', 'mkdir', 'remove', 'rename'] as const;
type Method = (typeof METHODS)[number];

/** A fault found while copying an answer; private, so a provider cannot throw one. */
class Fault {
  constructor(readonly problem: string) {}
}

const byteLengthOf = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, 'byteLength')?.get;
const encoder = new TextEncoder();
const isKind = (kind: unknown): kind is NodeKind => kind === 'dir' || kind === 'file';

/** One name a guest path could address: not empty, `.`, `..`, nor containing `/` or anything checkPath refuses. */
const isPlainName = (name: string): boolean => {
  try {
    const segments = checkPath('list', name);
    return segments.length === 1 && segments[0] === name;
  } catch {
    return false;
  }
};

const option = (options: SyntheticOptions, name: keyof SyntheticOptions, fallback: number, max: number): number => {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError({ operation: 'synthetic', target: name, problem: `${name} must be an integer from 1 to ${max}`, rule: 'bounds are positive integers' });
  }
  return value;
};

/** Provider errors that mean something to a guest, by code. */
type Where = Pick<ErrorDetails, 'operation' | 'target'>;
const KNOWN: { readonly [code: string]: (d: Where) => Error } = {
  NOT_FOUND: d => new NotFoundError({ ...d, problem: 'no such file or directory', rule: 'only existing entries can be reached' }),
  EXISTS: d => new ExistsError({ ...d, problem: 'an entry with that name exists', rule: 'creating needs a free name' }),
  NOT_EMPTY: d => new NotEmptyError({ ...d, problem: 'the directory is not empty', rule: 'only empty directories are removed by default' }),
  WRONG_KIND: d => new WrongKindError({ ...d, problem: 'it is the wrong kind of entry', rule: 'only directories have entries, only files have content' }),
  UNSUPPORTED: d => new UnsupportedError({ ...d, problem: 'the provider does not support it', rule: 'a synthetic root offers what its provider supports' }),
};
const ERRNO: { readonly [code: string]: string } = { ENOENT: 'NOT_FOUND', EEXIST: 'EXISTS', ENOTEMPTY: 'NOT_EMPTY', ENOTDIR: 'WRONG_KIND', EISDIR: 'WRONG_KIND', ENOTSUP: 'UNSUPPORTED' };

/** The `code` of a thrown value, read once from an own data property; no getter runs. */
const codeOf = (thrown: unknown): string | undefined => {
  if ((typeof thrown !== 'object' && typeof thrown !== 'function') || thrown === null) return undefined;
  try {
    const desc = Object.getOwnPropertyDescriptor(thrown, 'code');
    const code: unknown = desc !== undefined && 'value' in desc ? desc.value : undefined;
    if (typeof code !== 'string') return undefined;
    const known = Object.hasOwn(ERRNO, code) ? ERRNO[code] : code;
    return known !== undefined && Object.hasOwn(KNOWN, known) ? known : undefined;
  } catch {
    return undefined; // a Proxy whose trap throws: an unknown fault
  }
};

const describeThrown = (thrown: unknown): string => {
  try {
    return thrown instanceof Error ? 'an error' : `a non-error value (${thrown === null ? 'null' : typeof thrown})`;
  } catch {
    return 'a value that cannot be inspected';
  }
};

export const synthetic = (provider: Provider, options: SyntheticOptions = {}): DirNode => {
  if ((typeof provider !== 'object' && typeof provider !== 'function') || provider === null) {
    throw new InvalidArgumentError({ operation: 'synthetic', problem: 'the provider must be an object', rule: 'a provider implements node methods' });
  }
  const timeoutMs = option(options, 'timeoutMs', 5000, 2 ** 31 - 1);
  const maxBytes = option(options, 'maxBytes', 64 * 1024 * 1024, 2 ** 31);
  const maxEntries = option(options, 'maxEntries', 100_000, 2 ** 24);
  const methods = new Map<Method, unknown>();
  for (const name of METHODS) {
    const method: unknown = (provider as { readonly [key: string]: unknown })[name];
    if (method === undefined) continue;
    if (typeof method !== 'function') {
      throw new InvalidArgumentError({ operation: 'synthetic', target: name, problem: `provider.${name} must be a function, got ${typeof method}`, rule: 'a provider implements node methods as functions' });
    }
    methods.set(name, method);
  }

  const fault = (operation: Method, path: CheckedPath, problem: string, rule: string) =>
    new IoError({ operation, target: showPath(path), problem: `the provider ${problem}`, rule, allow: "fix the provider's answer" });

  /** Calls the provider, bounded in time; every failure comes back as a Cathedral error. */
  const call = async (operation: Method, path: CheckedPath, args: readonly unknown[]): Promise<unknown> => {
    const method = methods.get(operation);
    if (method === undefined) {
      throw new UnsupportedError({ operation, target: showPath(path), problem: `the provider does not implement ${operation}`, rule: 'a synthetic root offers only what its provider implements' });
    }
    const late = {};
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Throwing, rejecting and thenables that throw all become a rejection here.
    const answer = new Promise<unknown>(resolve => resolve(Reflect.apply(method as (...a: unknown[]) => unknown, provider, [...args])));
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late), timeoutMs);
    });
    try {
      return await Promise.race([answer, deadline]);
    } catch (thrown) {
      if (thrown === late) throw fault(operation, path, `did not answer within ${timeoutMs} ms`, 'a provider answers every call in time');
      const code = codeOf(thrown);
      if (code !== undefined) throw KNOWN[code]!({ operation, target: showPath(path) });
      throw fault(operation, path, `threw ${describeThrown(thrown)}`, 'a provider refuses with a known error code or answers');
    } finally {
      clearTimeout(timer);
    }
  };

  /** Runs `copy` over an answer; whatever goes wrong while reading it is the provider's fault. */
  const checked = <T>(operation: Method, path: CheckedPath, rule: string, copy: () => T): T => {
    try {
      return copy();
    } catch (error) {
      throw fault(operation, path, error instanceof Fault ? `answered with ${error.problem}` : 'answered with a value that throws when read', rule);
    }
  };

  const copyEntries = (answer: unknown): DirEntry[] => {
    if (!Array.isArray(answer)) throw new Fault('something that is not an array');
    const length: unknown = answer.length;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw new Fault('an array of unknown length');
    if (length > maxEntries) throw new Fault(`more than ${maxEntries} entries`);
    const seen = new Set<string>();
    const entries: DirEntry[] = [];
    for (let i = 0; i < length; i += 1) {
      const entry: unknown = answer[i];
      if (typeof entry !== 'object' || entry === null) throw new Fault('an entry that is not an object');
      const { name, kind } = entry as { name: unknown; kind: unknown }; // each read once
      if (typeof name !== 'string' || !isPlainName(name)) throw new Fault('an entry whose name is not one plain name');
      if (!isKind(kind)) throw new Fault(`an entry of kind other than "dir" or "file"`);
      if (seen.has(name)) throw new Fault('the same name twice');
      seen.add(name);
      entries.push({ name, kind });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };

  const copyStat = (answer: unknown): Stat => {
    if (typeof answer !== 'object' || answer === null) throw new Fault('a stat that is not an object');
    const { kind, size } = answer as { kind: unknown; size: unknown };
    if (!isKind(kind)) throw new Fault('a kind other than "dir" or "file"');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new Fault('a size that is not a whole number >= 0');
    return { kind, size };
  };

  const copyBytes = (answer: unknown): Uint8Array => {
    if (typeof answer === 'string') {
      if (answer.length > maxBytes) throw new Fault(`more than ${maxBytes} bytes`);
      const bytes = encoder.encode(answer);
      if (bytes.byteLength > maxBytes) throw new Fault(`more than ${maxBytes} bytes`);
      return bytes;
    }
    // isView is false for a Proxy; the length comes from the internal slot, not a property the provider could shadow.
    if (!isUint8Array(answer) || byteLengthOf === undefined) throw new Fault('content that is neither a string nor a Uint8Array');
    if ((Reflect.apply(byteLengthOf, answer, []) as number) > maxBytes) throw new Fault(`more than ${maxBytes} bytes`);
    return new Uint8Array(answer);
  };

  const store: Store = {
    stat: async path => {
      const answer = await call('stat', path, [showPath(path)]);
      return checked('stat', path, 'a provider answers stat with { kind, size }', () => copyStat(answer));
    },
    list: async path => {
      const answer = await call('list', path, [showPath(path)]);
      return checked('list', path, 'a provider answers list with an array of { name, kind } with distinct plain names', () => copyEntries(answer));
    },
    read: async path => {
      const answer = await call('read', path, [showPath(path)]);
      return checked('read', path, `a provider answers read with a string or a Uint8Array of at most ${maxBytes} bytes`, () => copyBytes(answer));
    },
    write: async (path, bytes, { parents }) => {
      await call('write', path, [showPath(path), new Uint8Array(bytes), harden({ parents })]);
    },
    mkdir: async (path, { recursive }) => {
      await call('mkdir', path, [showPath(path), harden({ recursive })]);
    },
    remove: async (path, { recursive }) => {
      await call('remove', path, [showPath(path), harden({ recursive })]);
    },
    rename: async (from, to) => {
      await call('rename', from, [showPath(from), showPath(to)]);
    },
  };
  return makeStoreRoot(store, 'synthetic');
};

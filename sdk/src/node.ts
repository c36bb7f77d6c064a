/**
 * The node interface: the only way guest code reaches anything.
 *
 * A node is a hardened remotable (`Far`) capability to one object in a store:
 * a directory or a file. Every method is asynchronous so that the same code
 * works whether the node lives in the guest's thread or behind CapTP.
 *
 * Paths given to a directory's methods are relative, `/`-separated, and never
 * leave the directory: `..`, absolute paths, NUL, backslashes and
 * percent-encoded separators are refused with `PathEscapeError`. The empty
 * path (or `.`) names the directory itself.
 *
 * This module holds types only; backends live in `@cathedral/powerbox`.
 */

/** What a node is. */
export type NodeKind = 'dir' | 'file';

/** What `stat` reveals: deliberately no host times, owners or inode numbers. */
export interface Stat {
  readonly kind: NodeKind;
  /** Bytes for a file; the number of entries for a directory. */
  readonly size: number;
}

/** One entry of a directory listing. */
export interface DirEntry {
  readonly name: string;
  readonly kind: NodeKind;
}

/** Bytes or text; text is written as UTF-8. */
export type Data = Uint8Array | string;

export interface WriteOptions {
  /** Create missing parent directories (default false). */
  readonly parents?: boolean;
}

export interface MkdirOptions {
  /** Create missing parents and accept an existing directory (default false). */
  readonly recursive?: boolean;
}

export interface RemoveOptions {
  /** Remove a non-empty directory with everything below it (default false). */
  readonly recursive?: boolean;
}

/** A capability to one file. */
export interface FileNode {
  stat(): Promise<Stat>;
  read(): Promise<Uint8Array>;
  readText(): Promise<string>;
  /** Replaces the whole content atomically: readers see the old or the new. */
  write(data: Data): Promise<void>;
}

/** A capability to one directory and everything below it. */
export interface DirNode {
  /** The node at `path` below this directory (the directory itself for ''). */
  resolve(path: string): Promise<Node>;
  /** Entries of the directory at `path`, sorted by name. */
  list(path?: string): Promise<readonly DirEntry[]>;
  stat(path?: string): Promise<Stat>;
  read(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  /** Replaces the file at `path` atomically, creating it if needed. */
  write(path: string, data: Data, options?: WriteOptions): Promise<void>;
  mkdir(path: string, options?: MkdirOptions): Promise<void>;
  remove(path: string, options?: RemoveOptions): Promise<void>;
  /** Moves within this directory's root; never across roots. */
  rename(from: string, to: string): Promise<void>;
}

export type Node = DirNode | FileNode;

/** The operations a node can be asked for, by name: used by errors, ceilings and attenuations. */
export type NodeOperation =
  | 'resolve'
  | 'list'
  | 'stat'
  | 'read'
  | 'readText'
  | 'write'
  | 'mkdir'
  | 'remove'
  | 'rename';

/** Operations that change the store. */
export const mutatingOperations: ReadonlySet<NodeOperation> = new Set<NodeOperation>([
  'write',
  'mkdir',
  'remove',
  'rename',
]);

/** A `memory()` tree literal: strings and bytes are files, objects are directories. */
export type TreeLiteral = { readonly [name: string]: TreeLiteral | Data };

/**
 * The one forwarder every attenuation is built on.
 *
 * An attenuated node is a record of functions over private state (never a
 * Proxy: formatting or reflecting a Proxy can reach its target). It checks
 * the guest's path, asks its `Layer` whether the operation may go on and to
 * which path below, forwards to the inner directory by path, and lets the
 * layer look at the answer. Children reached through `resolve` are forwarders
 * over the same inner directory and the same layer, so whatever the layer
 * refuses stays refused at every depth.
 *
 * A layer can only refuse, narrow a path, filter an answer or restate an
 * error: it is given no way to add authority, since it only ever calls the
 * inner node it was given. Paths given to a layer are the paths sent to the
 * inner node: for `attenuateAt`, they include its prefix.
 */
import { Far, getInterfaceOf } from '@endo/pass-style';
import type { Data, DirEntry, DirNode, FileNode, MkdirOptions, Node, NodeOperation, RemoveOptions, Stat, WriteOptions } from '@cathedral/sdk';
import { isUint8Array, InvalidArgumentError, isCathedralError } from '@cathedral/sdk';
import { type CheckedPath, checkPath, joinPath, showPath } from '../path.js';
import { recordLineage } from '../lineage.js';
import { type Direct, type Presence, directTo, settle, withDirect } from '../direct.js';

/** What an attenuation decides. Paths are relative to the attenuated root. */
export interface Layer {
  /** A label for routes and messages, e.g. `readOnly` or `filter("docs/**")`. */
  readonly label: string;
  /** Refuses (throws) or allows `operation` on `path`; `to` is the second path of a rename. */
  check(operation: NodeOperation, path: CheckedPath, to?: CheckedPath): void;
  /** Filters a listing of the directory at `path`. */
  list?(path: CheckedPath, entries: readonly DirEntry[]): readonly DirEntry[];
  /** Runs after the inner node answered or failed, before that reaches the caller (e.g. a revocation that happened meanwhile). */
  after?(operation: NodeOperation, path: CheckedPath): void;
  /** Turns an error of the inner node into the one the caller sees (e.g. to name the path as the caller wrote it). */
  failed?(operation: NodeOperation, path: CheckedPath, error: unknown): unknown;
  /** Runs around a mutation; may account for it, must leave nothing half-done when it throws. */
  mutate?<R>(operation: NodeOperation, path: CheckedPath, run: () => Promise<R>, data?: Uint8Array): Promise<R>;
}

type Inner = DirNode;

const isFile = (node: unknown): boolean => getInterfaceOf(node) === 'Alleged: File';

const forwardTo = async <R>(layer: Layer, operation: NodeOperation, path: CheckedPath, run: () => Promise<R>): Promise<R> => {
  let result: R;
  try {
    result = await run();
  } catch (error) {
    layer.after?.(operation, path);
    throw layer.failed === undefined ? error : layer.failed(operation, path, error);
  }
  layer.after?.(operation, path);
  return result;
};

/** `forwardTo`, or `run` itself where the layer has nothing to do after it (one promise less per layer). */
const pass = <R>(layer: Layer, operation: NodeOperation, path: CheckedPath, run: () => Promise<R>): Promise<R> =>
  layer.after === undefined && layer.failed === undefined ? run() : forwardTo(layer, operation, path, run);

const mutation = <R>(layer: Layer, operation: NodeOperation, path: CheckedPath, run: () => Promise<R>, data?: Uint8Array): Promise<R> =>
  forwardTo(layer, operation, path, () => (layer.mutate === undefined ? run() : layer.mutate(operation, path, run, data)));

const bytesOf = (operation: string, path: string, data: unknown): Uint8Array | string => {
  if (typeof data === 'string') return data;
  if (isUint8Array(data)) return new Uint8Array(data);
  throw new InvalidArgumentError({ operation, target: path, problem: 'data must be a string or a Uint8Array', rule: 'stores hold bytes' });
};

const encoder = new TextEncoder();
const asBytes = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? encoder.encode(data) : data);

/** The four file operations, whether the inner node is a directory (by path) or a file. */
interface FileAccess {
  stat(): Promise<Stat>;
  read(): Promise<Uint8Array>;
  readText(): Promise<string>;
  write(data: Uint8Array | string): Promise<void>;
}

const makeFile = (access: FileAccess, layer: Layer, at: CheckedPath, inner: object): FileNode => {
  const node = Far('File', {
    stat: async (): Promise<Stat> => {
      layer.check('stat', at);
      return forwardTo(layer, 'stat', at, () => access.stat());
    },
    read: async () => {
      layer.check('read', at);
      return forwardTo(layer, 'read', at, () => access.read());
    },
    readText: async () => {
      layer.check('readText', at);
      return forwardTo(layer, 'readText', at, () => access.readText());
    },
    write: async (data: Data) => {
      const bytes = bytesOf('write', showPath(at), data);
      layer.check('write', at);
      return mutation(layer, 'write', at, () => access.write(bytes), asBytes(bytes));
    },
  });
  return recordLineage(node, layer.label, inner);
};

const fileIn = (inner: Inner, at: CheckedPath): FileAccess => {
  const p = showPath(at);
  return {
    stat: () => inner.stat(p),
    read: () => inner.read(p),
    readText: () => inner.readText(p),
    write: data => inner.write(p, data),
  };
};

const makeDir = (inner: Inner, layer: Layer, at: CheckedPath, floor: number): DirNode => {
  const below = directTo(inner);
  const full = (path: CheckedPath): CheckedPath => (at.length === 0 ? path : joinPath(at, path));
  const here = (operation: NodeOperation, path: unknown = ''): CheckedPath => {
    const target = full(checkPath(operation, path));
    layer.check(operation, target);
    return target;
  };
  // Nothing at or above `floor` (a subtree's own root) can be removed or
  // moved: that would act in a directory the holder does not hold.
  const needsName = (operation: NodeOperation, full: CheckedPath): void => {
    // At the top of the inner node, the inner node refuses by itself.
    if (floor === 0 || full.length > floor) return;
    throw new InvalidArgumentError({
      operation,
      target: '',
      problem: 'the operation needs a name below the node, not the node itself',
      rule: 'a node acts only below itself',
      allow: 'name an entry',
    });
  };
  // The reads, over checked paths relative to this node: what the public
  // methods run after checking the guest's path, and what an outer
  // forwarder calls directly (see ../direct.ts).
  const direct: Direct = {
    stat: async path => {
      const target = full(path);
      layer.check('stat', target);
      const stat = await pass(layer, 'stat', target, () => below.stat(target));
      // A directory's size is its number of entries: as many as the layer lets list.
      if (stat.kind !== 'dir' || layer.list === undefined) return stat;
      layer.check('list', target);
      const entries = await pass(layer, 'list', target, () => below.list(target));
      return Object.freeze({ kind: 'dir' as const, size: layer.list(target, entries).length });
    },
    list: async path => {
      const target = full(path);
      layer.check('list', target);
      const entries = await pass(layer, 'list', target, () => below.list(target));
      return layer.list === undefined ? entries : layer.list(target, entries);
    },
    read: path => {
      const target = full(path);
      layer.check('read', target);
      return pass(layer, 'read', target, () => below.read(target));
    },
    kind: path => {
      const target = full(path);
      try {
        layer.check('stat', target);
      } catch (error) {
        // What the layer hides is absent; any other refusal is the caller's to see.
        if (isCathedralError(error, 'NOT_FOUND')) return Promise.resolve<Presence>('none');
        throw error;
      }
      return pass(layer, 'stat', target, () => below.kind(target));
    },
  };
  const node = Far('Dir', {
    resolve: async (path: string): Promise<Node> => {
      const full = here('resolve', path);
      const { kind } = await forwardTo(layer, 'resolve', full, () => inner.stat(showPath(full)));
      return kind === 'dir' ? makeDir(inner, layer, full, floor) : makeFile(fileIn(inner, full), layer, full, inner);
    },
    list: (path?: string) => settle(() => direct.list(checkPath('list', path === undefined ? '' : path))),
    stat: (path?: string) => settle(() => direct.stat(checkPath('stat', path === undefined ? '' : path))),
    read: (path: string) => settle(() => direct.read(checkPath('read', path))),
    readText: async (path: string) => {
      const full = here('readText', path);
      return forwardTo(layer, 'readText', full, () => inner.readText(showPath(full)));
    },
    write: async (path: string, data: Data, options?: WriteOptions) => {
      const full = here('write', path);
      const bytes = bytesOf('write', showPath(full), data);
      return mutation(layer, 'write', full, () => inner.write(showPath(full), bytes, options), asBytes(bytes));
    },
    mkdir: async (path: string, options?: MkdirOptions) => {
      const full = here('mkdir', path);
      return mutation(layer, 'mkdir', full, () => inner.mkdir(showPath(full), options));
    },
    remove: async (path: string, options?: RemoveOptions) => {
      const full = here('remove', path);
      needsName('remove', full);
      return mutation(layer, 'remove', full, () => inner.remove(showPath(full), options));
    },
    rename: async (from: string, to: string) => {
      const source = joinPath(at, checkPath('rename', from));
      const target = joinPath(at, checkPath('rename', to));
      layer.check('rename', source, target);
      needsName('rename', source);
      needsName('rename', target);
      return mutation(layer, 'rename', source, () => inner.rename(showPath(source), showPath(target)));
    },
  });
  return withDirect(recordLineage(node, layer.label, inner), direct);
};

/**
 * Attenuates `node` with `layer`: a directory is forwarded by path, a file
 * as itself (its path is the empty path).
 */
export const attenuate = <N extends Node>(node: N, layer: Layer): N => {
  const top = checkPath('resolve', '');
  if (isFile(node)) {
    const file = node as FileNode;
    return makeFile({ stat: () => file.stat(), read: () => file.read(), readText: () => file.readText(), write: d => file.write(d) }, layer, top, file) as N;
  }
  return makeDir(node as DirNode, layer, top, 0) as N;
};

/** Attenuates the directory at `at` below `dir`: guest paths are appended to `at`. */
export const attenuateAt = (dir: DirNode, layer: Layer, at: CheckedPath): DirNode => makeDir(dir, layer, at, at.length);

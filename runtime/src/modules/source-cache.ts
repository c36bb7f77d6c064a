/**
 * Parsed module sources, cached by content hash and location.
 *
 * Parsing (`new ModuleSource`) is the costly part of loading a module, and a
 * `ModuleSource` is immutable and shareable between compartments, so realms
 * spawned from the same code reuse one parse. The key is the location (baked
 * into the source for stack traces) and the content: the text itself up to
 * 4 KiB, its SHA-256 beyond. The cache is bounded and evicts the oldest
 * entry first.
 *
 * The parser is loaded on demand (`loadParser()`, awaited by the host at
 * creation and by a loader before its first parse): a guest process whose
 * modules the host parsed never loads it (about 0.45 s of CPU at its start).
 */
import { createHash } from 'node:crypto';
import type { ModuleSource } from '@endo/module-source';

let Parser: typeof ModuleSource | undefined;

/** Loads the module parser once; `get` needs it. */
export const loadParser = async (): Promise<void> => {
  Parser ??= (await import('@endo/module-source')).ModuleSource;
};

export interface SourceCache {
  get(location: string, bytes: Uint8Array, text: () => string): ModuleSource;
  readonly size: number;
}

const SMALL = 4096;

export const makeSourceCache = (limit = 2048): SourceCache => {
  const entries = new Map<string, ModuleSource>();
  return {
    get: (location, bytes, decode) => {
      let decoded: string | undefined;
      const text = (): string => (decoded ??= decode());
      // A small source is its own key (exact, and cheaper than hashing it);
      // a large one is keyed by its hash, so the cache does not hold it twice.
      const key = bytes.byteLength <= SMALL ? `${location}\u0000=${text()}` : `${location}\u0000#${createHash('sha256').update(bytes).digest('base64')}`;
      const hit = entries.get(key);
      if (hit !== undefined) return hit;
      if (Parser === undefined) throw new Error('the module parser is not loaded: await loadParser() first');
      const source = new Parser(text(), location);
      entries.set(key, source);
      if (entries.size > limit) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      return source;
    },
    get size() {
      return entries.size;
    },
  };
};

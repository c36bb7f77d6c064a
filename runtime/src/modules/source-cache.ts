/**
 * Parsed module sources, cached by content hash and location.
 *
 * Parsing (`new ModuleSource`) is the costly part of loading a module, and a
 * `ModuleSource` is immutable and shareable between compartments, so realms
 * spawned from the same code reuse one parse. The key is the location (baked
 * into the source for stack traces) and the content: the text itself up to
 * 4 KiB, its SHA-256 beyond. The cache is bounded and evicts the oldest
 * entry first.
 */
import { createHash } from 'node:crypto';
import { ModuleSource } from '@endo/module-source';

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
      const source = new ModuleSource(text(), location);
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

/**
 * Parsed module sources, cached by content hash and location.
 *
 * Parsing (`new ModuleSource`) is the costly part of loading a module, and a
 * `ModuleSource` is immutable and shareable between compartments, so realms
 * spawned from the same code reuse one parse. The location is part of the
 * key because it is baked into the source for stack traces. The cache is
 * bounded and evicts the oldest entry first.
 */
import { createHash } from 'node:crypto';
import { ModuleSource } from '@endo/module-source';

export interface SourceCache {
  get(location: string, bytes: Uint8Array, text: () => string): ModuleSource;
  readonly size: number;
}

export const makeSourceCache = (limit = 2048): SourceCache => {
  const entries = new Map<string, ModuleSource>();
  return {
    get: (location, bytes, text) => {
      const key = `${createHash('sha256').update(bytes).digest('base64')}\u0000${location}`;
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

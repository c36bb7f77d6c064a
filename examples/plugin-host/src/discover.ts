/**
 * Finding plugins: every folder of the plugins directory with a `main.js`.
 *
 * Discovery reads the plugins directory through a root node, the same
 * interface the plugins get, so this app needs no `node:fs` of its own.
 * Folders are returned in name order, so runs are reproducible.
 *
 * Deliberately not done: reading manifests or package.json files. What a
 * plugin gets is the host's policy (./policy.ts), never the plugin's request.
 */
import type { DirNode } from '@cathedral/sdk';
import { isCathedralError } from '@cathedral/sdk';
import type { Skipped } from './results.js';

export interface Found {
  /** The folder name, also the realm name. */
  readonly name: string;
}

/** Realm names allowed by spawn: 1 to 64 letters, digits, "_", "-" or ".". */
const REALM_NAME = /^[\w.-]{1,64}$/;

const hasMain = async (plugins: DirNode, name: string): Promise<boolean> => {
  try {
    return (await plugins.stat(`${name}/main.js`)).kind === 'file';
  } catch (error) {
    if (isCathedralError(error, 'NOT_FOUND')) return false;
    throw error;
  }
};

export const discoverPlugins = async (plugins: DirNode): Promise<{ found: Found[]; skipped: Skipped[] }> => {
  const found: Found[] = [];
  const skipped: Skipped[] = [];
  for (const entry of await plugins.list()) {
    if (entry.kind !== 'dir') continue;
    if (!REALM_NAME.test(entry.name)) {
      skipped.push({ name: entry.name, reason: 'the folder name is not a valid realm name' });
    } else if (await hasMain(plugins, entry.name)) {
      found.push({ name: entry.name });
    } else {
      skipped.push({ name: entry.name, reason: 'no main.js' });
    }
  }
  return { found, skipped };
};

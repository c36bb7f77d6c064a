/**
 * The lock file: the digests of what each plugin is spawned with, recorded
 * once (`main.js --record-lock`, as an installer would) and verified by the
 * runtime at every spawn (`spawn({ lock })`), so a plugin whose code or the
 * data it is bound to changed since is refused with LOCK_MISMATCH, naming
 * the files, before any of it runs.
 *
 *   { "version": 1, "plugins": { "<name>": <host.lock(realms)>, ... } }
 *
 * What is locked is every root the spawn binds (./grants.ts `realmsFor`):
 * the plugin's folder (a nested host's sub-plugins included), the shared
 * sysroot, and `user://` or `scratch://` where its policy gives them.
 *
 * The file is read and written through a root node (atomic writes, no
 * `node:fs` in the app). Its content is never trusted: the runtime checks
 * each lock's shape at spawn (INVALID_ARGUMENT).
 */
import type { Host, Lock } from '@cathedral/runtime';
import { type DirNode, isCathedralError } from '@cathedral/sdk';
import { type RootContext, realmsFor } from './grants.js';
import type { PluginPolicy } from './policy.js';

export const LOCK_FILE = 'plugins.lock.json';

/** Plugin name → its lock, as read from the file (checked by the runtime at spawn). */
export type Locks = Readonly<Record<string, unknown>>;

export const recordLocks = async (
  host: Pick<Host, 'lock'>,
  context: RootContext,
  plugins: ReadonlyArray<{ readonly name: string; readonly policy: PluginPolicy }>,
): Promise<Record<string, Lock>> => {
  const locks: Record<string, Lock> = {};
  for (const { name, policy } of plugins) {
    const realms = realmsFor(context, name, policy);
    if (typeof realms === 'string') throw new Error(`cannot lock ${name}: ${realms}`);
    locks[name] = await host.lock(realms);
  }
  return locks;
};

export const writeLocks = async (dir: DirNode, locks: Readonly<Record<string, Lock>>): Promise<void> => {
  await dir.write(LOCK_FILE, `${JSON.stringify({ version: 1, plugins: locks }, null, 2)}\n`);
};

/** The locks of the file in `dir`, or undefined when there is none. */
export const readLocks = async (dir: DirNode): Promise<Locks | undefined> => {
  let text: string;
  try {
    text = await dir.readText(LOCK_FILE);
  } catch (error) {
    if (isCathedralError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  const plugins = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['plugins'] : undefined;
  if (typeof plugins !== 'object' || plugins === null || Array.isArray(plugins) || (parsed as Record<string, unknown>)['version'] !== 1) {
    throw new Error(`${LOCK_FILE} is not { "version": 1, "plugins": { ... } }: record it again with --record-lock`);
  }
  return harden({ ...(plugins as Record<string, unknown>) });
};

/**
 * What a plugin's policy turns into at spawn: its resolution table (roots)
 * and its caps (further globals), and what the host does at the plugin's
 * `checkpoint()`.
 *
 *   app://      readOnly(hostDir(<plugins>/<name>)), always
 *   system://   the shared sysroot, readOnly, always
 *   user://     revocable(readOnly(hostDir(userDir))), with `userData`;
 *               revoked at the first checkpoint
 *   scratch://  memory(), with `scratch` (writes need `fs.write`, bounded by
 *               the realm's `storageBytes`)
 *   net         host.net.forRealms([<the API server>]): made per realm at
 *               spawn, charged to its `netBytes` and `handles`, checked by
 *               its gate against its ceiling, revoked when it ends; and
 *   servers     the URLs of the host's servers, as plain data, with `net`
 *   clock, timers, random   timeCaps(policy.time, source): with `advanceMs`
 *               a deterministic clock the host advances by that much at the
 *               first checkpoint, else the host's real one; timers charge
 *               the realm's `handles`
 *
 * `realmsFor` makes the same table with fresh nodes, for recording a lock
 * (./locks.ts): what is locked is exactly what a spawn binds.
 */
import { join } from 'node:path';
import { hostDir, memory, readOnly, revocable } from '@cathedral/powerbox';
import type { Net } from '@cathedral/net';
import { type DirNode, isCathedralError } from '@cathedral/sdk';
import { deterministic, timeCaps } from '@cathedral/time';
import type { PluginPolicy } from './policy.js';
import type { Check, LogLine } from './results.js';
import type { HostServers } from './servers.js';

export interface GrantContext {
  readonly pluginsDir: string;
  /** What every plugin sees as `system://` (readOnly). */
  readonly system: DirNode;
  /** The host folder behind `user://`, for plugins whose policy has `userData`. */
  readonly userDir: string | undefined;
  readonly net: Net;
  readonly servers: HostServers;
}

/** What the roots of a spawn are made from. */
export type RootContext = Pick<GrantContext, 'pluginsDir' | 'system' | 'userDir'>;

export interface Grants {
  readonly realms: Readonly<Record<string, DirNode>>;
  readonly caps: Readonly<Record<string, unknown>>;
  /** What it holds beyond app:// and system://, for the limits line. */
  readonly held: readonly string[];
}

/** Where a deterministic plugin's clock starts: the same readings on every run. */
export const CLOCK_START = Date.UTC(2030, 0, 1);
const CLOCK_SEED = 1;

const missingUserDir = 'its policy gives it user://, but this host was given no userDir';

/** The resolution table a spawn binds for this policy, with `user` as given. */
const table = (context: RootContext, name: string, policy: PluginPolicy, user: DirNode | undefined): Record<string, DirNode> => {
  const realms: Record<string, DirNode> = { app: readOnly(hostDir(join(context.pluginsDir, name))), system: context.system };
  if (user !== undefined) realms['user'] = user;
  if (policy.scratch) realms['scratch'] = memory();
  return realms;
};

/** The table a spawn of this plugin binds, made afresh (for a lock); a string says why there is none. */
export const realmsFor = (context: RootContext, name: string, policy: PluginPolicy): Record<string, DirNode> | string => {
  if (!policy.userData) return table(context, name, policy, undefined);
  if (context.userDir === undefined) return missingUserDir;
  return table(context, name, policy, readOnly(hostDir(context.userDir)));
};

/**
 * The roots and caps of one spawn. `log` and `checks` receive what the host
 * does at the checkpoint. A string says why the plugin cannot be given what
 * its policy says.
 */
export const grantsFor = (context: GrantContext, name: string, policy: PluginPolicy, log: LogLine[], checks: Check[]): Grants | string => {
  const caps: Record<string, unknown> = {};
  const held: string[] = [];
  const atCheckpoint: Array<() => Promise<void>> = [];

  let user: DirNode | undefined;
  if (policy.userData) {
    if (context.userDir === undefined) return missingUserDir;
    const grant = revocable(readOnly(hostDir(context.userDir)));
    user = grant.node;
    held.push('user:// revocable');
    atCheckpoint.push(async () => {
      grant.revoke('the host took user:// back while the plugin ran');
      // The host's own read through the same grant must now fail: it does not take the plugin's word.
      const refused = await grant.node.list().then(() => 'nothing: the read succeeded', (error: unknown) => (isCathedralError(error) ? error.code : String(error)));
      log.push({ from: 'host', line: `revoked user:// at the plugin's checkpoint; the host's own read through it now fails: ${refused}` });
      checks.push({ check: 'user:// refuses every read once revoked', passed: refused === 'REVOKED' });
    });
  }
  if (policy.scratch) held.push('scratch:// memory');
  if (policy.net) {
    caps['net'] = context.net.forRealms([context.servers.api.peer]);
    caps['servers'] = harden({ api: context.servers.api.url, admin: context.servers.admin.url });
    held.push(`net → ${context.servers.api.peer}`);
  }
  if (policy.time.length > 0) {
    const grant = policy.time.join(', ');
    const advanceMs = policy.advanceMs;
    if (advanceMs === undefined) {
      Object.assign(caps, timeCaps(policy.time));
      held.push(`${grant} (real clock)`);
    } else {
      const source = deterministic({ seed: CLOCK_SEED, start: CLOCK_START });
      Object.assign(caps, timeCaps(policy.time, source));
      held.push(`${grant} (deterministic clock from ${new Date(CLOCK_START).toISOString()})`);
      atCheckpoint.push(async () => {
        const from = source.control.now();
        await source.control.advance(advanceMs);
        log.push({ from: 'host', line: `advanced the plugin's clock by ${advanceMs} ms at its checkpoint: ${new Date(from).toISOString()} → ${new Date(source.control.now()).toISOString()}` });
      });
    }
  }
  if (atCheckpoint.length > 0) {
    // Only the first checkpoint acts: a plugin cannot make the host revoke or advance twice.
    let reached = false;
    caps['checkpoint'] = async () => {
      if (reached) return;
      reached = true;
      for (const step of atCheckpoint) await step();
    };
  }
  return harden({ realms: table(context, name, policy, user), caps, held });
};

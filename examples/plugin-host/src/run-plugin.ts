/**
 * Running one plugin: spawn its realm at the `process` tier with what its
 * policy gives it, call it once, turn the answer into a result, end it.
 *
 * What bounds a plugin is the runtime, not this module: its budget
 * (`cpuMs`, `wallMs`, `heapMb`) is enforced by the host's supervisor, which
 * ends the realm with a reason (`realm.done`: `budget: cpu`…) and rejects
 * the pending call. This module waits for whichever comes first, the answer
 * or the end, so a runtime that ended a realm without rejecting its call
 * would still not stall the app; it has no timer of its own.
 *
 * Deliberately not done: retries, or a second call. A plugin gets one call.
 */
import { join } from 'node:path';
import { type Revocable, hostDir, readOnly, revocable } from '@cathedral/powerbox';
import type { Host, Realm } from '@cathedral/runtime';
import { type DirNode, isCathedralError } from '@cathedral/sdk';
import { classify } from './classify.js';
import { toData } from './guest-data.js';
import type { PluginPolicy } from './policy.js';
import type { Check, Limits, LogLine, PluginResult } from './results.js';

export interface RunContext {
  readonly host: Host;
  readonly pluginsDir: string;
  /** What every plugin sees as `system://` (readOnly). */
  readonly system: DirNode;
  /** The host folder behind `user://`, for plugins whose policy has `userData`. */
  readonly userDir: string | undefined;
  /** What `transform` plugins get. */
  readonly input: string;
  /** The lines printed under a realm, by realm name; the host's console route appends to them. */
  readonly logOf: (realm: string) => LogLine[];
}

type Entry = (...args: unknown[]) => Promise<unknown>;

type Answer = { readonly value: unknown } | { readonly error: unknown } | { readonly ended: string };

/** The reason a realm ended, if it has (a settled `done` wins the race: it is first in line). */
const endedReason = async (realm: Realm): Promise<string | undefined> =>
  (await Promise.race([realm.done, Promise.resolve(undefined)]))?.reason;

/**
 * A spawn refused because the realm ended while its main module loaded says
 * why only inside its message (`... the realm ended (budget: cpu)`): the
 * runtime gives no structured reason there, so this reads it from the text.
 */
const stopReasonOf = (error: unknown): string | undefined => {
  const problem = isCathedralError(error) ? error.problem : '';
  return /the realm ended \(((?:budget|crashed): [^)]+)\)/.exec(problem)?.[1];
};

const failure = (error: unknown) => ({
  code: isCathedralError(error) ? error.code : 'HOST',
  message: error instanceof Error ? error.message : String(error),
  problem: isCathedralError(error) ? error.problem : error instanceof Error ? error.message : String(error),
});

/** `user://` for a plugin, revoked by the host at the plugin's first checkpoint, and the host's check that it held. */
const userGrant = (userDir: string, log: LogLine[], checks: Check[]) => {
  const grant: Revocable<DirNode> = revocable(readOnly(hostDir(userDir)));
  const checkpoint = async () => {
    if (grant.revoked) return;
    grant.revoke('the host took user:// back while the plugin ran');
    // The host's own read through the same grant must now fail: it does not take the plugin's word.
    const refused = await grant.node.list().then(() => 'nothing: the read succeeded', (error: unknown) => (isCathedralError(error) ? error.code : String(error)));
    log.push({ from: 'host', line: `revoked user:// at the plugin's checkpoint; the host's own read through it now fails: ${refused}` });
    checks.push({ check: 'user:// refuses every read once revoked', passed: refused === 'REVOKED' });
  };
  return { grant, checkpoint };
};

export const runPlugin = async (context: RunContext, name: string, policy: PluginPolicy): Promise<PluginResult> => {
  const log = context.logOf(name);
  const checks: Check[] = [];
  // Copies: a realm's late console line must not find a hardened array.
  const common = (limits: Limits | undefined) => ({ name, realm: name, log: [...log], checks: [...checks], limits });
  const failed = (limits: Limits | undefined, f: { code: string; message: string; problem: string }): PluginResult =>
    harden({ ...common(limits), kind: 'failed', ...f });
  const stopped = (limits: Limits | undefined, call: string | undefined, reason: string): PluginResult =>
    harden({ ...common(limits), kind: 'stopped', call, reason, expected: reason === policy.expectStop });

  const realms: Record<string, DirNode> = { app: readOnly(hostDir(join(context.pluginsDir, name))), system: context.system };
  const caps: Record<string, unknown> = {};
  if (policy.userData) {
    if (context.userDir === undefined) {
      const problem = 'its policy gives it user://, but this host was given no userDir';
      return failed(undefined, { code: 'HOST', message: problem, problem });
    }
    const { grant, checkpoint } = userGrant(context.userDir, log, checks);
    realms['user'] = grant.node;
    caps['checkpoint'] = checkpoint;
  }

  let realm: Realm | undefined;
  let limits: Limits | undefined;
  try {
    realm = await context.host.spawn({
      tier: 'process',
      name,
      main: 'app://main.js',
      realms,
      caps,
      ceiling: policy.ceiling,
      budget: policy.budget,
      authority: policy.authority,
    });
    limits = harden({
      tier: realm.tier,
      budget: policy.budget,
      ceiling: [...policy.ceiling],
      extraRoots: Object.keys(realms).filter(key => key !== 'app' && key !== 'system'),
      authority: policy.authority,
      enforcement: { ...realm.enforcedBy },
    });
    const { transform, run } = realm.exports;
    let call: string;
    let invoke: () => Promise<unknown>;
    if (typeof transform === 'function') {
      call = `transform(${JSON.stringify(context.input)})`;
      invoke = () => (transform as Entry)(context.input);
    } else if (typeof run === 'function') {
      call = 'run()';
      invoke = () => (run as Entry)();
    } else {
      const problem = 'main.js exports neither transform(input) nor run()';
      return failed(limits, { code: 'NO_ENTRY', message: problem, problem });
    }
    const ended = realm.done.then(({ reason }): Answer => ({ ended: reason }));
    const answer = await Promise.race([invoke().then((value): Answer => ({ value }), (error: unknown): Answer => ({ error })), ended]);
    if ('ended' in answer) return stopped(limits, call, answer.ended);
    if ('error' in answer) {
      const reason = await endedReason(realm);
      return reason === undefined ? failed(limits, failure(answer.error)) : stopped(limits, call, reason);
    }
    if (policy.expectStop !== undefined) {
      const problem = `it answered, but this host expects it to be stopped (${policy.expectStop})`;
      return failed(limits, { code: 'NOT_STOPPED', message: problem, problem });
    }
    return classify(call, toData(answer.value), { realm: name, logOf: context.logOf }, 0, common(limits));
  } catch (error) {
    const reason = stopReasonOf(error);
    return reason === undefined ? failed(limits, failure(error)) : stopped(limits, undefined, reason);
  } finally {
    await realm?.terminate();
  }
};

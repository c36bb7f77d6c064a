/**
 * Running one plugin: spawn its realm at the `process` tier with what its
 * policy gives it (./grants.ts), call it once, turn the answer into a
 * result, end it.
 *
 * What bounds a plugin is the runtime, not this module: its budget
 * (`cpuMs`, `wallMs`, `heapMb`, and the metered `storageBytes`, `handles`,
 * `netBytes`, `children`) is enforced by the host's supervisor and the
 * capability wrappers; a realm stopped by one ends with a reason
 * (`realm.done`: `budget: cpu`…) and its pending call is rejected. This
 * module waits for whichever comes first, the answer or the end, so a
 * runtime that ended a realm without rejecting its call would still not
 * stall the app; it has no timer of its own. The spawn marks `required`
 * what the host needs held as asked (`kernel`), and passes the plugin's
 * lock, which the runtime verifies before any of its code runs.
 *
 * Deliberately not done: retries, or a second call. A plugin gets one call.
 */
import type { Host, Lock, Realm } from '@cathedral/runtime';
import { isCathedralError } from '@cathedral/sdk';
import { classify } from './classify.js';
import { type GrantContext, grantsFor } from './grants.js';
import { toData } from './guest-data.js';
import type { Locks } from './locks.js';
import type { PluginPolicy } from './policy.js';
import type { Check, Limits, LogLine, PluginResult } from './results.js';

export interface RunContext extends GrantContext {
  readonly host: Host<unknown>;
  /** What `transform` plugins get. */
  readonly input: string;
  /** The lines printed under a realm, by realm name; the host's console route appends to them. */
  readonly logOf: (realm: string) => LogLine[];
  /** What every spawn marks `required` (see ./kernel-wall.ts). */
  readonly required: readonly string[];
  /** The lock file's locks; undefined: plugins are spawned without locks. */
  readonly locks: Locks | undefined;
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

export const runPlugin = async (context: RunContext, name: string, policy: PluginPolicy): Promise<PluginResult> => {
  const log = context.logOf(name);
  const checks: Check[] = [];
  // Copies: a realm's late console line must not find a hardened array.
  const common = (limits: Limits | undefined) => ({ name, realm: name, log: [...log], checks: [...checks], limits });
  const failed = (limits: Limits | undefined, f: { code: string; message: string; problem: string }): PluginResult =>
    harden({ ...common(limits), kind: 'failed', ...f });
  const stopped = (limits: Limits | undefined, call: string | undefined, reason: string): PluginResult =>
    harden({ ...common(limits), kind: 'stopped', call, reason, expected: reason === policy.expectStop });

  const grants = grantsFor(context, name, policy, log, checks);
  if (typeof grants === 'string') return failed(undefined, { code: 'HOST', message: grants, problem: grants });
  const hasLock = context.locks !== undefined && Object.prototype.hasOwnProperty.call(context.locks, name);
  if (context.locks !== undefined && !hasLock) {
    const problem = 'the lock file has no lock for it: this host runs only locked plugins (record the lock again with --record-lock)';
    return failed(undefined, { code: 'UNLOCKED', message: problem, problem });
  }

  let realm: Realm | undefined;
  let limits: Limits | undefined;
  try {
    realm = await context.host.spawn({
      tier: 'process',
      name,
      main: 'app://main.js',
      realms: grants.realms,
      caps: grants.caps,
      ceiling: policy.ceiling,
      budget: policy.budget,
      authority: policy.authority,
      required: context.required,
      ...(hasLock ? { lock: context.locks?.[name] as Lock } : {}),
    });
    limits = harden({
      tier: realm.tier,
      budget: policy.budget,
      ceiling: [...policy.ceiling],
      held: [...grants.held],
      authority: policy.authority,
      required: [...context.required],
      locked: hasLock,
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

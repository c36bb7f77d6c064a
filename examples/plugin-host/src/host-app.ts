/**
 * The plugin host as a library: `runPluginHost({ pluginsDir, systemDir, log })`.
 *
 * Each folder of `pluginsDir` with a `main.js` is a plugin. Each runs in its
 * own realm, one after the other, with exactly two roots, both `readOnly`:
 *   app://     its own folder (its modules, its data), and
 *   system://  the shared `systemDir` (configuration under etc/, modules
 *              under lib/ that plugins import as `system://lib/x.js`),
 * and the effect ceiling `fs.read`: nothing a plugin holds can ever write,
 * whatever node reaches it later (two walls: the ceiling refuses first, in
 * the realm's gate; `readOnly` refuses in the node itself). The host calls the plugin's `transform(input)` if it exports
 * one, else its `run()`, prints one line per plugin, and returns the results
 * as data. A `run()` result of the form `{ attempts: [...] }` is an escape
 * report (see plugins/hostile) and is printed one attempt per line.
 *
 * The host trusts no plugin's answer about its own behaviour: it checks the
 * system root itself before and after (./snapshot.ts), copies results out of
 * guest objects (./guest-data.ts), and stops waiting for a plugin after
 * `timeoutMs`.
 *
 * Deliberately not done: the `process` tier (not available yet, so these
 * plugins run at the `compartment` tier: no preemption, no heap limit), and
 * per-plugin policy (every plugin gets the same two roots and ceiling).
 */
import { join } from 'node:path';
import { hostDir, readOnly } from '@cathedral/powerbox';
import { type Host, type Realm, createHost } from '@cathedral/runtime';
import { BudgetExceededError, type DirNode, type EffectKind, isCathedralError } from '@cathedral/sdk';
import { type Found, discoverPlugins } from './discover.js';
import { type Data, field, toData } from './guest-data.js';
import { headerLines, pluginLines, summaryLines } from './report.js';
import type { EscapeAttempt, PluginHostResult, PluginResult } from './results.js';
import { sameSnapshot, snapshot } from './snapshot.js';

export type * from './results.js';
export type { Data } from './guest-data.js';

export interface PluginHostOptions {
  /** A host directory whose sub-folders are plugins. */
  readonly pluginsDir: string;
  /** The host directory every plugin sees as `system://`. */
  readonly systemDir: string;
  /** Receives each line of output. */
  readonly log: (line: string) => void;
  /** The text given to plugins that export `transform` (default "hello, plugins"). */
  readonly input?: string;
  /** How long to wait for a plugin to load, and then to answer, in ms (default 5000). */
  readonly timeoutMs?: number;
}

/** What every plugin may ever do: read. Writes are refused whatever node a plugin holds. */
export const CEILING: readonly EffectKind[] = harden(['fs.read']);

type Entry = (...args: unknown[]) => Promise<unknown>;

/**
 * Waits at most `ms` for `promise`. This is the host giving up, not a limit
 * on the plugin: at the compartment tier a guest cannot be preempted, and
 * its pending work is only cut off from its roots when the realm ends.
 */
const within = async <T>(promise: Promise<T>, ms: number, realm: string, operation: string): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new BudgetExceededError({
        operation,
        realm,
        problem: `no answer within ${ms} ms`,
        rule: 'the plugin host waits a bounded time for each plugin',
        allow: 'raise timeoutMs',
      }));
    }, ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
};

const toAttempt = (entry: Data): EscapeAttempt => {
  const text = (key: string): string => {
    const value = field(entry, key);
    return typeof value === 'string' ? value : '';
  };
  // Anything but an explicit "refused" counts as an escape: fail closed.
  const outcome = text('outcome') === 'refused' ? 'refused' : 'succeeded';
  return harden({ attempt: text('attempt') || '(unnamed attempt)', outcome, code: text('code') || 'SUCCEEDED', detail: text('detail') });
};

interface Ran {
  readonly result: PluginResult;
  readonly notEnforced: readonly string[];
}

const runOne = async (host: Host, plugin: Found, roots: { pluginsDir: string; system: DirNode }, input: string, timeoutMs: number): Promise<Ran> => {
  const { name } = plugin;
  const lines: string[] = [];
  let realm: Realm | undefined;
  let spawning: Promise<Realm> | undefined;
  try {
    spawning = host.spawn({
      tier: 'compartment',
      name,
      main: 'app://main.js',
      realms: { app: readOnly(hostDir(join(roots.pluginsDir, name))), system: roots.system },
      ceiling: CEILING,
      console: (_realm, level, line) => {
        lines.push(level === 'log' || level === 'info' ? line : `${level}: ${line}`);
      },
    });
    realm = await within(spawning, timeoutMs, name, 'spawn');
    const notEnforced = Object.entries(realm.enforcement)
      .filter(([, how]) => how.startsWith('not enforceable'))
      .map(([limit]) => limit);
    const { transform, run } = realm.exports;
    let result: PluginResult;
    if (typeof transform === 'function') {
      const value = toData(await within((transform as Entry)(input), timeoutMs, name, 'call "transform"'));
      result = { kind: 'value', name, console: lines, call: `transform(${JSON.stringify(input)})`, value };
    } else if (typeof run === 'function') {
      const value = toData(await within((run as Entry)(), timeoutMs, name, 'call "run"'));
      const attempts = field(value, 'attempts');
      result = Array.isArray(attempts)
        ? { kind: 'escapes', name, console: lines, call: 'run()', attempts: (attempts as readonly Data[]).map(toAttempt) }
        : { kind: 'value', name, console: lines, call: 'run()', value };
    } else {
      result = {
        kind: 'failed',
        name,
        console: lines,
        code: 'NO_ENTRY',
        message: 'main.js exports neither transform(input) nor run()',
        problem: 'main.js exports neither transform(input) nor run()',
      };
    }
    return { result: harden({ ...result, console: [...lines] }), notEnforced };
  } catch (error) {
    const code = isCathedralError(error) ? error.code : 'HOST';
    const message = error instanceof Error ? error.message : String(error);
    const problem = isCathedralError(error) ? error.problem : message;
    return { result: harden({ kind: 'failed', name, console: [...lines], code, message, problem }), notEnforced: [] };
  } finally {
    if (realm !== undefined) await realm.terminate();
    // A spawn the host stopped waiting for is ended whenever it completes.
    else void spawning?.then(late => late.terminate(), () => undefined);
  }
};

/** Runs every plugin of `pluginsDir` in its own realm; prints as it goes, returns the results. */
export const runPluginHost = async (options: PluginHostOptions): Promise<PluginHostResult> => {
  const { pluginsDir, systemDir, log, input = 'hello, plugins', timeoutMs = 5_000 } = options;
  const host = await createHost({ report: message => log(`cathedral: ${message}`) });
  // The host keeps the full-authority root to check it; plugins get a readOnly view.
  const systemRoot = hostDir(systemDir);
  const system = readOnly(systemRoot);
  const { found, skipped } = await discoverPlugins(hostDir(pluginsDir));
  const before = await snapshot(systemRoot);

  for (const line of headerLines(found.length, CEILING)) log(line);
  const width = Math.max(0, ...found.map(p => p.name.length));
  const plugins: PluginResult[] = [];
  const notEnforced = new Set<string>();
  for (const plugin of found) {
    const { result, notEnforced: limits } = await runOne(host, plugin, { pluginsDir, system }, input, timeoutMs);
    for (const limit of limits) notEnforced.add(limit);
    plugins.push(result);
    for (const line of pluginLines(result, width)) log(line);
  }

  const systemUnchanged = sameSnapshot(before, await snapshot(systemRoot));
  const attempts = plugins.flatMap(p => (p.kind === 'escapes' ? p.attempts : []));
  const succeeded = attempts.filter(a => a.outcome === 'succeeded').length;
  const failed = plugins.filter(p => p.kind === 'failed').length;
  const result: PluginHostResult = harden({
    plugins,
    skipped,
    attempts: attempts.length,
    refused: attempts.length - succeeded,
    succeeded,
    failed,
    systemUnchanged,
    notEnforced: [...notEnforced],
    ok: succeeded === 0 && failed === 0 && systemUnchanged,
  });
  for (const line of summaryLines(result)) log(line);
  return result;
};

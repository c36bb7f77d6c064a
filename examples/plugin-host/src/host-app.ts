/**
 * The plugin host as a library: `runPluginHost({ pluginsDir, systemDir, userDir, log })`.
 *
 * Each folder of `pluginsDir` with a `main.js` is a plugin. Each runs in its
 * own realm at the `process` tier, in a child process of its own, all of
 * them at the same time, with what its policy (./policy.ts) gives it; by
 * default exactly two roots, both `readOnly`:
 *   app://     its own folder (its modules, its data), and
 *   system://  the shared `systemDir` (configuration under etc/, modules
 *              under lib/ that plugins import as `system://lib/x.js`),
 * the effect ceiling `fs.read` (nothing it holds can ever write, whatever
 * node reaches it later), and a CPU, wall and heap budget that the
 * runtime's supervisor enforces. The host calls the plugin's
 * `transform(input)` if it exports one, else its `run()` (./run-plugin.ts),
 * and prints one block per plugin in folder order, whatever order they
 * finish in.
 *
 * The host trusts no plugin's answer about its own behaviour: it checks the
 * system root itself before and after (./snapshot.ts), checks a revoked
 * grant itself, checks a nested host's report against the runtime's ledger,
 * and copies results out of guest objects (./guest-data.ts).
 *
 * Deliberately not done: choosing the tier per plugin (every plugin is
 * untrusted here), or a concurrency limit (a handful of plugins).
 */
import { hostDir, readOnly } from '@cathedral/powerbox';
import { type Host, createHost } from '@cathedral/runtime';
import { flatten } from './classify.js';
import { discoverPlugins } from './discover.js';
import { printable } from './guest-data.js';
import { DEFAULT_POLICY, type PluginPolicy, type PolicyTable, SHOWCASE_POLICIES, policyFor } from './policy.js';
import { headerLines, makeLegend, pluginLines, summaryLines } from './report.js';
import type { Check, LogLine, PluginHostResult, PluginResult } from './results.js';
import { runPlugin } from './run-plugin.js';
import { sameSnapshot, snapshot } from './snapshot.js';

export type * from './results.js';
export type { Data } from './guest-data.js';
export { DEFAULT_POLICY, SHOWCASE_POLICIES, type PluginBudget, type PluginPolicy, type PolicyTable } from './policy.js';

export interface PluginHostOptions {
  /** A host directory whose sub-folders are plugins. */
  readonly pluginsDir: string;
  /** The host directory every plugin sees as `system://`. */
  readonly systemDir: string;
  /** The host directory behind `user://`, for plugins whose policy has `userData`. */
  readonly userDir?: string;
  /** Receives each line of output. */
  readonly log: (line: string) => void;
  /** The text given to plugins that export `transform` (default "hello, plugins"). */
  readonly input?: string;
  /** Per-plugin policy, by folder name (default: SHOWCASE_POLICIES). */
  readonly policies?: PolicyTable;
  /** What a plugin the table does not name gets (default: DEFAULT_POLICY). */
  readonly defaultPolicy?: PluginPolicy;
}

/** Console lines kept per realm; a plugin that prints more is cut short, not the host's memory. */
const MAX_LINES = 50;

const makeLogs = () => {
  const logs = new Map<string, LogLine[]>();
  const logOf = (realm: string): LogLine[] => {
    let lines = logs.get(realm);
    if (lines === undefined) logs.set(realm, (lines = []));
    return lines;
  };
  const append = (realm: string, line: LogLine) => {
    const lines = logOf(realm);
    if (lines.length < MAX_LINES) lines.push(line);
    else if (lines.length === MAX_LINES) lines.push({ from: 'host', line: `further console lines dropped (more than ${MAX_LINES})` });
  };
  return { logOf, append };
};

/**
 * The host's check of a nested host's report: every plugin it says it
 * hosted appears in the runtime's ledger as spawned by it, at the process
 * tier. The report is the plugin's word; the ledger is the runtime's.
 */
const ledgerCheck = (host: Host, result: PluginResult): PluginResult => {
  if (result.kind !== 'hosted') return result;
  const spawns = host.ledger.query({ action: 'spawn', by: result.realm });
  const tierOf = new Map(spawns.map(entry => [entry.for ?? '', /tier (\w+)/.exec(entry.detail ?? '')?.[1]]));
  const names = result.children.map(child => child.realm);
  const check: Check = {
    check: `the ledger shows ${result.realm} spawned ${names.join(', ')}, each at the process tier`,
    passed: names.every(name => tierOf.get(name) === 'process'),
  };
  return harden({ ...result, checks: [...result.checks, check] });
};

/** Runs every plugin of `pluginsDir` in its own process-tier realm; prints in folder order, returns the results. */
export const runPluginHost = async (options: PluginHostOptions): Promise<PluginHostResult> => {
  const { pluginsDir, systemDir, userDir, log, input = 'hello, plugins', policies = SHOWCASE_POLICIES, defaultPolicy = DEFAULT_POLICY } = options;
  const logs = makeLogs();
  const reports: string[] = [];
  const host = await createHost({
    console: (realm, level, line) => logs.append(realm, { from: 'plugin', line: level === 'log' || level === 'info' ? line : `${level}: ${line}` }),
    report: message => reports.push(printable(message, 400)),
  });
  // The host keeps the full-authority root to check it; plugins get a readOnly view.
  const systemRoot = hostDir(systemDir);
  const { found, skipped } = await discoverPlugins(hostDir(pluginsDir));
  const before = await snapshot(systemRoot);

  const chosen = found.map(({ name }) => ({ name, policy: policyFor(name, policies, defaultPolicy) }));
  const legend = makeLegend();
  for (const line of headerLines(chosen)) log(line);
  const width = Math.max(0, ...found.map(p => p.name.length));
  const context = { host, pluginsDir, system: readOnly(systemRoot), userDir, input, logOf: logs.logOf };
  // Each plugin is a process of its own: start them all, print them in order.
  const running = chosen.map(({ name, policy }) => runPlugin(context, name, policy));
  const plugins: PluginResult[] = [];
  for (const pending of running) {
    const result = ledgerCheck(host, await pending);
    plugins.push(result);
    for (const line of pluginLines(result, width, legend)) log(line);
  }

  const systemUnchanged = sameSnapshot(before, await snapshot(systemRoot));
  const all = flatten(plugins);
  const attempts = all.flatMap(p => (p.kind === 'escapes' ? p.attempts : []));
  const succeeded = attempts.filter(a => a.outcome === 'succeeded').length;
  const stoppedAsExpected = all.filter(p => p.kind === 'stopped' && p.expected).length;
  const failed = all.filter(p => p.kind === 'failed' || (p.kind === 'stopped' && !p.expected)).length;
  const checks = all.flatMap(p => p.checks);
  const checksFailed = checks.filter(c => !c.passed).length;
  const result: PluginHostResult = harden({
    plugins,
    skipped,
    hosted: all.length - plugins.length,
    attempts: attempts.length,
    refused: attempts.length - succeeded,
    succeeded,
    stoppedAsExpected,
    failed,
    checks: checks.length,
    checksFailed,
    systemUnchanged,
    reports: [...reports],
    ok: succeeded === 0 && failed === 0 && checksFailed === 0 && systemUnchanged,
  });
  for (const line of summaryLines(result, legend)) log(line);
  return result;
};

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
 * runtime's supervisor enforces. Where this machine has the kernel wall,
 * every spawn requires it (./kernel-wall.ts); with a lock file, every
 * spawn is verified against it (./locks.ts). The host runs two small HTTP
 * servers on 127.0.0.1 (./servers.ts) for plugins granted `net`, and its
 * network is `makeNet()` of @cathedral/net. The host calls the plugin's
 * `transform(input)` if it exports one, else its `run()` (./run-plugin.ts),
 * and prints one block per plugin in folder order, whatever order they
 * finish in.
 *
 * The host trusts no plugin's answer about its own behaviour: it checks the
 * system root itself before and after (./snapshot.ts), checks a revoked
 * grant itself, checks a nested host's report against the runtime's ledger
 * and a poller's report against what its servers received, and copies
 * results out of guest objects (./guest-data.ts).
 *
 * Deliberately not done: choosing the tier per plugin (every plugin is
 * untrusted here), or a concurrency limit (a handful of plugins).
 */
import { hostDir, readOnly } from '@cathedral/powerbox';
import { makeNet } from '@cathedral/net';
import { type Host, createHost } from '@cathedral/runtime';
import { flatten } from './classify.js';
import { discoverPlugins } from './discover.js';
import { type GrantContext } from './grants.js';
import { printable } from './guest-data.js';
import { type KernelChoice, kernelWall } from './kernel-wall.js';
import { type Locks, recordLocks } from './locks.js';
import { DEFAULT_POLICY, type PluginPolicy, type PolicyTable, SHOWCASE_POLICIES, policyFor } from './policy.js';
import { headerLines, makeLegend, pluginLines, summaryLines } from './report.js';
import type { Check, LogLine, PluginHostResult, PluginResult } from './results.js';
import { runPlugin } from './run-plugin.js';
import { type HostServers, startServers } from './servers.js';
import { sameSnapshot, snapshot } from './snapshot.js';

export type * from './results.js';
export type { Data } from './guest-data.js';
export { DEFAULT_POLICY, SHOWCASE_POLICIES, type PluginBudget, type PluginPolicy, type PolicyTable } from './policy.js';
export { LOCK_FILE, readLocks, writeLocks, type Locks } from './locks.js';
export type { KernelChoice } from './kernel-wall.js';

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
  /** 'auto' (default): the kernel wall where this machine has it, and required there; 'off': never. */
  readonly kernel?: KernelChoice;
  /** Plugin name → lock (the lock file's): each spawn is verified against it, and a plugin without one is not run. Default: no locks. */
  readonly locks?: Locks;
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
const ledgerCheck = (host: Host<unknown>, result: PluginResult): PluginResult => {
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

/**
 * The host's check of a poller's report: its servers received exactly the
 * fetches it reports that were answered, and the admin server, in no
 * plugin's allowlist, nothing. It counts every request so far, whoever
 * made it: a plugin that reached the API without reporting it (the hostile
 * one, whose net capability its ceiling refuses, ends before the poller's
 * block is printed) fails the check too. Fails closed: a second plugin
 * granted `net.connect` would need its own count.
 */
const serverCheck = (servers: HostServers, result: PluginResult): PluginResult => {
  if (result.kind !== 'polls') return result;
  const answered = result.polls.filter(p => p.status !== undefined).length;
  const api = servers.api.requests();
  const admin = servers.admin.requests();
  const check: Check = {
    check: `the host's servers saw what ${result.realm} reports: the API server ${api} requests (${answered} reported), the admin server ${admin}`,
    passed: api === answered && admin === 0,
  };
  return harden({ ...result, checks: [...result.checks, check] });
};

const grantContext = (options: PluginHostOptions, net: GrantContext['net'], servers: HostServers): GrantContext => ({
  pluginsDir: options.pluginsDir,
  system: readOnly(hostDir(options.systemDir)),
  userDir: options.userDir,
  net,
  servers,
});

/**
 * The lock of every plugin of `pluginsDir`, as its spawn would bind it (for
 * the lock file: `main.js --record-lock`).
 */
export const recordPluginLocks = async (options: Pick<PluginHostOptions, 'pluginsDir' | 'systemDir' | 'userDir' | 'policies' | 'defaultPolicy'>) => {
  const { policies = SHOWCASE_POLICIES, defaultPolicy = DEFAULT_POLICY } = options;
  const host = await createHost({ console: () => {}, report: () => {} });
  const { found } = await discoverPlugins(hostDir(options.pluginsDir));
  const context = { pluginsDir: options.pluginsDir, system: readOnly(hostDir(options.systemDir)), userDir: options.userDir };
  return recordLocks(host, context, found.map(({ name }) => ({ name, policy: policyFor(name, policies, defaultPolicy) })));
};

/** Runs every plugin of `pluginsDir` in its own process-tier realm; prints in folder order, returns the results. */
export const runPluginHost = async (options: PluginHostOptions): Promise<PluginHostResult> => {
  const { pluginsDir, systemDir, log, input = 'hello, plugins', policies = SHOWCASE_POLICIES, defaultPolicy = DEFAULT_POLICY, kernel = 'auto', locks } = options;
  const logs = makeLogs();
  const reports: string[] = [];
  const wall = kernelWall(kernel);
  const net = makeNet();
  const host = await createHost({
    net,
    kernel,
    console: (realm, level, line) => logs.append(realm, { from: 'plugin', line: level === 'log' || level === 'info' ? line : `${level}: ${line}` }),
    report: message => reports.push(printable(message, 400)),
  });
  // The host keeps the full-authority root to check it; plugins get a readOnly view.
  const systemRoot = hostDir(systemDir);
  const { found, skipped } = await discoverPlugins(hostDir(pluginsDir));
  const before = await snapshot(systemRoot);
  const servers = await startServers();

  const plugins: PluginResult[] = [];
  const legend = makeLegend();
  try {
    const chosen = found.map(({ name }) => ({ name, policy: policyFor(name, policies, defaultPolicy) }));
    for (const line of headerLines(chosen, wall.line, locks !== undefined, servers)) log(line);
    const width = Math.max(0, ...found.map(p => p.name.length));
    const context = { ...grantContext(options, host.net, servers), host, input, logOf: logs.logOf, required: wall.required, locks };
    // Each plugin is a process of its own: start them all, print them in order.
    const running = chosen.map(({ name, policy }) => runPlugin(context, name, policy));
    for (const pending of running) {
      const result = serverCheck(servers, ledgerCheck(host, await pending));
      plugins.push(result);
      for (const line of pluginLines(result, width, legend)) log(line);
    }
  } finally {
    net.end('the plugin host is done');
    await servers.close();
  }

  const systemUnchanged = sameSnapshot(before, await snapshot(systemRoot));
  const all = flatten(plugins);
  const attempts = all.flatMap(p => (p.kind === 'escapes' || p.kind === 'polls' ? p.attempts : []));
  const succeeded = attempts.filter(a => a.outcome === 'succeeded').length;
  const stoppedAsExpected = all.filter(p => p.kind === 'stopped' && p.expected).length;
  const failed = all.filter(p => p.kind === 'failed' || (p.kind === 'stopped' && !p.expected)).length;
  const checks = all.flatMap(p => p.checks);
  const checksFailed = checks.filter(c => !c.passed).length;
  const result: PluginHostResult = harden({
    plugins,
    skipped,
    kernelWall: wall.present,
    locked: locks !== undefined,
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

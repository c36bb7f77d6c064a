/**
 * The lines the plugin host prints: a header, a block per plugin (its
 * outcome, its limits, what it and the host logged, its escape attempts or
 * reads, the host's checks, and the plugins it hosted, indented), and a
 * summary with what enforces the limits. Pure functions from results to
 * text; printing is the caller's `log`.
 *
 * Everything that came from a guest goes through `printable`, so a plugin
 * cannot move the cursor or forge other lines of this output. What enforces
 * each limit is printed as the runtime reported it (`realm.enforcedBy`),
 * never reworded: the output must not claim more than the runtime does.
 */
import { type Data, printable } from './guest-data.js';
import type { PluginPolicy } from './policy.js';
import { type Limits, type PluginHostResult, type PluginResult, type Poll, assertNever } from './results.js';
import type { HostServers } from './servers.js';

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

const show = (value: Data): string => printable(JSON.stringify(value));

const METERED = ['storageBytes', 'handles', 'netBytes', 'children'] as const;

const budgetText = (budget: PluginPolicy['budget']) =>
  [`cpuMs ${budget.cpuMs}, wallMs ${budget.wallMs}, heapMb ${budget.heapMb}`, ...METERED.flatMap(key => (budget[key] === undefined ? [] : [`${key} ${budget[key]}`]))].join(', ');

const givesMore = (policy: PluginPolicy): boolean =>
  policy.authority || policy.userData || policy.scratch || policy.net || policy.time.length > 0 || policy.ceiling.length > 1;

export const headerLines = (
  plugins: ReadonlyArray<{ readonly name: string; readonly policy: PluginPolicy }>,
  kernelLine: string,
  locked: boolean,
  servers: Pick<HostServers, 'api' | 'admin'>,
): string[] => {
  const more = plugins.filter(p => givesMore(p.policy)).map(p => p.name);
  return [
    'Cathedral plugin host',
    kernelLine,
    `  ${plural(plugins.length, 'plugin')}, ${plugins.length === 1 ? 'in a child process' : 'each in a child process of its own'} (tier: process)${plugins.length > 1 ? ', run side by side' : ''}${locked ? ', each verified against its lock at spawn' : ', not locked'}`,
    "  each gets app:// (its own folder) and system:// (the shared sysroot), both readOnly, the ceiling fs.read",
    `  and a budget the runtime enforces${more.length > 0 ? `; more only where the host's policy says so (${more.join(', ')})` : ''}`,
    `  the host serves an API on ${servers.api.peer} and an admin server on ${servers.admin.peer}; no plugin reaches the admin server`,
    '',
  ];
};

/** Numbers each distinct `realm.enforcedBy` record, for the lines of the summary. */
export const makeLegend = () => {
  const records: Array<Readonly<Record<string, string>>> = [];
  const keys: string[] = [];
  return {
    mark: (enforcement: Readonly<Record<string, string>>): number => {
      const key = JSON.stringify(Object.entries(enforcement));
      let index = keys.indexOf(key);
      if (index === -1) {
        index = keys.push(key) - 1;
        records.push(enforcement);
      }
      return index + 1;
    },
    lines: (): string[] =>
      records.flatMap((record, i) =>
        Object.entries(record).map(([limit, how], j) => `  ${j === 0 ? `[${i + 1}]` : '   '} ${limit}: ${printable(how)}`),
      ),
  };
};

export type Legend = ReturnType<typeof makeLegend>;

const limitsLine = (limits: Limits, legend: Legend): string => {
  const how = [`${limits.tier} tier`, ...(limits.required.length > 0 ? [`required: ${limits.required.join(', ')}`] : []), ...(limits.locked ? ['lock verified'] : [])];
  const parts = [`${how.join(', ')}, enforced as in [${legend.mark(limits.enforcement)}]`, budgetText(limits.budget), `ceiling ${limits.ceiling.join(', ')}`];
  if (limits.authority) parts.push('authority over its own realm');
  parts.push(...limits.held);
  return `limits  ${parts.join('; ')}`;
};

const CODE_WIDTH = 17;

/** A Cathedral message without its "Rule: … To allow it: …" tail, for one line. */
const beforeRule = (message: string): string => message.split(/\. Rule: /)[0] ?? message;

const row = (label: string, code: string, text: string) => `${label.padEnd(10)} ${printable(code, CODE_WIDTH).padEnd(CODE_WIDTH)} ${text}`;

const statusOf = (result: PluginResult): string => {
  if (result.checks.some(c => !c.passed)) return 'FAILED ';
  switch (result.kind) {
    case 'value':
    case 'reads':
      return 'ok     ';
    case 'escapes':
    case 'polls':
      return result.attempts.every(a => a.outcome === 'refused') ? 'ok     ' : 'ESCAPED';
    case 'hosted':
      return 'ok     ';
    case 'stopped':
      return result.expected ? 'stopped' : 'STOPPED';
    case 'failed':
      return 'FAILED ';
    default:
      return assertNever(result);
  }
};

const outcomeOf = (result: PluginResult): string => {
  switch (result.kind) {
    case 'value':
      return `${printable(result.call)} → ${show(result.value)}`;
    case 'escapes': {
      const refused = result.attempts.filter(a => a.outcome === 'refused').length;
      return `${printable(result.call)} → ${plural(result.attempts.length, 'escape attempt')}, ${refused} refused`;
    }
    case 'polls': {
      const refused = result.attempts.filter(a => a.outcome === 'refused').length;
      return `${printable(result.call)} → ${plural(result.polls.length, 'fetch', 'fetches')}, ${plural(result.attempts.length, 'escape attempt')}, ${refused} refused`;
    }
    case 'reads':
      return `${printable(result.call)} → ${plural(result.reads.length, 'read')}: ${result.reads.map(r => printable(r.code, CODE_WIDTH)).join(', then ')}`;
    case 'hosted':
      return `${printable(result.call)} → hosted ${plural(result.children.length, 'plugin')}`;
    case 'stopped':
      return `${result.call === undefined ? 'while loading' : printable(result.call)} → ${printable(result.reason)}${result.expected ? ', as this host expects' : ''}`;
    case 'failed':
      return `${result.code}: ${printable(result.problem, 400)}`;
    default:
      return assertNever(result);
  }
};

/** A guest's clock reading as a date, when it is one. */
const when = (at: number | undefined): string => {
  if (at === undefined) return 'at ?';
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? `at ${at}` : date.toISOString();
};

const pollLine = (poll: Poll, i: number): string =>
  row(`fetch ${i + 1}`, poll.status === undefined ? '?' : String(poll.status), `${when(poll.at)} ${printable(poll.url, 80)} → ${show(poll.body)}`);

/** What the result carries beyond its outcome line: attempts, reads, fetches, hosted plugins. */
const detailLines = (result: PluginResult, indent: string, legend: Legend): string[] => {
  const attemptLines = (attempts: PluginResult & { kind: 'escapes' | 'polls' }) =>
    attempts.attempts.map(a =>
      a.outcome === 'refused'
        ? `${indent}    ${row('refused', a.code, printable(a.attempt))}`
        : `${indent}    ${row('SUCCEEDED', '', `${printable(a.attempt)} (${printable(a.detail)})`)}`,
    );
  switch (result.kind) {
    case 'escapes':
      return attemptLines(result);
    case 'polls':
      return [...result.polls.map((poll, i) => `${indent}    ${pollLine(poll, i)}`), ...attemptLines(result)];
    case 'reads':
      return result.reads.map((r, i) => `${indent}    ${row(`read ${i + 1}`, r.code, r.outcome === 'ok' ? show(r.text) : printable(beforeRule(r.text), 300))}`);
    case 'hosted': {
      const inner = Math.max(0, ...result.children.map(c => printable(c.name, 64).length));
      return result.children.flatMap(child => pluginLines(child, inner, legend, `${indent}    `));
    }
    case 'value':
    case 'stopped':
    case 'failed':
      return [];
    default:
      return assertNever(result);
  }
};

export const pluginLines = (result: PluginResult, width: number, legend: Legend, indent = '  '): string[] => {
  const name = printable(result.name, 64).padEnd(width);
  const lines = [`${indent}${statusOf(result)} ${name}  ${outcomeOf(result)}`];
  if (result.limits !== undefined) lines.push(`${indent}        ${limitsLine(result.limits, legend)}`);
  for (const entry of result.log) {
    lines.push(`${indent}    ${entry.from === 'host' ? '(host)' : `[${printable(result.realm, 80)}]`} ${printable(entry.line)}`);
  }
  for (const c of result.checks) lines.push(`${indent}    ${row('check', c.passed ? 'passed' : 'FAILED', c.check)}`);
  lines.push(...detailLines(result, indent, legend));
  return lines;
};

export const summaryLines = (result: PluginHostResult, legend: Legend): string[] => {
  const top = result.plugins.length;
  const parts = [
    `${plural(top, 'plugin')} ran${result.hosted > 0 ? `, and ${result.hosted} hosted by them` : ''}${result.failed > 0 ? `; ${result.failed} FAILED` : ''}`,
  ];
  if (result.stoppedAsExpected > 0) parts.push(`${result.stoppedAsExpected} stopped by the runtime, as expected`);
  parts.push(`${plural(result.attempts, 'escape attempt')}, ${result.refused} refused${result.succeeded > 0 ? `, ${result.succeeded} SUCCEEDED` : ''}`);
  if (result.checks > 0) parts.push(`${plural(result.checks, 'host check')}, ${result.checksFailed === 0 ? 'all passed' : `${result.checksFailed} FAILED`}`);
  parts.push(result.systemUnchanged ? 'the system root is unchanged' : 'the system root was CHANGED');
  const lines = ['', parts.join('; ')];
  for (const skipped of result.skipped) lines.push(`skipped ${printable(skipped.name)}: ${skipped.reason}`);
  for (const report of result.reports) lines.push(`cathedral: ${report}`);
  const legendLines = legend.lines();
  if (legendLines.length > 0) lines.push('What enforces the limits, as each realm reported it (realm.enforcedBy):', ...legendLines);
  lines.push(result.ok ? 'Every plugin behaved as expected.' : 'Something did not behave as expected (exit code 1).');
  return lines;
};

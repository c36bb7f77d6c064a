/**
 * The lines the plugin host prints: a header, one line per plugin (and one
 * per escape attempt), and a summary. Pure functions from results to text;
 * printing is the caller's `log`.
 *
 * Everything that came from a guest goes through `printable`, so a plugin
 * cannot move the cursor or forge other lines of this output.
 */
import { type Data, printable } from './guest-data.js';
import { type PluginHostResult, type PluginResult, assertNever } from './results.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const show = (value: Data): string => printable(JSON.stringify(value));

export const headerLines = (count: number, ceiling: readonly string[]): string[] => [
  'Cathedral plugin host',
  `  ${plural(count, 'plugin')}, each in its own realm (tier: compartment, ceiling: ${ceiling.join(', ')})`,
  "  app:// is the plugin's own folder, system:// the shared sysroot, both readOnly",
  '',
];

const CODE_WIDTH = 17;

export const pluginLines = (result: PluginResult, width: number): string[] => {
  const name = result.name.padEnd(width);
  const console = result.console.map(line => `      [${result.name}] ${printable(line)}`);
  switch (result.kind) {
    case 'value':
      return [`  ok      ${name}  ${printable(result.call)} → ${show(result.value)}`, ...console];
    case 'escapes': {
      const refused = result.attempts.filter(a => a.outcome === 'refused').length;
      const status = refused === result.attempts.length ? 'ok     ' : 'ESCAPED';
      return [
        `  ${status} ${name}  ${printable(result.call)} → ${plural(result.attempts.length, 'escape attempt')}, ${refused} refused`,
        ...console,
        ...result.attempts.map(a =>
          a.outcome === 'refused'
            ? `      refused    ${printable(a.code, CODE_WIDTH).padEnd(CODE_WIDTH)} ${printable(a.attempt)}`
            : `      SUCCEEDED  ${''.padEnd(CODE_WIDTH)} ${printable(a.attempt)} (${printable(a.detail)})`,
        ),
      ];
    }
    case 'failed':
      return [`  FAILED  ${name}  ${result.code}: ${printable(result.problem, 400)}`, ...console];
    default:
      return assertNever(result);
  }
};

export const summaryLines = (result: PluginHostResult): string[] => {
  const ran = result.plugins.length - result.failed;
  const parts = [
    `${plural(ran, 'plugin')} ran${result.failed > 0 ? `, ${result.failed} failed` : ''}`,
    `${plural(result.attempts, 'escape attempt')}, ${result.refused} refused${result.succeeded > 0 ? `, ${result.succeeded} SUCCEEDED` : ''}`,
    result.systemUnchanged ? 'the system root is unchanged' : 'the system root was CHANGED',
  ];
  const lines = ['', parts.join('; ')];
  for (const skipped of result.skipped) lines.push(`skipped ${printable(skipped.name)}: ${skipped.reason}`);
  if (result.notEnforced.length > 0) {
    lines.push(`note: not enforced at the compartment tier: ${result.notEnforced.join(', ')} (a plugin that loops forever would stall this app)`);
  }
  lines.push(result.ok ? 'Every plugin behaved as expected.' : 'Something did not behave as expected (exit code 1).');
  return lines;
};

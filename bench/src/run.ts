/**
 * `npm run bench`: locks down, runs every benchmark, prints one table.
 *
 *   node bench/dist/src/run.js [--quick] [--json <file>] [--only <row-prefix>]... [--list]
 *
 * --quick              a smoke pass: few rounds, seconds; figures are rough.
 * --json <file>        also writes the machine, date and every row as JSON.
 * --only <row-prefix>  runs only the benchmarks with a row whose id starts with
 *                      the prefix, and prints only those rows (repeatable).
 * --list               prints every row id and exits.
 *
 * The lockdown comes first: the shims and the lockdown are the only static
 * imports, and the benchmarks are imported after `ensureLockdown()`.
 */
import '@cathedral/sdk/shims';
import { ensureLockdown, stackOf } from '@cathedral/sdk/lockdown';

ensureLockdown();

const usage = 'usage: node bench/dist/src/run.js [--quick] [--json <file>] [--only <row-prefix>]... [--list]';

interface Args {
  readonly quick: boolean;
  readonly json: string | undefined;
  readonly help: boolean;
  readonly list: boolean;
  readonly only: readonly string[];
}

const parseArgs = (argv: readonly string[]): Args => {
  let quick = false;
  let help = false;
  let list = false;
  let json: string | undefined;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--list') list = true;
    else if (arg === '--only') {
      const prefix = argv[i + 1];
      i += 1;
      if (prefix === undefined || prefix === '' || prefix.startsWith('--')) throw new Error(`--only needs a row id prefix; ${usage}`);
      only.push(prefix);
    }
    else if (arg === '--json') {
      json = argv[i + 1];
      i += 1;
      if (json === undefined || json.startsWith('--')) throw new Error(`--json needs a file name; ${usage}`);
    } else throw new Error(`unknown argument ${JSON.stringify(arg)}; ${usage}`);
  }
  return { quick, json, help, list, only };
};

const main = async (): Promise<void> => {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const { writeFileSync } = await import('node:fs');
  const { rowIds, runBench } = await import('./harness.js');
  const { renderMissing, renderTable } = await import('./table.js');
  if (args.list) {
    process.stdout.write(`${rowIds(args.quick).join('\n')}\n`);
    return;
  }
  const result = await runBench({ quick: args.quick, only: args.only, log: line => process.stderr.write(`bench: ${line}\n`) });
  const { machine } = result;
  process.stdout.write(
    `Cathedral bench (${result.profile}) ${result.date}\n` +
      `${machine.cpus} CPUs, ${machine.cpuModel}, node ${machine.node}, ${machine.platform}\n\n` +
      `${renderTable(result.rows)}\n\n` +
      'ratio = ours / baseline (medians of interleaved rounds, same run); tail = p90 over rounds\n' +
      'for times and sizes, p10 for rates (ops/s), the slow side of each. "baseline" is ours without\n' +
      'Cathedral; "peer" is another runtime doing the same thing.\n',
  );
  const missing = renderMissing(result.rows);
  if (missing !== '') process.stdout.write(`\nrows without a peer figure (the peer cannot do it):\n${missing}\n`);
  const placements = new Map<string, string[]>();
  for (const row of result.rows) {
    if (row.placement === undefined) continue;
    const ids = placements.get(row.placement) ?? [];
    ids.push(row.id);
    placements.set(row.placement, ids);
  }
  if (placements.size > 0) process.stdout.write('\nwhere the two ends ran:\n');
  for (const [placement, ids] of placements) {
    const which = ids.length === 1 ? ids[0] : `${ids[0]} … ${ids[ids.length - 1]} (${ids.length} rows)`;
    process.stdout.write(`- ${which}: ${placement}\n`);
  }
  const failed = result.rows.filter(row => row.pass === false);
  if (failed.length > 0) process.stdout.write(`targets missed: ${failed.map(row => row.id).join(', ')}\n`);
  if (args.json !== undefined) {
    writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`bench: wrote ${args.json}\n`);
  }
};

// Under lockdown an unhandled rejection prints without its stack: print it here.
await main().catch((error: unknown) => {
  // Under errorTaming 'safe' the stack string omits the message: print both.
  process.stderr.write(`bench: failed: ${String(error)}\n${stackOf(error)}\n`);
  process.exitCode = 1;
});

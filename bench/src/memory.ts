/**
 * Row 2: memory per idle realm, holding many of them.
 *
 * Each measurement is a fresh child process (./memory-child.ts, with
 * `--expose-gc`), ours and the baseline alternating, so neither inherits the
 * other's heap. Ours: N compartment-tier realms spawned from a one-line main
 * module in a `memory()` root, each evaluated and then left idle. Baseline:
 * N raw `new Compartment()`s, the reference for what SES alone costs.
 *
 * Two rows come out of the same children: RSS per realm (held to an absolute
 * target: RSS is what a host operator pays) and V8 heap per realm (context:
 * steadier than RSS, and what a leak would show in).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryReport } from './memory-child.js';
import type { MemoryProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { interleave, summarize } from './stats.js';

const childPath = fileURLToPath(new URL('./memory-child.js', import.meta.url));

/** Forks one measuring child and resolves with its report. */
export const runMemoryChild = (kind: 'ours' | 'baseline', count: number): Promise<MemoryReport> =>
  new Promise((resolve, reject) => {
    const child = fork(childPath, [kind, String(count)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: MemoryReport | undefined;
    child.once('message', message => {
      report = message as MemoryReport;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (report !== undefined && code === 0) resolve(report);
      else reject(new Error(`memory benchmark: child "${kind}" exited with ${signal ?? `code ${String(code)}`} before reporting`));
    });
  });

export const benchMemory = async (profile: MemoryProfile): Promise<readonly Row[]> => {
  const result = await interleave(
    { rounds: profile.rounds, warmup: 0 },
    () => runMemoryChild('ours', profile.realms),
    () => runMemoryChild('baseline', profile.realms),
  );
  const pick = (reports: readonly MemoryReport[], key: 'rssKiB' | 'heapKiB') => summarize(reports.map(r => r[key]));
  const setup = `${profile.realms} idle realms vs ${profile.realms} raw new Compartment(), after GC, one child process each`;
  return [
    makeRow({
      id: 'memory-rss',
      title: `RSS per idle realm (${profile.realms} realms)`,
      unit: 'KiB',
      ours: pick(result.ours, 'rssKiB'),
      baseline: pick(result.baseline, 'rssKiB'),
      target: { kind: 'absolute', max: 40 },
      note: setup,
    }),
    makeRow({
      id: 'memory-heap',
      title: `heap per idle realm (${profile.realms} realms)`,
      unit: 'KiB',
      ours: pick(result.ours, 'heapKiB'),
      baseline: pick(result.baseline, 'heapKiB'),
      target: { kind: 'context' },
      note: setup,
    }),
  ];
};

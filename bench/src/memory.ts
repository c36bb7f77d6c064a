/**
 * Row 2: memory per idle realm, holding many of them.
 *
 * Each measurement is a fresh child process (./memory-child.ts, with
 * `--expose-gc`), contenders in rotating rounds, so none inherits
 * another's heap. Ours: N compartment-tier realms spawned from a one-line main
 * module in a `memory()` root, each evaluated and then left idle. Baseline:
 * N raw `new Compartment()`s, the reference for what SES alone costs.
 *
 * Peers, each in children of its own, in the same rounds as ours: N `node:vm` contexts and N QuickJS runtimes + contexts against
 * the same N compartment-tier realms; isolated-vm isolates + contexts (fewer:
 * each is a V8 heap of its own) against the compartment tier and against
 * the worker tier (the peer with the same guarantees: own heap, limit,
 * timeout). At the worker and process tiers, a few realms against as many
 * bare worker threads or forked processes running stock SES + CapTP
 * (./raw-guest.ts); a process's RSS is the host's growth plus the child's
 * own. Where a peer has no such tier, the row says so.
 *
 * Two rows come out of the same ours and baseline children: RSS per realm (held to an absolute
 * target: RSS is what a host operator pays) and V8 heap per realm (context:
 * steadier than RSS, and what a leak would show in).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryKind, MemoryReport } from './memory-child.js';
import type { MemoryProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { type Figure, rotate, summarize } from './stats.js';

const childPath = fileURLToPath(new URL('./memory-child.js', import.meta.url));

/** Forks one measuring child and resolves with its report. */
export const runMemoryChild = (kind: MemoryKind, count: number, warmup?: number): Promise<MemoryReport> =>
  new Promise((resolve, reject) => {
    const child = fork(childPath, [kind, String(count), ...(warmup === undefined ? [] : [String(warmup)])], {
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
  const { realms: n, isolates: k } = profile;
  const rounds = { rounds: profile.rounds, warmup: 0 };
  const inThread = await rotate(rounds, {
    ours: () => runMemoryChild('ours', n),
    baseline: () => runMemoryChild('baseline', n),
    vm: () => runMemoryChild('vm', n),
    quickjs: () => runMemoryChild('quickjs', n),
    ivm: () => runMemoryChild('ivm', k),
  });
  const pick = (reports: readonly MemoryReport[], key: 'rssKiB' | 'heapKiB') => summarize(reports.map(r => r[key]));
  const setup = `${n} idle realms vs ${n} raw new Compartment(), after GC, one child process each`;
  const rows: Row[] = [
    makeRow({
      id: 'memory-rss',
      title: `RSS per idle realm (${n} realms)`,
      unit: 'KiB',
      ours: pick(inThread.ours, 'rssKiB'),
      peer: 'baseline: raw SES Compartment',
      baseline: pick(inThread.baseline, 'rssKiB'),
      target: { kind: 'absolute', max: 40 },
      note: setup,
    }),
    makeRow({
      id: 'memory-heap',
      title: `heap per idle realm (${n} realms)`,
      unit: 'KiB',
      ours: pick(inThread.ours, 'heapKiB'),
      peer: 'baseline: raw SES Compartment',
      baseline: pick(inThread.baseline, 'heapKiB'),
      target: { kind: 'context' },
      note: setup,
    }),
  ];
  rows.push(...(await benchPeerMemory(profile, inThread)));
  return rows;
};

const rss = (reports: readonly MemoryReport[]): Figure => summarize(reports.map(r => r.rssKiB));

/** RSS per realm against node:vm, QuickJS and isolated-vm in thread, and per tier against bare threads and processes. */
const benchPeerMemory = async (
  profile: MemoryProfile,
  inThread: Readonly<Record<'ours' | 'vm' | 'quickjs' | 'ivm', readonly MemoryReport[]>>,
): Promise<readonly Row[]> => {
  const { realms: n, isolates: k, heavy: h } = profile;
  const rounds = { rounds: profile.heavyRounds, warmup: 0 };
  const w = profile.heavyWarmup;
  const worker = await rotate(rounds, { ours: () => runMemoryChild('ours-worker', h, w), raw: () => runMemoryChild('worker', h, w) });
  const proc = await rotate(rounds, { ours: () => runMemoryChild('ours-process', h, w), raw: () => runMemoryChild('process', h, w) });
  const ours = rss(inThread.ours);
  const oursNote = `${n} idle compartment-tier realms`;
  const inThreadRow = (id: string, label: string, figure: Figure, how: string): Row =>
    makeRow({
      id,
      title: `RSS per realm, compartment tier, vs ${label}`,
      unit: 'KiB',
      ours,
      peer: `peer: ${label}`,
      baseline: figure,
      target: { kind: 'context' },
      note: `${oursNote} vs ${how}, after GC, one child process each`,
    });
  const workerFigure = rss(worker.ours);
  return [
    inThreadRow('memory-rss-vs-vm', 'node:vm context', rss(inThread.vm), `${n} vm.createContext() each holding (x => x)`),
    inThreadRow('memory-rss-vs-quickjs', 'QuickJS runtime + context', rss(inThread.quickjs), `${n} QuickJS runtimes + contexts each holding (x => x)`),
    inThreadRow('memory-rss-vs-ivm', 'isolated-vm isolate', rss(inThread.ivm), `${k} isolates (memoryLimit 32) + contexts each holding (x => x): fewer, each is a V8 heap`),
    makeRow({
      id: 'memory-rss-worker',
      title: `RSS per realm, worker tier (${h} realms)`,
      unit: 'KiB',
      ours: workerFigure,
      peer: 'peer: bare worker_thread + stock CapTP',
      baseline: rss(worker.raw),
      target: { kind: 'context' },
      note: `${h} worker-tier realms (each answered one call) vs ${h} new Worker running SES lockdown + stock makeCapTP (./raw-guest.ts), RSS growth of the process after GC`,
    }),
    makeRow({
      id: 'memory-rss-worker-vs-ivm',
      title: `RSS per realm, worker tier, vs isolated-vm isolate`,
      unit: 'KiB',
      ours: workerFigure,
      peer: 'peer: isolated-vm isolate',
      baseline: rss(inThread.ivm),
      target: { kind: 'context' },
      note: `${h} worker-tier realms vs ${k} isolates + contexts (the in-process peer with its own heap and limits); counts differ, figures are per instance`,
    }),
    makeRow({
      id: 'memory-rss-process',
      title: `RSS per realm, process tier (${h} realms)`,
      unit: 'KiB',
      ours: rss(proc.ours),
      peer: 'peer: child_process.fork + stock CapTP',
      baseline: rss(proc.raw),
      target: { kind: 'context' },
      note: `${h} process-tier realms vs ${h} forked stock guests (./raw-guest.ts); the host's RSS growth plus each child's VmRSS`,
    }),
    makeRow({
      id: 'memory-rss-process-vs-inprocess',
      title: 'RSS per realm, process tier, vs isolated-vm / SES / node:vm / QuickJS',
      unit: 'KiB',
      ours: rss(proc.ours),
      peer: 'peers: isolated-vm, raw SES, node:vm, QuickJS',
      missing: 'none of them has a process tier: their sandboxes live in the host process (their figures are the rows above)',
      target: { kind: 'context' },
      note: `${h} process-tier realms`,
    }),
  ];
};

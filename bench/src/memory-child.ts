/**
 * A child process that measures what N idle realms (or N raw compartments)
 * cost, then reports to its parent over IPC and exits.
 *
 * Run by ./memory.ts with `--expose-gc`, one contender per process, so one
 * measurement's garbage, heap growth and JIT code never count in another's.
 * Usage: memory-child.js <kind> <count> [warm-up], kinds:
 *  - `ours`, `baseline` (raw SES Compartment), `vm`, `ivm`, `quickjs`:
 *    in-thread realms or sandboxes (./peers.ts), each holding the one-line
 *    function it evaluated;
 *  - `ours-worker`, `worker`: worker-tier realms, or bare worker threads
 *    running the stock SES + CapTP guest (./raw-tier.ts);
 *  - `ours-process`, `process`: process-tier realms, or forked stock guests;
 *    their RSS is this process's growth plus each child's own RSS.
 *
 * `ours` and `baseline` lock down and load the same modules before measuring, and
 * make a few warm-up instances first, so one-time costs (the host's guest
 * kit, the parse of the main module, compiled code) are not charged per
 * realm. Every instance stays referenced until after the second measurement.
 */
import '@cathedral/sdk/shims';
import { ensureLockdown } from '@cathedral/sdk/lockdown';

ensureLockdown();

const { memory } = await import('@cathedral/powerbox');
const { rssKiBOf, spawnedEnd } = await import('./affinity.js');
// The runtime takes seconds to load on a busy 2-vCPU machine: only the kinds
// that use it (and `baseline`, measured as it always was, beside `ours`) load it.
const loadRuntime = () => import('@cathedral/runtime');

export const memoryKinds = ['ours', 'baseline', 'vm', 'ivm', 'quickjs', 'ours-worker', 'worker', 'ours-process', 'process'] as const;
export type MemoryKind = (typeof memoryKinds)[number];

/** What the child sends its parent. */
export interface MemoryReport {
  readonly kind: MemoryKind;
  readonly count: number;
  /** RSS growth per instance, KiB, after GC. */
  readonly rssKiB: number;
  /** V8 heapUsed growth per instance, KiB, after GC. */
  readonly heapKiB: number;
}

/** Default warm-up instances: many for cheap in-thread ones, one for a thread or process. */
const warmupOf = (kind: MemoryKind): number => (kind.endsWith('worker') || kind.endsWith('process') ? 1 : 20);
const MAIN = 'export const f = x => x + 1;';

const collect = async (): Promise<NodeJS.MemoryUsage> => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('memory-child: run with --expose-gc');
  for (let i = 0; i < 4; i += 1) {
    gc();
    await new Promise(resolve => setImmediate(resolve));
  }
  return process.memoryUsage();
};

/** How to make one instance of `kind`; the pid of any process it started, for its RSS. */
const makerOf = async (kind: MemoryKind): Promise<() => Promise<{ held: unknown; pid?: number | undefined }>> => {
  const quiet = () => {};
  const spec = (tier: 'compartment' | 'worker' | 'process') => ({ tier, main: 'app://main.js', realms: { app: memory({ 'main.js': MAIN }) } });
  switch (kind) {
    case 'ours': {
      const { createHost } = await loadRuntime();
      const host = await createHost({ console: quiet, report: quiet });
      return async () => ({ held: await host.spawn(spec('compartment')) });
    }
    case 'baseline':
      await loadRuntime();
      return async () => ({ held: new Compartment() });
    case 'vm':
    case 'ivm':
    case 'quickjs': {
      const { loadPeers } = await import('./peers.js');
      const peer = (await loadPeers())[kind];
      return async () => ({ held: peer.callIn() });
    }
    case 'ours-worker':
    case 'ours-process': {
      const { createHost } = await loadRuntime();
      const host = await createHost({ console: quiet, report: quiet });
      const tier = kind === 'ours-worker' ? 'worker' : 'process';
      return async () => {
        const { value: realm, end } = await spawnedEnd(() => host.spawn(spec(tier)));
        if ((await realm.call('f', 1)) !== 2) throw new Error('memory-child: the realm did not answer');
        return { held: realm, pid: end?.kind === 'process' ? end.pid : undefined };
      };
    }
    case 'worker':
    case 'process': {
      const { startRawGuest } = await import('./raw-tier.js');
      return async () => {
        const guest = await startRawGuest(kind);
        if ((await guest.ping(1)) !== 1) throw new Error('memory-child: the stock guest did not answer');
        return { held: guest, pid: guest.end?.kind === 'process' ? guest.end.pid : undefined };
      };
    }
    default:
      throw new TypeError(`memory-child: unknown kind ${JSON.stringify(kind as unknown)}`);
  }
};

const measure = async (kind: MemoryKind, count: number, warmup: number): Promise<MemoryReport> => {
  const make = await makerOf(kind);
  const held: unknown[] = [];
  for (let i = 0; i < warmup; i += 1) held.push((await make()).held);
  const before = await collect();
  const pids: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const made = await make();
    held.push(made.held);
    if (made.pid !== undefined) pids.push(made.pid);
  }
  const after = await collect();
  if (held.length !== warmup + count) throw new Error('memory-child: lost an instance');
  let childrenKiB = 0;
  for (const pid of pids) {
    const kib = rssKiBOf(pid);
    if (kib === undefined) throw new Error(`memory-child: guest process ${pid} is gone`);
    childrenKiB += kib;
  }
  return {
    kind,
    count,
    rssKiB: ((after.rss - before.rss) / 1024 + childrenKiB) / count,
    heapKiB: (after.heapUsed - before.heapUsed) / count / 1024,
  };
};

const [kind, countText, warmupText] = process.argv.slice(2);
const count = Number(countText);
const warmup = warmupText === undefined ? warmupOf(kind as MemoryKind) : Number(warmupText);
if (!(memoryKinds as readonly string[]).includes(kind ?? '') || !Number.isInteger(count) || count <= 0 || !Number.isInteger(warmup) || warmup < 0) {
  throw new Error(`memory-child: usage: memory-child.js <${memoryKinds.join('|')}> <count> [warm-up], got ${process.argv.slice(2).join(' ')}`);
}
const report = await measure(kind as MemoryKind, count, warmup);
// Realms, threads and child processes are still held: exit once the report is out.
if (process.send === undefined) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
} else {
  process.send(report, () => process.exit(0));
}

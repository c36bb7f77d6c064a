/**
 * A child process that measures what N idle realms (or N raw compartments)
 * cost, then reports to its parent over IPC and exits.
 *
 * Run by ./memory.ts with `--expose-gc`, one contender per process, so one
 * measurement's garbage, heap growth and JIT code never count in another's.
 * Usage: memory-child.js <ours|baseline> <count>.
 *
 * Both contenders lock down and load the same modules before measuring, and
 * make a few warm-up instances first, so one-time costs (the host's guest
 * kit, the parse of the main module, compiled code) are not charged per
 * realm. Every instance stays referenced until after the second measurement.
 */
import '@cathedral/sdk/shims';
import { ensureLockdown } from '@cathedral/sdk/lockdown';

ensureLockdown();

const { createHost } = await import('@cathedral/runtime');
const { memory } = await import('@cathedral/powerbox');

/** What the child sends its parent. */
export interface MemoryReport {
  readonly kind: 'ours' | 'baseline';
  readonly count: number;
  /** RSS growth per instance, KiB, after GC. */
  readonly rssKiB: number;
  /** V8 heapUsed growth per instance, KiB, after GC. */
  readonly heapKiB: number;
}

const WARMUP = 20;
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

const measure = async (kind: 'ours' | 'baseline', count: number): Promise<MemoryReport> => {
  let make: () => Promise<unknown>;
  if (kind === 'ours') {
    const host = await createHost({ console: () => {}, report: () => {} });
    make = () =>
      host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory({ 'main.js': MAIN }) } });
  } else {
    make = async () => new Compartment();
  }
  const held: unknown[] = [];
  for (let i = 0; i < WARMUP; i += 1) held.push(await make());
  const before = await collect();
  for (let i = 0; i < count; i += 1) held.push(await make());
  const after = await collect();
  if (held.length !== WARMUP + count) throw new Error('memory-child: lost an instance');
  return {
    kind,
    count,
    rssKiB: (after.rss - before.rss) / count / 1024,
    heapKiB: (after.heapUsed - before.heapUsed) / count / 1024,
  };
};

const [kind, countText] = process.argv.slice(2);
const count = Number(countText);
if ((kind !== 'ours' && kind !== 'baseline') || !Number.isInteger(count) || count <= 0) {
  throw new Error(`memory-child: usage: memory-child.js <ours|baseline> <count>, got ${process.argv.slice(2).join(' ')}`);
}
const report = await measure(kind, count);
if (process.send === undefined) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  process.send(report, () => process.disconnect());
}

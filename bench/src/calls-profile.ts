/**
 * A workload to profile, not a benchmark: sequential calls into one
 * worker-tier or process-tier realm (`ours`), or the same number of stock
 * CapTP pings against the baseline guest (`captp`), and nothing else.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/dist/src/calls-profile.js <ours|captp> <worker|process> [calls]
 *
 * A worker inherits `--cpu-prof`, so the worker tier yields one profile for
 * the host thread and one for the guest's thread. The process tier forks
 * its guest with an empty `execArgv` and environment, so only the host side
 * is profiled there; the guest runs the same code as in a worker.
 *
 * It prints the calls' window on the monotonic clock the profiles use
 * (`window <start µs> <end µs>`), so start-up and teardown can be cut out.
 */
import '@cathedral/sdk/shims';
import { ensureLockdown, stackOf } from '@cathedral/sdk/lockdown';

ensureLockdown();

const usage = 'usage: calls-profile.js <ours|captp> <worker|process> [calls]';

const main = async (): Promise<void> => {
  const [who, tier, countText = '3000'] = process.argv.slice(2);
  const calls = Number(countText);
  if ((who !== 'ours' && who !== 'captp') || (tier !== 'worker' && tier !== 'process') || !Number.isInteger(calls) || calls <= 0) {
    throw new Error(`${usage}, got ${process.argv.slice(2).join(' ')}`);
  }
  let call: (i: number) => Promise<unknown>;
  let stop: () => Promise<void>;
  if (who === 'ours') {
    const { createHost } = await import('@cathedral/runtime');
    const { memory } = await import('@cathedral/powerbox');
    const host = await createHost({ console: () => {}, report: () => {} });
    const realm = await host.spawn({ tier, main: 'app://main.js', realms: { app: memory({ 'main.js': 'export const ping = x => x;' }) } });
    call = i => realm.call('ping', i);
    stop = () => realm.terminate();
  } else {
    const { startRawGuest } = await import('./raw-tier.js');
    const guest = await startRawGuest(tier);
    call = i => guest.ping(i);
    stop = () => guest.stop();
  }
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i += 1) await call(i);
  const end = process.hrtime.bigint();
  const us = Number(end - start) / 1e3 / calls;
  process.stdout.write(`${who} ${tier}: ${calls} calls, ${us.toFixed(1)} µs per round trip\n`);
  process.stdout.write(`window ${start / 1000n} ${end / 1000n}\n`);
  await stop();
};

await main().catch((error: unknown) => {
  process.stderr.write(`calls-profile: failed: ${String(error)}\n${stackOf(error)}\n`);
  process.exitCode = 1;
});

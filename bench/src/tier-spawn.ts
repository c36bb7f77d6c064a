/**
 * Spawn-to-first-call at the worker and process tiers.
 *
 * Ours: `host.spawn({ tier, main: 'app://main.js', realms: { app:
 * memory(main.js) } })` and one `realm.call('f', 1)`: a thread or process
 * started, locked down, Cathedral's guest loaded, CapTP bootstrapped, the
 * realm's compartment built and its main module read over CapTP and
 * evaluated, then one call.
 * Baseline: the stock equivalent (./raw-tier.ts): `new Worker` or
 * `child_process.fork` of a script that imports SES, locks down, and sets
 * up a stock CapTP whose bootstrap answers `ping`; then one
 * `E(bootstrap).ping(1)`.
 *
 * Each spawn is followed, outside the timed region, by stopping it and
 * waiting until its thread or process has gone, so no spawn competes with
 * the previous one's teardown. Neither side is pinned: a spawn is CPU work
 * in the new thread or process, and its placement is left to the scheduler.
 */
import { memory } from '@cathedral/powerbox';
import type { Host } from '@cathedral/runtime';
import { type End, spawnedEnd, waitGone } from './affinity.js';
import type { SpawnProfile } from './profile.js';
import { type RemoteTier, startRawGuest } from './raw-tier.js';
import { type Row, makeRow } from './row.js';
import { interleave, summarize } from './stats.js';

const MAIN = 'export const f = x => x + 1;';

interface Started {
  readonly end: End | undefined;
  stop(): Promise<void>;
}

/** Times `run` once in ms, then stops what it started and waits until it has gone, outside the timing. */
const timeOnce = async (run: () => Promise<Started>): Promise<number> => {
  const start = process.hrtime.bigint();
  const started = await run();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  await started.stop();
  await waitGone(started.end);
  return elapsed;
};

export const benchTierSpawn = async (host: Host, tier: RemoteTier, profile: SpawnProfile): Promise<Row> => {
  const ours = () =>
    timeOnce(async () => {
      const { value: realm, end } = await spawnedEnd(() =>
        host.spawn({ tier, main: 'app://main.js', realms: { app: memory({ 'main.js': MAIN }) } }),
      );
      const answer = await realm.call('f', 1);
      if (answer !== 2) throw new Error(`${tier} spawn benchmark: the realm answered ${String(answer)}, not 2`);
      return { end, stop: () => realm.terminate() };
    });
  const baseline = () =>
    timeOnce(async () => {
      const guest = await startRawGuest(tier);
      const answer = await guest.ping(1);
      if (answer !== 1) throw new Error(`${tier} spawn benchmark: the raw guest answered ${String(answer)}, not 1`);
      return { end: guest.end, stop: () => guest.stop() };
    });
  const result = await interleave(profile, ours, baseline);
  const how = tier === 'worker' ? 'new Worker' : "child_process.fork (serialization: 'advanced')";
  return makeRow({
    id: `spawn-${tier}`,
    title: `${tier} tier: spawn + first call`,
    unit: 'ms',
    ours: summarize(result.ours),
    baseline: summarize(result.baseline),
    target: { kind: 'context' },
    note: `host.spawn({ tier: '${tier}', app: memory(main.js) }) + realm.call('f', 1) vs ${how} + SES lockdown + stock makeCapTP + E(bootstrap).ping(1); unpinned`,
  });
};

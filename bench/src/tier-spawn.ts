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
 * Peer at the worker tier: an isolated-vm isolate + context (its own heap,
 * a memory limit and a timeout, but in the host's process), timed the same
 * way (one per round, disposed of outside the timing). At the process tier
 * isolated-vm has no equivalent, and SES, node:vm and QuickJS have no tier
 * at all (they run on the calling thread): those rows carry no peer figure
 * and say why.
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
import type { Peer } from './peers.js';
import { rotate, summarize } from './stats.js';

export const MAIN = 'export const f = x => x + 1;';

export interface Started {
  readonly end: End | undefined;
  stop(): Promise<void>;
}

/** Times `run` once in ms, then stops what it started and waits until it has gone, outside the timing. */
export const timeOnce = async (run: () => Promise<Started>): Promise<number> => {
  const start = process.hrtime.bigint();
  const started = await run();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  await started.stop();
  await waitGone(started.end);
  return elapsed;
};

export const benchTierSpawn = async (host: Host, tier: RemoteTier, profile: SpawnProfile, ivm: Peer): Promise<readonly Row[]> => {
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
  const isolate = () =>
    timeOnce(async () => {
      const dispose = ivm.spawnOnce();
      return { end: undefined, stop: async () => dispose() };
    });
  const contenders: Record<string, () => Promise<number>> = tier === 'worker' ? { ours, baseline, isolate } : { ours, baseline };
  const samples = await rotate(profile, contenders);
  const oursFigure = summarize(samples['ours'] ?? []);
  const how = tier === 'worker' ? 'new Worker' : "child_process.fork (serialization: 'advanced')";
  const spawnNote = `host.spawn({ tier: '${tier}', app: memory(main.js) }) + realm.call('f', 1)`;
  const rows: Row[] = [
    makeRow({
      id: `spawn-${tier}`,
      title: `${tier} tier: spawn + first call`,
      unit: 'ms',
      ours: oursFigure,
      peer: `peer: ${tier === 'worker' ? 'bare worker_thread' : 'child_process.fork'} + stock CapTP`,
      baseline: summarize(samples['baseline'] ?? []),
      target: { kind: 'context' },
      note: `${spawnNote} vs ${how} + SES lockdown + stock makeCapTP + E(bootstrap).ping(1); unpinned`,
    }),
  ];
  const isolateSamples = samples['isolate'];
  rows.push(
    makeRow({
      id: `spawn-${tier}-vs-ivm`,
      title: `${tier} tier: spawn + first call, vs isolated-vm`,
      unit: 'ms',
      ours: oursFigure,
      peer: 'peer: isolated-vm isolate + context',
      ...(isolateSamples === undefined
        ? { missing: 'isolated-vm has no process tier: every isolate lives in the host process, so a V8 fatal error in one ends the host' }
        : { baseline: summarize(isolateSamples) }),
      target: { kind: 'context' },
      note: `${spawnNote} vs new ivm.Isolate({ memoryLimit: 32 }) + context + evalSync + applySync(1) (own heap, memory limit, timeout; in the host process)`,
    }),
    makeRow({
      id: `spawn-${tier}-vs-inthread`,
      title: `${tier} tier: spawn + first call, vs SES / node:vm / QuickJS`,
      unit: 'ms',
      ours: oursFigure,
      peer: 'peers: raw SES Compartment, node:vm, QuickJS',
      missing: `raw SES, node:vm and QuickJS have no ${tier} tier: each runs its sandbox on the calling thread (their figures are the spawn-vs-* rows of the compartment tier)`,
      target: { kind: 'context' },
      note: spawnNote,
    }),
  );
  return rows;
};

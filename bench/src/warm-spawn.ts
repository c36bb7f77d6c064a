/**
 * Process-tier spawn from the warm pool, and what the kernel wall costs at
 * spawn (issue 6).
 *
 * Four contenders in the same rotating rounds, each a spawn + first call
 * (`realm.call('f', 1)`, or the stock `E(bootstrap).ping(1)`):
 * - warm: `createHost({ pool: { size: 2 } })`; before each timed spawn, and
 *   outside the timing, `await host.prewarm()` and a wait until the pool's
 *   children have finished starting (no CPU used for 100 ms), so the spawn
 *   takes a child already started, confined and locked down. The pool's
 *   refill starts during the timed first call, as it would in use. The bench
 *   checks that the realm runs in a process that existed before the spawn.
 * - cold: the same spawn on a host without a pool (`kernel: 'auto'`: behind
 *   the kernel wall where it is built, with a cgroup of its own).
 * - unconfined: the same on `createHost({ kernel: 'off' })`.
 * - raw: cold `child_process.fork` + SES lockdown + stock CapTP + first call
 *   (./raw-tier.ts, the baseline of the `spawn-process` row).
 *
 * Each spawn is stopped and its process gone before the next contender,
 * outside the timing (as in ./tier-spawn.ts). Nothing is pinned.
 */
import { memory } from '@cathedral/powerbox';
import { type Host, createHost, kernelWallStatus } from '@cathedral/runtime';
import { childPids, childrenQuiet, spawnedEnd, waitGone } from './affinity.js';
import type { SpawnProfile } from './profile.js';
import { startRawGuest } from './raw-tier.js';
import { type Row, makeRow } from './row.js';
import { rotate, summarize } from './stats.js';
import { MAIN, timeOnce } from './tier-spawn.js';

const POOL_SIZE = 2;

const quiet = () => {};

export const benchWarmSpawn = async (coldHost: Host, profile: SpawnProfile): Promise<readonly Row[]> => {
  const wall = kernelWallStatus();
  const warmHost = await createHost({ console: quiet, report: quiet, pool: { size: POOL_SIZE, idleMs: 600_000 } });
  const offHost = await createHost({ console: quiet, report: quiet, kernel: 'off' });
  const spawnOn = (host: Host, label: string, check: (pid: number | undefined, enforcedBy: Readonly<Record<string, string>>) => void) =>
    timeOnce(async () => {
      const { value: realm, end } = await spawnedEnd(() => host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: memory({ 'main.js': MAIN }) } }));
      const answer = await realm.call('f', 1);
      if (answer !== 2) throw new Error(`${label} spawn benchmark: the realm answered ${String(answer)}, not 2`);
      check(end?.kind === 'process' ? end.pid : undefined, realm.enforcedBy);
      return { end, stop: () => realm.terminate() };
    });
  const confined = (label: string) => (_pid: number | undefined, enforcedBy: Readonly<Record<string, string>>) => {
    const kernel = enforcedBy['kernel'] ?? '';
    if (wall.present !== kernel.startsWith('launcher')) throw new Error(`${label} spawn benchmark: the kernel wall is ${wall.present ? 'present' : 'absent'} but the realm says kernel: ${kernel}`);
  };
  const settle = async () => {
    if (!(await childrenQuiet(POOL_SIZE))) throw new Error('warm spawn benchmark: the warm pool did not finish starting within 15 s');
  };
  try {
    const contenders: Record<string, () => Promise<number>> = {
      warm: async () => {
        if (!(await warmHost.prewarm())) throw new Error('warm spawn benchmark: prewarm() found no warm child ready');
        await settle();
        const before = new Set(childPids());
        const ms = await spawnOn(warmHost, 'warm', (pid, enforcedBy) => {
          if (pid === undefined || !before.has(pid)) throw new Error(`warm spawn benchmark: the realm runs in process ${String(pid)}, not one of the warm children ${[...before].join(', ')}`);
          confined('warm')(pid, enforcedBy);
        });
        await settle();
        return ms;
      },
      cold: () => spawnOn(coldHost, 'cold', confined('cold')),
      raw: () =>
        timeOnce(async () => {
          const guest = await startRawGuest('process');
          const answer = await guest.ping(1);
          if (answer !== 1) throw new Error(`warm spawn benchmark: the raw guest answered ${String(answer)}, not 1`);
          return { end: guest.end, stop: () => guest.stop() };
        }),
    };
    // Without the kernel wall, 'auto' starts the very same child as 'off': nothing to compare.
    if (wall.present) {
      contenders['unconfined'] = () =>
        spawnOn(offHost, 'unconfined', (_pid, enforcedBy) => {
          if ((enforcedBy['kernel'] ?? '').startsWith('launcher')) throw new Error('unconfined spawn benchmark: a kernel: "off" realm says it is behind the launcher');
        });
    }
    const samples = await rotate(profile, contenders);
    const warm = summarize(samples['warm'] ?? []);
    const cold = summarize(samples['cold'] ?? []);
    const walled = wall.present ? 'behind the kernel wall (launcher: Landlock, seccomp, uid drop, rlimits; a cgroup per realm)' : `unconfined: the kernel wall is absent here (${wall.absent ?? 'unknown'})`;
    const spawnNote = "host.spawn({ tier: 'process', app: memory(main.js) }) + realm.call('f', 1)";
    const warmNote = `${spawnNote} on createHost({ pool: { size: ${POOL_SIZE} } }), after host.prewarm() and the pool's children idle (outside the timing); the realm is checked to run in a child started before the spawn; ${walled}`;
    const unconfined = samples['unconfined'];
    return [
      makeRow({
        id: 'spawn-process-warm',
        title: 'process tier: spawn + first call from the warm pool, vs cold fork + stock CapTP',
        unit: 'ms',
        ours: warm,
        peer: 'peer: cold child_process.fork + SES lockdown + stock CapTP',
        baseline: summarize(samples['raw'] ?? []),
        target: { kind: 'ratio', max: 0.05 },
        note: `${warmNote} vs child_process.fork (serialization: 'advanced') + SES lockdown + stock makeCapTP + E(bootstrap).ping(1), unconfined; target: at least 20× faster`,
      }),
      makeRow({
        id: 'spawn-process-warm-vs-cold',
        title: 'process tier: spawn + first call from the warm pool, vs our cold spawn',
        unit: 'ms',
        ours: warm,
        peer: 'baseline: our cold process-tier spawn (no pool)',
        baseline: cold,
        target: { kind: 'context' },
        note: `${warmNote} vs the same spawn on a host without a pool (kernel: 'auto', ${walled})`,
      }),
      makeRow({
        id: 'spawn-process-confined',
        title: 'process tier: spawn + first call behind the kernel wall, vs unconfined',
        unit: 'ms',
        ours: cold,
        peer: "baseline: the same spawn on createHost({ kernel: 'off' })",
        ...(unconfined === undefined
          ? { missing: `this machine has no kernel wall (${wall.absent ?? 'unknown'}): kernel: 'auto' starts the same unconfined child as 'off', so there is no confined side to compare` }
          : { baseline: summarize(unconfined) }),
        target: { kind: 'context' },
        note: `${spawnNote}, no pool, kernel: 'auto' (launcher + a cgroup made and removed per realm) vs kernel: 'off' (plain fork); the difference is what confinement costs at spawn`,
      }),
    ];
  } finally {
    const warmChildren = childPids();
    await warmHost.close();
    await offHost.close();
    // close() kills the warm children; let them go before the next benchmark starts.
    for (const pid of warmChildren) await waitGone({ kind: 'process', pid });
  }
};

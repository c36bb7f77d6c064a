/**
 * Exhaustion and supervision at the worker and process tiers: a guest that
 * loops, floods, allocates or crashes ends with the right reason within a
 * stated bound, its pending calls are revoked naming that reason, the host
 * keeps answering, and nothing of the guest is left running.
 *
 * Serial: the leak checks count this process's threads and this thread's
 * children, and CPU figures mean little when the tests compete for CPUs.
 * Never at the worker tier: a V8 fatal error, which ends the whole host.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { Far } from '@endo/far';
import { isCathedralError } from '@cathedral/sdk';
import { type Budget, kernelWallStatus } from '../src/index.js';
import { call, makeTestHost } from './_realm.js';
import {
  type Identity,
  type RemoteTier,
  assertHostAnswers,
  assertNothingLeft,
  assertRevokedFor,
  doneWithin,
  median,
  remoteTiers,
  sleep,
  snapshot,
  spawnGuest,
  watchingSupervision,
} from './_supervision.js';

/** How long a realm may take to end once it is over budget, from the call (generous: the machine is shared). */
const BOUND_MS = 10_000;

interface Exhaustion {
  readonly source: string;
  readonly budget?: Budget;
  readonly caps?: Record<string, unknown>;
  /** The reason `realm.done` must settle with. */
  readonly reason: string | RegExp;
  /** Runs while the guest exhausts itself; `over()` tells when the realm has ended. */
  readonly meanwhile?: (guest: Identity, over: () => boolean) => Promise<void>;
}

/**
 * Spawns `source`, calls its `run` export, and checks the whole end: the
 * reason, the time it took, the pending call's refusal, a fresh realm on the
 * same host, and that nothing is left. Answers what it measured.
 */
const exhaust = (t: ExecutionContext, tier: RemoteTier, s: Exhaustion) =>
  watchingSupervision(async watch => {
    const before = snapshot();
    const { host } = await makeTestHost();
    const realm = await spawnGuest(t, host, tier, s.source, s.budget, s.caps);
    const guest = watch.identity(realm.name);
    t.truthy(guest.tid ?? guest.pid, "the supervisor published the guest's thread or process");
    const t0 = performance.now();
    const pending = call(realm, 'run');
    pending.catch(() => {});
    let over = false;
    void realm.done.then(() => {
      over = true;
    });
    const meanwhile = s.meanwhile?.(guest, () => over);
    const { reason } = await doneWithin(realm, 3 * BOUND_MS);
    const elapsed = performance.now() - t0;
    await meanwhile;
    const cpuMs = watch.ended(realm.name)?.cpuMs;
    t.log(`${tier}: "${reason}" after ${elapsed.toFixed(0)} ms wall${cpuMs === undefined ? '' : `, ${cpuMs.toFixed(1)} ms guest CPU`} (bound ${BOUND_MS} ms)`);
    if (typeof s.reason === 'string') t.is(reason, s.reason);
    else t.regex(reason, s.reason);
    t.true(elapsed < BOUND_MS, `ended within ${BOUND_MS} ms`);
    await assertRevokedFor(t, pending, reason);
    await assertHostAnswers(t, host, tier);
    await assertNothingLeft(t, before, guest);
    return { reason, elapsed, cpuMs };
  });

const spin = 'export const run = () => { while (true) {} };';
const bufferBomb = `export const run = () => { const keep = []; for (;;) { const b = new Uint8Array(16 * 1024 * 1024); b.fill(1); keep.push(b); } };`;

/** The resident memory of a process, in MB; 0 once it is gone. */
const rssMb = (pid: number): number => {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match === null ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
};

for (const tier of remoteTiers) {
  test.serial(`[${tier}] an infinite synchronous loop ends with "budget: cpu" and its pending call is revoked`, async t => {
    await exhaust(t, tier, { source: spin, budget: { cpuMs: 100 }, reason: 'budget: cpu' });
  });

  test.serial(`[${tier}] an infinite synchronous loop under only a wall budget ends with "budget: wall"`, async t => {
    const { elapsed } = await exhaust(t, tier, { source: spin, budget: { wallMs: 300 }, reason: 'budget: wall' });
    // The wall clock starts once the guest answered, a little before the call.
    t.true(elapsed <= 300 + 1_000, `ended ${elapsed.toFixed(0)} ms after the call, for a 300 ms wall budget`);
  });

  test.serial(`[${tier}] an infinite microtask loop ends with "budget: cpu"`, async t => {
    await exhaust(t, tier, { source: 'export const run = async () => { for (;;) await null; };', budget: { cpuMs: 100 }, reason: 'budget: cpu' });
  });

  test.serial(`[${tier}] a catastrophic regular expression ends with "budget: cpu"`, async t => {
    await exhaust(t, tier, { source: `export const run = () => /^(a+)+$/.test('a'.repeat(40) + 'b');`, budget: { cpuMs: 100 }, reason: 'budget: cpu' });
  });

  test.serial(`[${tier}] a heap bomb of growing arrays of objects ends with "budget: heap", even under a budget smaller than the runtime's own heap`, async t => {
    // 8 MB: the guest runtime alone holds some 22 MB, which a heap budget does not count.
    await exhaust(t, tier, {
      source: `export const run = () => { const keep = []; for (let i = 0; ; i += 1) keep.push(Array.from({ length: 1000 }, (_, j) => ({ i, j }))); };`,
      budget: { heapMb: 8 },
      reason: 'budget: heap',
    });
  });

  test.serial(`[${tier}] a flood of 100k calls into a host capability ends with "budget: cpu" while the host keeps running its own timers`, async t => {
    let calls = 0;
    const ping = Far('Ping', { ping: () => (calls += 1) });
    let worstLag = 0;
    const { cpuMs } = await exhaust(t, tier, {
      source: `export const run = async () => { for (let i = 0; i < 100000; i += 1) await ping.ping(); return 'all answered'; };`,
      caps: { ping },
      budget: { cpuMs: 200 },
      reason: 'budget: cpu',
      meanwhile: async (_guest, over) => {
        // The host's event loop serves the flood: how late does a 10 ms timer of its own fire?
        while (!over()) {
          const asked = performance.now();
          await sleep(10);
          worstLag = Math.max(worstLag, performance.now() - asked - 10);
        }
      },
    });
    t.log(`${tier}: ${calls} calls answered before the end (${cpuMs === undefined ? '?' : ((cpuMs / calls) * 1000).toFixed(0)} µs of guest CPU each); worst host timer lag ${worstLag.toFixed(1)} ms`);
    t.true(calls > 0 && calls < 100_000, `${calls} calls`);
    t.true(worstLag < 1_000, 'the host stays responsive under the flood');
  });

  test.serial(`[${tier}] deep recursion rejects with a GuestError naming the RangeError, and the realm keeps working`, async t => {
    await watchingSupervision(async watch => {
      const before = snapshot();
      const { host } = await makeTestHost();
      const realm = await spawnGuest(t, host, tier, `
        const down = n => down(n + 1) + 1;
        export const run = () => down(0);
        export const ok = () => 'still here';`);
      const error = await t.throwsAsync(call(realm, 'run'));
      t.true(isCathedralError(error, 'GUEST'), String(error));
      t.regex(error!.message, /RangeError/);
      t.regex(error!.message, /call stack/i);
      t.is(await call(realm, 'ok'), 'still here');
      await realm.terminate();
      t.is((await realm.done).reason, 'terminated');
      await assertNothingLeft(t, before, watch.identity(realm.name));
    });
  });

  test.serial(`[${tier}] terminate() ends a looping realm with "terminated" and revokes its pending call`, async t => {
    await watchingSupervision(async watch => {
      const before = snapshot();
      const { host } = await makeTestHost();
      const realm = await spawnGuest(t, host, tier, spin);
      const pending = call(realm, 'run');
      pending.catch(() => {});
      await sleep(50);
      const t0 = performance.now();
      await realm.terminate();
      const { reason } = await doneWithin(realm, BOUND_MS);
      t.log(`${tier}: "${reason}" ${(performance.now() - t0).toFixed(1)} ms after terminate()`);
      t.is(reason, 'terminated');
      await assertRevokedFor(t, pending, 'terminated');
      await assertHostAnswers(t, host, tier);
      await assertNothingLeft(t, before, watch.identity(realm.name));
    });
  });

  test.serial(`[${tier}] a main module that loops forever at its top level fails the spawn with BudgetExceededError`, async t => {
    await watchingSupervision(async watch => {
      const before = snapshot();
      const { host } = await makeTestHost();
      const t0 = performance.now();
      const error = await t.throwsAsync(spawnGuest(t, host, tier, 'while (true) {}', { cpuMs: 100 }));
      t.log(`${tier}: spawn refused after ${(performance.now() - t0).toFixed(0)} ms: ${error!.message}`);
      t.true(isCathedralError(error, 'BUDGET_EXCEEDED'), String(error));
      t.regex(error!.message, /budget\.cpuMs/);
      t.regex(error!.message, /budget: cpu/);
      const [ended] = watch.events.filter(e => e.event === 'ended');
      t.is(ended?.event === 'ended' ? ended.reason : undefined, 'budget: cpu');
      await assertHostAnswers(t, host, tier);
      await assertNothingLeft(t, before, ended === undefined ? {} : watch.identity(ended.realm));
    });
  });
}

test.serial("[worker] an ArrayBuffer bomb is not bounded by heapMb: it grows the host's own memory until the CPU budget ends it", async t => {
  let peak = 0;
  const base = rssMb(process.pid);
  const { reason } = await exhaust(t, 'worker', {
    source: bufferBomb,
    budget: { heapMb: 8, cpuMs: 300 },
    reason: 'budget: cpu',
    meanwhile: async (_guest, over) => {
      while (!over()) {
        peak = Math.max(peak, rssMb(process.pid));
        await sleep(5);
      }
    },
  });
  t.log(`worker: the host's resident memory grew by ${(peak - base).toFixed(0)} MB under heapMb 8 before "${reason}"; ${(rssMb(process.pid) - base).toFixed(0)} MB above its start afterwards`);
  t.true(peak - base > 64, `the host's memory grew past the heap budget (${(peak - base).toFixed(0)} MB)`);
});

test.serial(`[process] an ArrayBuffer bomb ${kernelWallStatus().present ? 'meets the memory cgroup: "budget: heap"' : 'is not bounded by heapMb without the kernel wall: only the CPU budget ends it'}`, async t => {
  const kernel = kernelWallStatus().present;
  let peak = 0;
  const { reason } = await exhaust(t, 'process', {
    source: bufferBomb,
    budget: { heapMb: 8, cpuMs: 300 },
    reason: kernel ? 'budget: heap' : 'budget: cpu',
    meanwhile: async ({ pid }, over) => {
      while (pid !== undefined && !over()) {
        peak = Math.max(peak, rssMb(pid));
        await sleep(5);
      }
    },
  });
  t.log(`process: the guest's resident memory reached ${peak.toFixed(0)} MB under heapMb 8 before "${reason}"`);
  // The cgroup holds 40 MB of V8 heap / 0.7 ≈ 58 MB of anonymous memory (RSS also counts node's own
  // mapped code, some 40 MB, charged elsewhere); without it the bomb grows until the CPU budget.
  if (kernel) t.true(peak < 150, `resident memory stayed near the cgroup's limit (${peak.toFixed(0)} MB)`);
  else t.true(peak > 64, `resident memory grew past the heap budget (${peak.toFixed(0)} MB)`);
});

test.serial("[process] a V8 fatal error ('x'.repeat(2**28).split('')) ends the realm as crashed and the host survives", async t => {
  await exhaust(t, 'process', {
    source: `export const run = () => 'x'.repeat(2 ** 28).split('').length;`,
    reason: /^crashed|^budget: heap$/,
  });
});

test.serial('[process] a guest process killed from outside ends with "crashed: SIGKILL"', async t => {
  await exhaust(t, 'process', {
    source: spin,
    reason: 'crashed: SIGKILL',
    meanwhile: async ({ pid }) => {
      await sleep(50);
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    },
  });
});

for (const tier of remoteTiers) {
  test.serial(`[${tier}] an infinite loop runs past a 100 ms CPU budget by a few milliseconds at most (median of 15)`, async t => {
    const overshoots = await watchingSupervision(async watch => {
      const { host } = await makeTestHost();
      const out: number[] = [];
      // Spawned three at a time (an idle guest spends next to no CPU), run one at a time.
      for (let batch = 0; batch < 5; batch += 1) {
        const realms = await Promise.all([0, 1, 2].map(() => spawnGuest(t, host, tier, spin, { cpuMs: 100 })));
        for (const realm of realms) {
          call(realm, 'run').catch(() => {});
          t.is((await doneWithin(realm, BOUND_MS)).reason, 'budget: cpu');
          // The guest's CPU time as the supervisor stopped it.
          const used = watch.ended(realm.name)?.cpuMs;
          if (used !== undefined) out.push(used - 100);
        }
      }
      return out;
    });
    t.is(overshoots.length, 15);
    const sorted = [...overshoots].sort((a, b) => a - b);
    t.log(`${tier}: CPU past a 100 ms budget when stopped: median ${median(overshoots).toFixed(2)} ms, min ${sorted[0]!.toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)} ms`);
    // The native watchdog (a thread of its own on the kernel's CPU clock) holds the issue's 2 ms;
    // the /proc poller of a machine without the addon, a looser bound.
    const bound = kernelWallStatus().present ? 2 : 20;
    t.true(median(overshoots) <= bound, `median overshoot ${median(overshoots).toFixed(2)} ms (bound ${bound} ms)`);
  });
}

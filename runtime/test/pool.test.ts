/**
 * The warm pool of the process tier: a spawn takes a child started before
 * it asked (and the pool refills), the taken child is confined as the realm
 * asks (it joins the realm's cgroup), idle children are stopped, and a host
 * with a pool exits on its own leaving no process behind.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memory } from '@cathedral/powerbox';
import { createHost, kernelWallStatus } from '../src/index.js';
import { REFILL_MS, makePool } from '../src/tiers/pool.js';
import { call } from './_realm.js';
import { childPids, eventually, sleep, watchingSupervision } from './_supervision.js';

const quiet = () => {};

/** A child that is ready at once, for the pool's own bookkeeping. */
const fakeChild = () => {
  let alive = true;
  return { ready: Promise.resolve(), alive: () => alive, stop: () => void (alive = false) };
};

test('a take leaves the replacement off the spawn\'s path: fill starts it, and the pool itself at the latest REFILL_MS later', async t => {
  const pool = makePool<ReturnType<typeof fakeChild>>({ size: 1, idleMs: 60_000 });
  let started = 0;
  const start = () => {
    started += 1;
    return fakeChild();
  };
  pool.fill('kind', start);
  t.is(started, 1);
  t.true(await pool.whenReady('kind'));
  t.not(pool.take('kind', start), undefined, 'the ready child is taken');
  await sleep(0);
  t.is(started, 1, 'no replacement is started in the turn of the take or the next');
  pool.fill('kind', start);
  t.is(started, 2, "the supervisor's fill starts it");
  pool.fill('kind', start);
  t.is(started, 2, 'and a second fill does not start another');
  t.true(await pool.whenReady('kind'));
  t.not(pool.take('kind', start), undefined);
  await sleep(REFILL_MS + 50);
  t.is(started, 3, 'without a fill, the pool refills on its own');
  pool.close();
  t.is(pool.take('kind', start), undefined, 'a closed pool has nothing to take');
  await sleep(REFILL_MS + 50);
  t.is(started, 3, 'and starts nothing more');
});
const app = () => memory({ 'main.js': 'export const f = x => x + 1; export const bomb = () => { const a = []; for (;;) a.push(new Uint8Array(8 * 1024 * 1024).fill(1)); };' });

test.serial('[process] a spawn takes a warm child started before it asked, and the pool refills', async t => {
  await watchingSupervision(async watch => {
    const host = await createHost({ console: quiet, report: quiet, pool: { size: 2, idleMs: 60_000 } });
    t.true(await host.prewarm(), 'a warm child is ready');
    t.true(await eventually(() => childPids().length === 2, 60_000), `warm children: ${childPids().length}`);
    const warm = childPids();
    const second = await host.spawn({ tier: 'process', name: 'second', main: 'app://main.js', realms: { app: app() } });
    t.is(await call(second, 'f', 41), 42);
    const { pid } = watch.identity('second');
    t.true(pid !== undefined && warm.includes(pid), `the realm runs in a child started before the spawn (${pid} in ${warm.join(', ')})`);
    // Taken, it is replaced: one running realm and two warm children.
    t.true(await eventually(() => childPids().length === 3, 60_000), `children: ${childPids().length}`);
    await host.close();
    t.is((await second.done).reason, 'terminated');
    t.true(await eventually(() => childPids().length === 0, 5_000), 'close() stopped the warm children');
  });
});

test.serial('[process] a warm child is in a memory cgroup of its kind\'s limits: an ArrayBuffer bomb ends as "budget: heap"', async t => {
  if (!kernelWallStatus().present) {
    if (process.env.CATHEDRAL_REQUIRE_KERNEL === '1') t.fail(`the kernel wall is absent: ${kernelWallStatus().absent}`);
    else t.log(`skipped the cgroup half: ${kernelWallStatus().absent}`);
    return;
  }
  await watchingSupervision(async watch => {
    const host = await createHost({ console: quiet, report: quiet, pool: { size: 1, idleMs: 60_000 } });
    const spec = { tier: 'process' as const, main: 'app://main.js', realms: { app: app() }, budget: { heapMb: 32, cpuMs: 60_000 } };
    t.true(await host.prewarm({ budget: spec.budget }));
    const warm = childPids();
    const realm = await host.spawn({ ...spec, name: 'bomber' });
    const { pid } = watch.identity('bomber');
    t.true(pid !== undefined && warm.includes(pid));
    // Its own cgroup, made with the kind's limits when it was started, joined before exec.
    t.regex(readFileSync(`/proc/${pid}/cgroup`, 'latin1'), /memory:.*\/cathedral-pool-/);
    await t.throwsAsync(call(realm, 'bomb'));
    t.is((await realm.done).reason, 'budget: heap');
    await host.close();
  });
});

test.serial('[process] warm children unused for idleMs are stopped', async t => {
  const host = await createHost({ console: quiet, report: quiet, pool: { size: 1, idleMs: 500 } });
  t.true(await host.prewarm());
  t.is(childPids().length, 1, 'a warm child was started');
  await sleep(500);
  t.true(await eventually(() => childPids().length === 0, 5_000), `no child left after idleMs: ${childPids().join(', ')}`);
});

test.serial('a host with a pool exits on its own, leaving no guest process behind', t => {
  const script = `
    import { memory } from '@cathedral/powerbox';
    import { createHost } from '@cathedral/runtime';
    const host = await createHost({ console: () => {}, report: () => {}, pool: { size: 2 } });
    await host.prewarm();
    const realm = await host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: memory({ 'main.js': 'export const f = () => 1;' }) } });
    await realm.exports.f();
    await realm.terminate();
    await host.prewarm(); // and the one taken is replaced
    console.log(process.pid);
  `;
  const cwd = fileURLToPath(new URL('../../..', import.meta.url));
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', timeout: 90_000 });
  t.is(run.status, 0, run.stderr);
  const hostPid = Number(run.stdout.trim());
  // Any process whose parent was that host and that still runs guest-main.
  const left = spawnSync('pgrep', ['-f', 'guest-main.js'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).filter(pid => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === hostPid || Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === 1;
    } catch {
      return false;
    }
  });
  t.deepEqual(left, []);
});

/**
 * The process tier behind the kernel wall: what `enforcedBy` reports, limits
 * marked `required`, and the off-heap bomb the memory cgroup stops. Tests of
 * a mechanism skip, visibly, where the machine lacks it; with
 * CATHEDRAL_REQUIRE_KERNEL=1 (as in CI) they fail instead.
 */
import test, { type ExecutionContext } from 'ava';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import { kernelWallStatus } from '../src/index.js';
import { call, makeTestHost } from './_realm.js';

const wall = kernelWallStatus();
const withKernel = (title: string, body: (t: ExecutionContext) => Promise<void>): void => {
  if (wall.present) test.serial(title, body);
  else if (process.env.CATHEDRAL_REQUIRE_KERNEL === '1') test.serial(title, t => t.fail(`required by CATHEDRAL_REQUIRE_KERNEL=1 but the kernel wall is absent: ${wall.absent}`));
  else test.skip(`${title} (skipped: ${wall.absent})`, body);
};

const app = () => memory({ 'main.js': 'export const f = x => x + 1; export const bomb = () => { const a = []; for (;;) a.push(new Uint8Array(8 * 1024 * 1024).fill(1)); };' });

withKernel('[process] a realm starts behind the launcher and its cgroups, and enforcedBy says so', async t => {
  const { host } = await makeTestHost();
  const realm = await host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: app() }, budget: { heapMb: 64 }, required: ['kernel', 'heapMb', 'net.connect'], ceiling: ['fs.read'] });
  t.is(await call(realm, 'f', 1), 2);
  t.regex(realm.enforcedBy['kernel'] ?? '', /^launcher: Landlock, seccomp, uid \d+/);
  t.regex(realm.enforcedBy['heapMb'] ?? '', /inside a memory cgroup of \d+ MB \(ArrayBuffers counted/);
  t.regex(realm.enforcedBy['pids'] ?? '', /pids cgroup/);
  await realm.terminate();
});

withKernel('[process] an ArrayBuffer bomb meets the memory cgroup: "budget: heap", the host alive', async t => {
  const { host } = await makeTestHost();
  const realm = await host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: app() }, budget: { heapMb: 64, cpuMs: 60_000 } });
  const started = Date.now();
  const error = await t.throwsAsync(call(realm, 'bomb'));
  t.true(isCathedralError(error, 'REVOKED'));
  t.is((await realm.done).reason, 'budget: heap');
  t.log(`stopped after ${Date.now() - started} ms of wall time`);
  const again = await host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: app() } });
  t.is(await call(again, 'f', 41), 42);
  await again.terminate();
});

test('required - kernel-held limits need the process tier, and every entry must name a limit the spawn sets', async t => {
  const { host } = await makeTestHost();
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ tier: 'worker', required: ['net.connect'], ceiling: ['fs.read'] }, 'UNSUPPORTED', /the worker tier has no kernel wall to hold net\.connect/],
    [{ tier: 'compartment', required: ['kernel'] }, 'UNSUPPORTED', /the compartment tier has no kernel wall/],
    [{ tier: 'process', required: ['heapMb'] }, 'INVALID_ARGUMENT', /budget\.heapMb is required but not asked/],
    [{ tier: 'process', required: ['net.connect'] }, 'INVALID_ARGUMENT', /"net\.connect" is in the ceiling/],
    [{ tier: 'process', required: ['everything'] }, 'INVALID_ARGUMENT', /unknown limit "everything"/],
  ];
  for (const [extra, code, pattern] of cases) {
    const error = await t.throwsAsync(host.spawn({ main: 'app://main.js', realms: { app: app() }, ...extra } as never));
    t.true(isCathedralError(error, code as never), `${JSON.stringify(extra)} → ${String(error)}`);
    t.regex(error!.message, pattern);
  }
  t.is(host.ps().length, 0);
});

test('required - a host with the kernel wall off refuses a spawn that requires it, and says how to see why', async t => {
  const { createHost } = await import('../src/index.js');
  const host = await createHost({ console: () => {}, report: () => {}, kernel: 'off' });
  const error = await t.throwsAsync(host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: app() }, budget: { heapMb: 64 }, required: ['heapMb'] }));
  t.true(isCathedralError(error, 'UNSUPPORTED'));
  t.regex(error!.message, /heapMb is marked required, but the kernel wall is absent: the host was made with kernel: "off"/);
  t.regex(error!.message, /doctor/);
  // Not required: the spawn goes ahead and reports what holds the heap.
  const realm = await host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: app() }, budget: { heapMb: 64 } });
  t.regex(realm.enforcedBy['kernel'] ?? '', /^absent: the host was made with kernel: "off"/);
  t.regex(realm.enforcedBy['heapMb'] ?? '', /ArrayBuffers not counted/);
  await realm.terminate();
});

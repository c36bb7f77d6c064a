import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { discoverCgroups, makeRealmCgroup, parseMountinfo, parseProcCgroup, type CgroupLayout } from '../src/cgroups.js';
import { kernelTest } from './_kernel.js';

const layout = discoverCgroups();
const missing = (...names: ('memory' | 'pids' | 'cpu')[]): string | undefined => {
  for (const name of names) {
    const state = layout.controllers[name];
    if (!state.available) return `cgroup ${name} controller: ${state.why}`;
    if (!state.writable) return `cgroup ${name} controller not writable: ${state.why ?? ''}`;
  }
  return undefined;
};

const v1Cgroup = '4:memory:/process_api/abc\n8:pids:/\n1:cpu:/\n2:cpuacct:/\n0::/\n';
const v1Mounts = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids ro,relatime - cgroup cgroup rw,pids',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

test('cgroups - v1 discovery maps each controller to its own mount and the host\u2019s path, and reports read-only mounts', t => {
  const found = discoverCgroups({ procCgroup: v1Cgroup, mountinfo: v1Mounts, readFile: () => 'hugetlb\n', writable: () => true });
  t.like(found.controllers.memory, { available: true, version: 1, dir: '/sys/fs/cgroup/memory/process_api/abc', writable: true });
  t.like(found.controllers.cpu, { available: true, version: 1, dir: '/sys/fs/cgroup/cpu' });
  t.like(found.controllers.pids, { available: true, version: 1, writable: false, why: 'mounted read-only' });
});

test('cgroups - v2 discovery uses the unified mount when the host\u2019s cgroup lists the controller', t => {
  const found = discoverCgroups({
    procCgroup: '0::/user.slice/app.scope\n',
    mountinfo: '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate',
    readFile: path => (path === '/sys/fs/cgroup/user.slice/app.scope/cgroup.controllers' ? 'cpu memory\n' : undefined),
    writable: () => true,
  });
  t.like(found.controllers.memory, { available: true, version: 2, dir: '/sys/fs/cgroup/user.slice/app.scope' });
  t.like(found.controllers.cpu, { available: true, version: 2 });
  t.like(found.controllers.pids, { available: false, why: 'not enabled in the host\u2019s cgroup' });
});

test('cgroups - a mount of a cgroup subtree (a container) maps paths under its root, with escapes unescaped', t => {
  const mounts = parseMountinfo('50 1 0:40 /kube/pod1 /sys/fs/cgroup/my\\040mem rw - cgroup cgroup rw,memory');
  t.is(mounts[0]?.mountPoint, '/sys/fs/cgroup/my mem');
  const found = discoverCgroups({ procCgroup: '3:memory:/kube/pod1/c\n', mountinfo: '50 1 0:40 /kube/pod1 /m rw - cgroup cgroup rw,memory', writable: () => true });
  t.like(found.controllers.memory, { available: true, dir: '/m/c' });
  t.deepEqual(parseProcCgroup('0::/\n').map(l => [l.id, l.controllers.length, l.path]), [[0, 0, '/']]);
});

test('cgroups - this host\u2019s discovery agrees with /proc/self/cgroup', t => {
  const lines = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  for (const name of ['memory', 'cpu', 'pids'] as const) {
    const state = layout.controllers[name];
    const line = lines.find(l => l.controllers.includes(name));
    if (!state.available) {
      t.log(`${name}: ${state.why}`);
      continue;
    }
    t.true(existsSync(state.dir), state.dir);
    if (line !== undefined && state.version === 1) t.true(state.dir.replace(/\/$/, '').endsWith(line.path === '/' ? '' : line.path), `${state.dir} vs ${line.path}`);
  }
});

test('cgroups - a limit whose controller is unavailable is refused with UnsupportedError, and bad limits are invalid', t => {
  const none: CgroupLayout = discoverCgroups({ procCgroup: '0::/\n', mountinfo: '' });
  const error = t.throws(() => makeRealmCgroup('r', { pids: 3 }, none)) as unknown as { code: string; message: string };
  t.is(error.code, 'UNSUPPORTED');
  t.regex(error.message, /pids controller is unavailable \(not mounted\)/);
  t.throws(() => makeRealmCgroup('r', { memoryBytes: 10 }, none), { code: 'INVALID_ARGUMENT' } as never);
  t.throws(() => makeRealmCgroup('../x', {}, none), { code: 'INVALID_ARGUMENT' } as never);
  t.throws(() => makeRealmCgroup('r', { cpuRate: -1 }, none), { code: 'INVALID_ARGUMENT' } as never);
});

/** A child that joins `cg` itself, then runs `script`. */
const joinAndRun = (procsFiles: readonly string[], script: string) =>
  spawn('sh', ['-c', `for f in ${procsFiles.map(f => `'${f}'`).join(' ')}; do echo $$ > "$f" || exit 90; done; ${script}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });

const finished = (child: ReturnType<typeof spawn>) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(resolve => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });

kernelTest('cgroups - a realm\u2019s memory limit OOM-kills a child that allocates past it, reason() says so, the host lives', missing('memory'), async t => {
  const cg = makeRealmCgroup('oom-test', { memoryBytes: 96 * 2 ** 20 });
  try {
    const bomb = `exec "${process.execPath}" -e 'const keep = []; for (let i = 0; i < 64; i++) keep.push(Buffer.alloc(16 * 2 ** 20, 1)); console.log("survived")'`;
    const child = joinAndRun(cg.procsFiles, bomb);
    const out = await finished(child);
    t.is(out.signal ?? (out.code === 137 ? 'SIGKILL' : null), 'SIGKILL', `exit ${out.code} ${out.signal} ${out.stderr}`);
    const why = cg.reason();
    t.is(why.reason, 'oom-kill');
    t.true((why.oomKills ?? 0) >= 1);
    // The host is alive and can still allocate.
    t.is(Buffer.alloc(2 ** 20, 2)[5], 2);
  } finally {
    await cg.remove();
  }
  for (const dir of Object.values(cg.dirs)) t.false(existsSync(dir), dir);
});

kernelTest('cgroups - pids.max holds: a child cannot fork past it', missing('pids'), async t => {
  const cg = makeRealmCgroup('pids-test', { pids: 4 });
  try {
    const child = joinAndRun(cg.procsFiles, 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; sleep 0.3; cat "$PIDS_CURRENT"; kill $(jobs -p) 2>/dev/null; exit 0');
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const out = await finished(child);
    t.regex(out.stderr, /fork|resource temporarily unavailable/i);
    t.true((cg.reason().pidsRefused ?? 0) >= 1);
    t.log(`pids.current seen inside: ${stdout.trim() || '(cat could not fork)'}, forks refused: ${cg.reason().pidsRefused}`);
  } finally {
    await cg.remove();
  }
  for (const dir of Object.values(cg.dirs)) t.false(existsSync(dir), dir);
});

kernelTest('cgroups - remove() kills remaining members, removes every directory, and is idempotent', missing('memory', 'pids'), async t => {
  const cg = makeRealmCgroup('remove-test', { memoryBytes: 64 * 2 ** 20, pids: 16, cpuRate: missing('cpu') === undefined ? 0.5 : undefined } as never);
  const child = joinAndRun(cg.procsFiles, 'sleep 30');
  const out = finished(child);
  await new Promise(resolve => setTimeout(resolve, 100));
  t.true((cg.usage().pids ?? 0) >= 1);
  t.true((cg.usage().memoryBytes ?? 0) > 0);
  if (cg.dirs.cpu !== undefined) t.is(readFileSync(`${cg.dirs.cpu}/${existsSync(`${cg.dirs.cpu}/cpu.max`) ? 'cpu.max' : 'cpu.cfs_quota_us'}`, 'utf8').trim().split(' ')[0], '50000');
  await Promise.all([cg.remove(), cg.remove()]);
  t.is((await out).signal, 'SIGKILL');
  for (const dir of Object.values(cg.dirs)) t.false(existsSync(dir), dir);
  await cg.remove();
});

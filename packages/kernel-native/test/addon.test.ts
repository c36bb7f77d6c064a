import test from 'ava';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addon, addonStatus } from '../src/addon.js';
import { probe, statusField } from '../src/probe.js';
import { currentTid, procCpuNs, processCpuNs, threadCpuNs } from '../src/clock.js';
import { closeFd, openBeneath, readBeneath } from '../src/openat2.js';
import { delay, kernelTest } from './_kernel.js';

const native = addon();
const noAddon = native === undefined ? `the addon is not loaded (${addonStatus().loaded ? '' : (addonStatus() as { reason: string }).reason})` : undefined;

test('addon - loads, or says why not', t => {
  const status = addonStatus();
  if (status.loaded) t.truthy(native);
  else {
    t.is(native, undefined);
    t.regex(status.reason, /not built|failed to load|platform/);
  }
});

kernelTest('probe - answers agree with /proc and the process', noAddon, t => {
  const p = probe();
  t.is(p.source, 'addon');
  t.is(p.seccompMode, Number(statusField('Seccomp')));
  t.is(p.noNewPrivs, statusField('NoNewPrivs') === '1');
  t.is(p.root, process.geteuid?.() === 0);
  const lsm = existsSync('/sys/kernel/security/lsm') ? readFileSync('/sys/kernel/security/lsm', 'utf8') : undefined;
  if (lsm !== undefined) t.is((p.landlockAbi ?? 0) > 0, lsm.split(',').includes('landlock'), `lsm list: ${lsm}`);
  const [major = 0, minor = 0] = readFileSync('/proc/sys/kernel/osrelease', 'utf8').split('.').map(Number);
  t.is(p.openat2, major > 5 || (major === 5 && minor >= 6));
  t.log(`landlock ABI ${p.landlockAbi}, seccomp filter ${p.seccompFilter}, openat2 ${p.openat2}`);
});

kernelTest('clock - currentTid is the tid /proc/thread-self names', noAddon, t => {
  const link = readlinkSync('/proc/thread-self');
  t.is(currentTid(), Number(link.slice(link.lastIndexOf('/') + 1)));
});

kernelTest('clock - the thread clock of a spinning worker advances, and reads undefined once it is gone', noAddon, async t => {
  const worker = new Worker(
    `const { readlinkSync } = require('node:fs'); const { parentPort } = require('node:worker_threads');
     const link = readlinkSync('/proc/thread-self'); parentPort.postMessage(Number(link.slice(link.lastIndexOf('/') + 1)));
     const end = Date.now() + 1500; while (Date.now() < end) {}`,
    { eval: true },
  );
  const tid = await new Promise<number>(resolve => worker.once('message', resolve));
  const before = threadCpuNs(tid);
  const mainBefore = threadCpuNs(currentTid());
  await delay(300);
  const after = threadCpuNs(tid);
  const mainAfter = threadCpuNs(currentTid());
  t.true(before !== undefined && after !== undefined);
  const spun = (after as number) - (before as number);
  t.true(spun > 20e6, `the worker spun ${spun / 1e6} ms of CPU in 300 ms`);
  // The main thread was idle meanwhile: its clock is a different clock.
  t.true((mainAfter as number) - (mainBefore as number) < spun);
  await worker.terminate();
  await delay(50);
  t.is(threadCpuNs(tid), undefined);
});

kernelTest('clock - the process clock of a spinning child advances and agrees with /proc', noAddon, async t => {
  const child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  try {
    await delay(200);
    const a = processCpuNs(child.pid as number) as number;
    await delay(300);
    const b = processCpuNs(child.pid as number) as number;
    const proc = procCpuNs(child.pid as number) as number;
    t.true(b - a > 20e6, `the child spun ${(b - a) / 1e6} ms`);
    // /proc counts in 10 ms ticks and was read after b.
    t.true(Math.abs(proc - b) < 60e6, `proc ${proc / 1e6} ms, clock ${b / 1e6} ms`);
  } finally {
    child.kill('SIGKILL');
    await new Promise(resolve => child.once('exit', resolve));
  }
  t.is(processCpuNs(child.pid as number), undefined);
});

const tree = () => {
  const base = mkdtempSync(join(tmpdir(), 'kn-openat2-'));
  const root = join(base, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'file.txt'), 'inside');
  writeFileSync(join(root, 'sub', 'deep.txt'), 'deep');
  writeFileSync(join(base, 'secret.txt'), 'outside');
  symlinkSync(join(base, 'secret.txt'), join(root, 'abs-link'));
  symlinkSync('file.txt', join(root, 'rel-link'));
  symlinkSync('..', join(root, 'sub', 'up'));
  linkSync(join(base, 'secret.txt'), join(root, 'hard.txt'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  writeFileSync(join(root, 'big.bin'), new Uint8Array(70_000));
  return { base, root, done: () => rmSync(base, { recursive: true, force: true }) };
};

kernelTest('openat2 - refuses .., absolute paths, symlinks and magic links with their errno', noAddon, t => {
  const { root, done } = tree();
  const dir = native?.openDir(root) as number;
  try {
    const refused: [string, string][] = [
      ['../secret.txt', 'EXDEV'],
      ['sub/../../secret.txt', 'EXDEV'],
      ['/etc/passwd', 'EXDEV'],
      ['abs-link', 'ELOOP'],
      ['rel-link', 'ELOOP'],
      ['sub/up/file.txt', 'ELOOP'],
      ['/proc/self/root/etc/passwd', 'EXDEV'],
      ['missing', 'ENOENT'],
    ];
    for (const [path, errno] of refused) t.deepEqual(openBeneath(dir, path), { errno }, path);
    t.throws(() => openBeneath(dir, 'file.txt\0x'), { instanceOf: TypeError });
    const opened = openBeneath(dir, 'sub/deep.txt') as { fd: number };
    const buf = Buffer.alloc(16);
    const n = readSync(opened.fd, buf);
    closeFd(opened.fd);
    t.is(buf.subarray(0, n).toString(), 'deep');
  } finally {
    closeFd(dir);
    done();
  }
  // The host's files are intact.
  t.regex(readFileSync('/etc/passwd', 'utf8'), /^root:/);
});

kernelTest('openat2 - readBeneath returns a plain file\u2019s bytes and refuses everything else', noAddon, t => {
  const { root, done } = tree();
  const dir = native?.openDir(root) as number;
  try {
    t.is(Buffer.from(readBeneath(dir, 'file.txt', 1000) as Uint8Array).toString(), 'inside');
    t.is(Buffer.from(readBeneath(dir, 'sub/deep.txt', 4) as Uint8Array).toString(), 'deep');
    const cases: [string, number, string][] = [
      ['../secret.txt', 100, 'EXDEV'],
      ['abs-link', 100, 'ELOOP'],
      ['rel-link', 100, 'ELOOP'],
      ['hard.txt', 100, 'EMLINK'],
      ['fifo', 100, 'ENOTREG'],
      ['sub', 100, 'EISDIR'],
      ['big.bin', 65_536, 'EFBIG'],
      ['missing', 100, 'ENOENT'],
    ];
    for (const [path, max, errno] of cases) t.deepEqual(readBeneath(dir, path, max), { errno }, path);
    t.is((readBeneath(dir, 'big.bin', 70_000) as Uint8Array).length, 70_000);
  } finally {
    closeFd(dir);
    done();
  }
});

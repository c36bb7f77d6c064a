import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { addon } from '../src/addon.js';
import { processCpuNs } from '../src/clock.js';
import { runningWatchdogs, watchCpu } from '../src/watchdog.js';
import { delay, kernelTest, median } from './_kernel.js';

const noAddon = addon() === undefined ? 'the addon is not loaded' : undefined;

const spinner = async (): Promise<ChildProcess> => {
  const child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  // Let it start spinning, so the limit is met by the loop, not by Node's startup.
  await delay(100);
  return child;
};
const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.signalCode)
    : new Promise<NodeJS.Signals | null>(resolve => child.once('exit', (_code, signal) => resolve(signal)));

kernelTest('watchdog - kills a spinning child within a small CPU overshoot (median over 10 runs)', noAddon, async t => {
  // At the kill: CPU the child had used when SIGKILL was sent (what the guest ran past its budget).
  // At death: also the kernel's own teardown of the dying process (unmapping V8's heap), charged to it.
  const overshoots: number[] = [];
  const atDeath: number[] = [];
  for (let run = 0; run < 10; run += 1) {
    const child = await spinner();
    const limitNs = (processCpuNs(child.pid as number) as number) + 30e6;
    const dog = watchCpu({ kind: 'process', id: child.pid as number, limitNs, action: 'kill' });
    const event = await dog.done;
    t.is(event.outcome, 'fired');
    t.is(await exited(child), 'SIGKILL');
    overshoots.push(((event.cpuNs as number) - limitNs) / 1e6);
    if (event.finalNs !== undefined) atDeath.push((event.finalNs - limitNs) / 1e6);
  }
  const mid = median(overshoots);
  t.log(`CPU past the limit when SIGKILL was sent, ms: median ${mid.toFixed(3)}, all ${overshoots.map(o => o.toFixed(3)).join(' ')}`);
  if (atDeath.length > 0) t.log(`CPU past the limit at death (incl. kernel teardown), ms: median ${median(atDeath).toFixed(3)} over ${atDeath.length} runs`);
  // The target. (Another process's CPU clock may lag by up to a scheduler tick: see addon-watchdog.cc.)
  t.true(mid < 2, `median overshoot ${mid} ms`);
  t.is(runningWatchdogs(), 0);
});

kernelTest('watchdog - notifies for a spinning worker thread, and the host terminates it', noAddon, async t => {
  const worker = new Worker(
    `const { readlinkSync } = require('node:fs'); const { parentPort } = require('node:worker_threads');
     const link = readlinkSync('/proc/thread-self'); parentPort.postMessage(Number(link.slice(link.lastIndexOf('/') + 1)));
     for (;;) {}`,
    { eval: true },
  );
  const tid = await new Promise<number>(resolve => worker.once('message', resolve));
  const start = Date.now();
  let fired = 0;
  const dog = watchCpu({ kind: 'thread', id: tid, limitNs: 100e6, action: 'notify', onFire: () => { fired += 1; void worker.terminate(); } });
  const event = await dog.done;
  const code = await new Promise<number>(resolve => worker.once('exit', resolve));
  t.is(event.outcome, 'fired');
  t.is(fired, 1);
  t.is(code, 1);
  t.true((event.cpuNs as number) >= 100e6);
  t.log(`thread CPU at notification: ${((event.cpuNs as number) / 1e6).toFixed(3)} ms for a 100 ms limit, ${Date.now() - start} ms wall`);
  t.is(runningWatchdogs(), 0);
  // The host thread is alive and well.
  t.is(readlinkSync('/proc/self').length > 0, true);
});

kernelTest('watchdog - cancel stops it at once, joins its thread and never fires', noAddon, async t => {
  const child = spawn('sleep', ['10'], { stdio: 'ignore' });
  await delay(20);
  const dog = watchCpu({ kind: 'process', id: child.pid as number, limitNs: 1e9, action: 'kill' });
  t.is(runningWatchdogs(), 1);
  t.true(dog.cancel());
  t.false(dog.cancel());
  t.is(runningWatchdogs(), 0);
  t.deepEqual(await dog.done, { outcome: 'cancelled', cpuNs: undefined, finalNs: undefined });
  await delay(50);
  t.is(child.exitCode, null);
  t.is(child.signalCode, null);
  child.kill('SIGKILL');
  await exited(child);
});

kernelTest('watchdog - a process that exits first is reported gone, without a kill', noAddon, async t => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 100)'], { stdio: 'ignore' });
  await delay(20);
  const dog = watchCpu({ kind: 'process', id: child.pid as number, limitNs: 10e9, action: 'kill' });
  t.is((await dog.done).outcome, 'gone');
  t.is(await exited(child), null);
  t.is(child.exitCode, 0);
  t.is(runningWatchdogs(), 0);
});

test('watchdog - bad options are refused with InvalidArgumentError', t => {
  if (addon() === undefined) {
    t.throws(() => watchCpu({ kind: 'process', id: 1, limitNs: 1, action: 'kill' }), { code: 'UNSUPPORTED' } as never);
    return;
  }
  t.throws(() => watchCpu({ kind: 'thread', id: 1, limitNs: 1, action: 'kill' }), { code: 'INVALID_ARGUMENT' } as never);
  t.throws(() => watchCpu({ kind: 'process', id: -1, limitNs: 1, action: 'kill' }), { code: 'INVALID_ARGUMENT' } as never);
  t.throws(() => watchCpu({ kind: 'process', id: 0x3ffffff0, limitNs: 1, action: 'kill' }), { code: 'INVALID_ARGUMENT', message: /cannot be read \(ESRCH\)/ } as never);
});

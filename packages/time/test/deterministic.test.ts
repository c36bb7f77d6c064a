import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { deterministic } from '../src/index.js';

/** Drives a bundle the same way and answers what it observed. */
const script = async (seed: number) => {
  const run = deterministic({ seed, start: 1_000 });
  const seen: unknown[] = [await run.clock.now(), Array.from(await run.random.getRandomValues(5))];
  await run.timers.setTimeout(async () => seen.push(['t', await run.clock.now(), await run.random.random()]), 7);
  await run.control.advance(10);
  seen.push(await run.clock.monotonic());
  return { run, seen };
};

test('deterministic - the same seed and advances give the same observations; the host alone moves time', async t => {
  const a = await script(99);
  const b = await script(99);
  t.deepEqual(a.seen, b.seen);
  t.deepEqual((a.seen[2] as unknown[]).slice(0, 2), ['t', 1_007]);
  t.is(a.seen[3], 10);
  t.notDeepEqual((await script(100)).seen, a.seen);
});

test('deterministic - cancelAll ends the bundle\'s timers', async t => {
  const run = deterministic({ seed: 1 });
  let fired = false;
  await run.timers.setTimeout(() => (fired = true), 1);
  run.cancelAll('done');
  await run.control.advance(5);
  t.false(fired);
  t.is(run.control.pending(), 0);
  t.true(isCathedralError(await t.throwsAsync(run.timers.sleep(1)), 'REVOKED'));
});

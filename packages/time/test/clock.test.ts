import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { makeClock, makeVirtualClock } from '../src/index.js';

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

test('makeClock - now() reads the host wall clock and monotonic() moves forward with real time', async t => {
  const clock = makeClock();
  const before = Date.now();
  const wall = await clock.now();
  t.true(wall >= before && wall <= Date.now(), `${wall} within [${before}, ${Date.now()}]`);
  const m1 = await clock.monotonic();
  await pause(30);
  const m2 = await clock.monotonic();
  t.true(m2 - m1 >= 25, `monotonic advanced by ${m2 - m1} ms over a 30 ms pause`);
  t.not(m1 % 1, 0, 'monotonic readings have a fractional part (high resolution)'); // performance.now() is fractional
});

test('makeClock - resolutionMs rounds readings down', async t => {
  let mono = 5000;
  const clock = makeClock({ now: () => 1234.5, monotonic: () => mono, resolutionMs: 100 });
  t.is(await clock.now(), 1200);
  mono += 199.9;
  t.is(await clock.monotonic(), 100);
});

test('makeClock - monotonic() counts from when the clock was made, not from the host process\'s start', async t => {
  const clock = makeClock();
  const first = await clock.monotonic();
  t.true(first >= 0 && first < performance.now(), `${first} is not the host's uptime ${performance.now()}`);
  t.true(first < 50);
});

test('makeVirtualClock - time moves only when the host advances it', async t => {
  const { clock, control } = makeVirtualClock({ start: 1_000_000 });
  t.is(await clock.now(), 1_000_000);
  t.is(await clock.monotonic(), 0);
  await pause(20);
  t.is(await clock.now(), 1_000_000, 'real time passing does not move it');
  await control.advance(250);
  t.is(await clock.now(), 1_000_250);
  t.is(await clock.monotonic(), 250);
  t.is(control.now(), 1_000_250);
});

test('makeVirtualClock - set() moves the wall clock only, never the monotonic one', async t => {
  const { clock, control } = makeVirtualClock({ start: 500 });
  await control.advance(10);
  control.set(42);
  t.is(await clock.now(), 42);
  t.is(await clock.monotonic(), 10);
  await control.advance(5);
  t.is(await clock.now(), 47);
  t.is(await clock.monotonic(), 15);
});

test('makeVirtualClock - advancing by a negative, NaN or non-number amount is refused with InvalidArgumentError', async t => {
  const { control } = makeVirtualClock();
  for (const bad of [-1, Number.NaN, Infinity, '10', { valueOf: () => 10 }]) {
    const error = t.throws(() => control.advance(bad as number));
    t.true(isCathedralError(error, 'INVALID_ARGUMENT'), String(error));
    t.regex(error!.message, /^advance "ms": /);
  }
  t.is(control.monotonic(), 0);
});

test('the clock capability exposes no way to move time', t => {
  const { clock } = makeVirtualClock();
  t.deepEqual(Object.keys(clock).sort(), ['monotonic', 'now']);
});

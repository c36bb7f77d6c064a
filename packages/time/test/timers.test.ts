import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { Far } from '@endo/far';
import { type HostTimers, makeClock, makeHandleMeter, makeTimers, makeVirtualClock } from '../src/index.js';

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Node's own timers, ref'd, so `process.getActiveResourcesInfo()` sees them. */
const refTimers: HostTimers = {
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
const hostTimeouts = () => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length;

test('virtual timers - fire only at advance, in order of due time then creation, each seeing its own due time', async t => {
  const { clock, control } = makeVirtualClock({ start: 1000 });
  const { timers } = makeTimers(clock);
  const fired: Array<[string, number]> = [];
  const note = (name: string) => async () => {
    fired.push([name, await clock.monotonic()]);
  };
  await timers.setTimeout(note('c@30'), 30);
  await timers.setTimeout(note('a@10'), 10);
  await timers.setTimeout(note('b1@20'), 20);
  await timers.setTimeout(note('b2@20'), 20);
  await pause(40);
  t.deepEqual(fired, [], 'nothing fires while the host does not advance');
  await control.advance(20);
  t.deepEqual(fired, [['a@10', 10], ['b1@20', 20], ['b2@20', 20]]);
  await control.advance(9);
  t.is(fired.length, 3);
  await control.advance(1);
  t.deepEqual(fired.at(-1), ['c@30', 30]);
  t.is(control.pending(), 0);
});

test('virtual timers - an interval fires every period until cleared, and a callback is awaited before the next firing', async t => {
  const { clock, control } = makeVirtualClock();
  const { timers } = makeTimers(clock);
  const events: string[] = [];
  let ticks = 0;
  const id = await timers.setInterval(async () => {
    ticks += 1;
    events.push(`tick ${ticks} start @${await clock.monotonic()}`);
    await pause(5); // real time passing inside a callback does not let the next firing overtake it
    events.push(`tick ${ticks} end`);
    if (ticks === 3) await timers.clearInterval(id);
  }, 10);
  await timers.setTimeout(() => events.push('timeout @15'), 15);
  await control.advance(100);
  t.deepEqual(events, ['tick 1 start @10', 'tick 1 end', 'timeout @15', 'tick 2 start @20', 'tick 2 end', 'tick 3 start @30', 'tick 3 end']);
  t.is(control.pending(), 0);
});

test('virtual timers - sleep settles at its due time; clearTimeout cancels a timer', async t => {
  const { clock, control } = makeVirtualClock();
  const { timers } = makeTimers(clock);
  let woke = false;
  const sleeping = timers.sleep(50).then(() => {
    woke = true;
  });
  let fired = false;
  const id = await timers.setTimeout(() => {
    fired = true;
  }, 10);
  await timers.clearTimeout(id);
  await control.advance(49);
  t.false(woke);
  await control.advance(1);
  await sleeping;
  t.true(woke);
  t.false(fired);
});

test('virtual timers - a chain of zero-delay timers cannot keep an advance running forever', async t => {
  const { clock, control } = makeVirtualClock({ maxFirings: 50 });
  const { timers } = makeTimers(clock);
  const again = async () => {
    await timers.setTimeout(again, 0);
  };
  await timers.setTimeout(again, 0);
  const error = await t.throwsAsync(control.advance(1));
  t.true(isCathedralError(error, 'BUDGET_EXCEEDED'));
  t.regex(error!.message, /more than 50 timers fired within one advance/);
});

test('real timers - a timeout fires after its delay through the host timers, an interval repeats', async t => {
  const { timers } = makeTimers(makeClock());
  const started = performance.now();
  let at = 0;
  await new Promise<void>(resolve => {
    void timers.setTimeout(() => {
      at = performance.now() - started;
      resolve();
    }, 30);
  });
  t.true(at >= 28, `fired after ${at} ms`);
  let ticks = 0;
  const id = await timers.setInterval(() => {
    ticks += 1;
  }, 5);
  await pause(60);
  await timers.clearInterval(id);
  const seen = ticks;
  t.true(seen >= 3, `${seen} ticks in 60 ms`);
  await pause(30);
  t.is(ticks, seen, 'no tick after clearInterval');
});

// Serial: they count the process's host timers, which concurrent tests' pauses would change.
test.serial('real timers - cancelAll clears every host timer: no callback fires and no host timer is left', async t => {
  const baseline = hostTimeouts();
  const set = makeTimers(makeClock({ hostTimers: refTimers }));
  let fired = 0;
  await set.timers.setTimeout(() => (fired += 1), 40);
  await set.timers.setInterval(() => (fired += 1), 40);
  const sleeping = set.timers.sleep(40);
  t.is(hostTimeouts(), baseline + 3);
  t.is(set.active, 3);
  set.cancelAll('the realm ended (test)');
  t.is(hostTimeouts(), baseline);
  t.is(set.active, 0);
  const refusal = await t.throwsAsync(sleeping);
  t.true(isCathedralError(refusal, 'REVOKED'));
  await pause(80);
  t.is(fired, 0);
  const later = await t.throwsAsync(set.timers.setTimeout(() => {}, 1));
  t.true(isCathedralError(later, 'REVOKED'));
  t.regex(later!.message, /the realm ended \(test\)/);
});

test.serial('default real timers are unref\'d: a guest timer does not keep the host process alive', async t => {
  const baseline = hostTimeouts();
  const set = makeTimers(makeClock());
  await set.timers.setTimeout(() => {}, 10_000);
  t.is(set.active, 1);
  t.is(hostTimeouts(), baseline, 'the pending timer is not an active (ref\'d) resource');
  set.cancelAll();
});

test('handles - the n+1th pending timer is refused with BudgetExceededError; a cleared or fired timer gives its handle back', async t => {
  const { clock, control } = makeVirtualClock();
  const { timers } = makeTimers(clock, { handles: 2, realm: 'plugin' });
  const first = await timers.setTimeout(() => {}, 10);
  await timers.setInterval(() => {}, 10);
  const error = await t.throwsAsync(timers.sleep(5));
  t.true(isCathedralError(error, 'BUDGET_EXCEEDED'));
  t.is(error!.message, 'sleep "budget.handles" in realm "plugin": the realm already holds 2 of its 2 handles. Rule: a realm holds at most budget.handles open handles (timers, sleeps, connections) at once. To allow it: clear a timer no longer needed, or spawn the realm with a larger budget.handles.');
  await timers.clearTimeout(first);
  const third = await timers.setTimeout(() => {}, 5);
  t.true(isCathedralError(await t.throwsAsync(timers.setTimeout(() => {}, 5)), 'BUDGET_EXCEEDED'));
  await control.advance(5); // `third` fires and gives its handle back
  t.truthy(third);
  t.truthy(await timers.setTimeout(() => {}, 5));
});

test('handles - one meter shared by two timer sets bounds their sum', async t => {
  const meter = makeHandleMeter({ limit: 1, realm: 'r' });
  const { clock } = makeVirtualClock();
  const a = makeTimers(clock, { handles: meter });
  const b = makeTimers(clock, { handles: meter });
  await a.timers.setTimeout(() => {}, 1);
  t.true(isCathedralError(await t.throwsAsync(b.timers.setTimeout(() => {}, 1)), 'BUDGET_EXCEEDED'));
  a.cancelAll();
  t.is(meter.used, 0);
  await b.timers.setTimeout(() => {}, 1);
  t.is(meter.used, 1);
});

test('bad input - delays, callbacks and ids of the wrong type are refused with InvalidArgumentError, without running guest code', async t => {
  const { clock } = makeVirtualClock();
  const { timers } = makeTimers(clock);
  let ran = false;
  const sneaky = { valueOf: () => ((ran = true), 5), toString: () => ((ran = true), '5') };
  for (const [call, pattern] of [
    [() => timers.setTimeout(() => {}, -1), /setTimeout "ms": a delay is a number of milliseconds from 0 to 2147483647, got -1/],
    [() => timers.setTimeout(() => {}, sneaky as unknown as number), /got an object/],
    [() => timers.setInterval(() => {}, Number.NaN), /setInterval "ms".*got NaN/],
    [() => timers.setTimeout('code string' as unknown as () => void, 5), /setTimeout "callback": the callback must be a function/],
    [() => timers.clearTimeout(sneaky as unknown as number), /clearTimeout "id"/],
    [() => timers.sleep(2 ** 31), /sleep "ms"/],
  ] as const) {
    const error = await t.throwsAsync(call());
    t.true(isCathedralError(error, 'INVALID_ARGUMENT'));
    t.regex(error!.message, pattern);
  }
  t.false(ran);
});

test('makeTimers - a clock the host did not make cannot drive timers', t => {
  const forged = Far('Clock', { now: async () => 0, monotonic: async () => 0 });
  const error = t.throws(() => makeTimers(forged));
  t.true(isCathedralError(error, 'INVALID_ARGUMENT'));
  t.regex(error!.message, /not made by makeClock or makeVirtualClock/);
});

test('a callback that throws is reported, and later timers still fire', async t => {
  const reports: string[] = [];
  const { clock, control } = makeVirtualClock();
  const { timers } = makeTimers(clock, { realm: 'r', report: message => reports.push(message) });
  let later = false;
  await timers.setTimeout(() => {
    throw new Error('boom');
  }, 1);
  await timers.setTimeout(() => {
    later = true;
  }, 2);
  await control.advance(2);
  t.true(later);
  t.deepEqual(reports, ['timer 1 of realm "r": its callback failed']);
});

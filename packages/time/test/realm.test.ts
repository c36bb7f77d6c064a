/**
 * Time and randomness reaching real realms (compartment and process tiers)
 * as a spawn would grant them: through `makeRealmTime`, ended with the realm.
 */
import test from 'ava';
import { memory } from '@cathedral/powerbox';
import type { Realm, Tier } from '@cathedral/runtime';
import { isCathedralError } from '@cathedral/sdk';
import { Far } from '@endo/far';
import { type HostTimers, type TimeSource, deterministic, makeClock, makeRandom, makeRealmTime, makeSeededRandom } from '../src/index.js';
import { eachTier, hostTimeouts, makeTestHost, pause } from './_host.js';

const probeTime = `
export const probe = () => {
  const out = {};
  const tries = { now: () => Date.now(), newDate: () => new Date().valueOf(), dateCall: () => Date(), random: () => Math.random(), performance: () => typeof performance };
  for (const [name, run] of Object.entries(tries)) {
    try { out[name] = { value: run() }; } catch (e) { out[name] = { threw: e.name }; }
  }
  return out;
};
export const read = async () => [await clock.now(), await clock.monotonic()];
`;

eachTier('a realm with no clock cannot read time: Date.now(), new Date(), Date() and Math.random() throw', async (t, tier) => {
  const { host } = await makeTestHost();
  const realm = await host.spawn({ tier, main: 'app://main.js', realms: { app: memory({ 'main.js': probeTime }) } });
  t.teardown(() => realm.terminate());
  const seen = (await realm.call('probe')) as Record<string, { threw?: string; value?: string }>;
  t.deepEqual(seen, {
    now: { threw: 'TypeError' },
    newDate: { threw: 'TypeError' },
    dateCall: { threw: 'TypeError' },
    random: { threw: 'TypeError' },
    performance: { value: 'undefined' },
  });
  const noClock = await t.throwsAsync(realm.call('read'));
  t.regex(noClock!.message, /Cannot read properties of undefined \(reading 'now'\)/, 'no global `clock`');
});

eachTier('a realm granted the clock reads the host\'s time through it', async (t, tier) => {
  const { host } = await makeTestHost();
  const time = makeRealmTime(['clock'], { clock: makeClock(), random: makeRandom() }, { realm: 'timed', ceiling: new Set(['clock']) });
  const realm = await host.spawn({ tier, name: 'timed', main: 'app://main.js', realms: { app: memory({ 'main.js': probeTime }) }, caps: time.caps, ceiling: ['fs.read', 'clock'] });
  t.teardown(() => realm.terminate());
  const before = Date.now();
  const [wall, mono] = (await realm.call('read')) as [number, number];
  t.true(wall >= before && wall <= Date.now(), `${wall} within [${before}, ${Date.now()}]`);
  t.is(typeof mono, 'number');
  t.is(((await realm.call('probe')) as Record<string, { threw?: string }>)['now']!.threw, 'TypeError', 'Date.now itself still throws');
});

test('makeRealmTime - a grant outside the realm\'s ceiling is refused with CeilingError', t => {
  const source: TimeSource = { clock: makeClock(), random: makeRandom() };
  const error = t.throws(() => makeRealmTime(['clock', 'random'], source, { realm: 'r', ceiling: new Set(['clock']) }));
  t.true(isCathedralError(error, 'CEILING'));
  t.is(error!.message, 'spawn "time.grant: random" in realm "r": the effect "random" is outside the realm\'s ceiling. Rule: a realm is never granted a capability for an effect outside its ceiling. To allow it: add "random" to the realm\'s ceiling, or do not grant random.');
  t.true(isCathedralError(t.throws(() => makeRealmTime(['sundial'], source, { realm: 'r', ceiling: new Set() })), 'INVALID_ARGUMENT'));
  t.deepEqual(Object.keys(makeRealmTime([], source, { realm: 'r', ceiling: new Set() }).caps), [], 'nothing by default');
});

/** Ref'd host timers, so the test can see them with process.getActiveResourcesInfo(). */
const refTimers: HostTimers = {
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const timerGuest = `
export const arm = async ms => {
  await timers.setTimeout(() => hits.hit('timeout'), ms);
  await timers.setInterval(() => hits.hit('interval'), ms);
  return 'armed';
};`;

// Serial at both tiers: it counts the process's host timers.
for (const tier of ['compartment', 'process'] as const) {
  test.serial(`[${tier}] timers are cancelled when the realm is terminated: no callback fires after, no host timer is left`, async t => {
    const { host } = await makeTestHost();
    const hits: string[] = [];
    const time = makeRealmTime(['timers'], { clock: makeClock({ hostTimers: refTimers }), random: makeRandom() }, { realm: 'ticking', ceiling: new Set(['timers']) });
    const realm = await host.spawn({
      tier,
      name: 'ticking',
      main: 'app://main.js',
      realms: { app: memory({ 'main.js': timerGuest }) },
      caps: { ...time.caps, hits: Far('Hits', { hit: (what: string) => void hits.push(what) }) },
      ceiling: ['fs.read', 'timers'],
    });
    // What the runtime will do on every realm end (see README: the end hook).
    void realm.done.then(({ reason }) => time.end(reason));
    const baseline = hostTimeouts();
    t.is(await realm.call('arm', 150), 'armed');
    t.is(hostTimeouts(), baseline + 2);
    await realm.terminate();
    await realm.done;
    t.is(hostTimeouts(), baseline, 'both host timers were cleared');
    await pause(300);
    t.deepEqual(hits, [], 'no callback fired after terminate');
  });
}

eachTier('the handles budget refuses the guest\'s n+1th timer with BUDGET_EXCEEDED; clearing one makes room', async (t, tier) => {
  const { host } = await makeTestHost();
  const bundle = deterministic({ seed: 1 });
  const time = makeRealmTime(['timers'], bundle, { realm: 'capped', ceiling: new Set(['timers']), handles: 2 });
  const realm = await host.spawn({
    tier,
    name: 'capped',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': `
      export const run = async () => {
        const a = await timers.setTimeout(() => {}, 10);
        await timers.setInterval(() => {}, 10);
        let refused;
        try { await timers.setTimeout(() => {}, 10); } catch (e) { refused = [e.code, e.message]; }
        await timers.clearTimeout(a);
        await timers.setTimeout(() => {}, 10);
        return refused;
      };` }) },
    caps: time.caps,
    ceiling: ['fs.read', 'timers'],
  });
  t.teardown(async () => {
    await realm.terminate();
    time.end('terminated');
  });
  const [code, message] = (await realm.call('run')) as [string, string];
  t.is(code, 'BUDGET_EXCEEDED');
  t.regex(message, /^setTimeout "budget.handles" in realm "capped": the realm already holds 2 of its 2 handles\./);
});

const randomGuest = `export const draw = async () => [Array.from(await random.getRandomValues(16)), await random.random()];`;

test.serial('seeded random gives the same bytes twice and at two tiers', async t => {
  const { host } = await makeTestHost();
  const draws: unknown[] = [];
  for (const tier of ['compartment', 'compartment', 'process'] as Tier[]) {
    const realm = await host.spawn({ tier, main: 'app://main.js', realms: { app: memory({ 'main.js': randomGuest }) }, caps: { random: makeSeededRandom(2024) }, ceiling: ['fs.read', 'random'] });
    draws.push(await realm.call('draw'));
    await realm.terminate();
  }
  t.deepEqual(draws[0], draws[1]);
  t.deepEqual(draws[0], draws[2]);
  const [bytes] = draws[0] as [number[], number];
  t.is(bytes.length, 16);
  t.true(new Set(bytes).size > 8, 'the bytes vary');
});

// A program using the clock, timers and random; what it logs is the run's output.
const program = `
const log = [];
let ticks = 0;
let interval;
const note = (...entry) => { log.push(entry); };
export const setup = async () => {
  note('start', await clock.now(), await clock.monotonic());
  note('bytes', Array.from(await random.getRandomValues(6)));
  note('random', await random.random());
  interval = await timers.setInterval(async () => {
    ticks += 1;
    note('tick', ticks, await clock.now(), await clock.monotonic(), await random.random());
    if (ticks === 3) await timers.clearInterval(interval);
  }, 10);
  await timers.setTimeout(async () => note('timeout', await clock.monotonic(), Array.from(await random.getRandomValues(3))), 15);
  await timers.setTimeout(async () => note('same due, made later', await clock.monotonic()), 15);
};
export const output = async () => { note('end', await clock.now(), await clock.monotonic()); return JSON.stringify(log); };
`;

const runDeterministic = async (tier: Tier): Promise<string> => {
  const { host } = await makeTestHost();
  const bundle = deterministic({ seed: 42, start: Date.UTC(2030, 0, 1) });
  const time = makeRealmTime(['clock', 'timers', 'random'], bundle, { realm: 'repro', ceiling: new Set(['clock', 'timers', 'random']) });
  const realm: Realm = await host.spawn({ tier, name: 'repro', main: 'app://main.js', realms: { app: memory({ 'main.js': program }) }, caps: time.caps, ceiling: ['fs.read', 'clock', 'timers', 'random'] });
  try {
    await realm.call('setup');
    await bundle.control.advance(100);
    return (await realm.call('output')) as string;
  } finally {
    await realm.terminate();
    time.end('terminated');
  }
};

test.serial('a deterministic run is byte-for-byte identical across two runs and across the compartment and process tiers', async t => {
  const first = await runDeterministic('compartment');
  const second = await runDeterministic('compartment');
  const remote = await runDeterministic('process');
  t.is(second, first);
  t.is(remote, first);
  const log = JSON.parse(first) as unknown[][];
  const start = Date.UTC(2030, 0, 1);
  t.deepEqual(log.map(entry => entry[0]), ['start', 'bytes', 'random', 'tick', 'timeout', 'same due, made later', 'tick', 'tick', 'end']);
  t.deepEqual(log[0], ['start', start, 0]);
  t.deepEqual(log.filter(e => e[0] === 'tick').map(e => [e[2], e[3]]), [[start + 10, 10], [start + 20, 20], [start + 30, 30]]);
  t.deepEqual(log.at(-1), ['end', start + 100, 100]);
  const another = deterministic({ seed: 43 });
  t.notDeepEqual(Array.from(await another.random.getRandomValues(6)), log[1]![1], 'the output depends on the seed');
});

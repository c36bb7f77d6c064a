/**
 * Calls into a worker-tier or process-tier realm: round-trip latency, and
 * throughput with 1 and with 100 calls in flight.
 *
 * Ours: `realm.call('ping', i)` on a realm whose main module is
 * `export const ping = x => x;` (exports wrapper, gate, boundary and codec in
 * the host, CapTP both ways, adapters and the guest's export in the guest).
 * Baselines, over the same transport (./raw-tier.ts): raw ping-pong, one
 * structured-clone message each way and no CapTP; and stock CapTP,
 * `E(bootstrap).ping(i)` against a `Far` whose `ping` returns its argument.
 *
 * All contenders live for the whole benchmark and are measured in the same
 * rotating rounds. Placement (./affinity.ts) is fixed per set of rounds:
 * round trips are measured with both ends pinned to one CPU and again with
 * them pinned to two, and every ratio compares contenders measured in the
 * same placement. Throughput is measured with two CPUs, where work in
 * flight can overlap. Throughput with 1 in flight is the sequential round
 * trip of the two-CPU rounds, as a rate (the same samples, inverted).
 *
 * Guest → host: the realm's guest makes `profile.batch` sequential
 * `await echoCap.ping(i)` on a host `Far` passed in `caps`, started by one
 * `realm.call('out', n)`; the stock guest makes as many `E(hostFar).ping(i)`
 * back over its CapTP, started by one `E(bootstrap).callOut(hostFar, n)`;
 * the raw guest sends as many messages, each once the host echoed the one
 * before. Per call: the batch's time over n. Context rows: issue 5's
 * round-trip target is stated for calls into a realm. Measured in both placements, in the
 * same rounds as the round trips.
 *
 * The throughput target reads "100 in flight ≥ 10× stock CapTP" as: our
 * rate with 100 calls in flight is at least 10× stock CapTP's rate one call
 * at a time. The rows against stock CapTP and raw ping-pong, both with 100
 * in flight too, are given as context.
 */
import { Far } from '@endo/captp';
import { memory } from '@cathedral/powerbox';
import type { Host, Realm } from '@cathedral/runtime';
import { type Mode, type Placement, spawnedEnd } from './affinity.js';
import type { CallsProfile } from './profile.js';
import { type RawGuest, type RemoteTier, startRawGuest } from './raw-tier.js';
import { type Row, type Target, type Unit, makeRow } from './row.js';
import { rotate, summarize, timeBatch, timeInFlight } from './stats.js';

const MAIN = `
export const ping = x => x;
export const out = async n => {
  let s = 0;
  for (let i = 0; i < n; i += 1) s += (await echoCap.ping(i)) === i ? 1 : 0;
  return s;
};
`;

type Call = (i: number) => Promise<unknown>;

const check = async (name: string, call: Call): Promise<void> => {
  for (let i = 0; i < 20; i += 1) {
    const answer = await call(i);
    if (name !== 'raw ping-pong' && answer !== i) throw new Error(`call benchmark: ${name} answered ${String(answer)} to ${i}`);
  }
};

const perSecond = (samples: readonly number[]): readonly number[] => samples.map(us => 1e6 / us);

export const benchTierCalls = async (host: Host, tier: RemoteTier, profile: CallsProfile, placement: Placement): Promise<readonly Row[]> => {
  let realm: Realm | undefined;
  let raw: RawGuest | undefined;
  try {
    const spawned = await spawnedEnd(() => host.spawn({ tier, main: 'app://main.js', realms: { app: memory({ 'main.js': MAIN }) }, caps: { echoCap: Far('EchoCap', { ping: (x: number) => x }) } }));
    const live = spawned.value;
    realm = live;
    const ours: Call = i => live.call('ping', i);
    const guest = await startRawGuest(tier);
    raw = guest;
    const echo: Call = guest.echo;
    const ping: Call = guest.ping;
    await check('the realm', ours);
    await check('raw ping-pong', echo);
    await check('stock CapTP', ping);
    const ends = [spawned.end, guest.end];

    const measure = async <K extends string>(mode: Mode, contenders: Record<K, () => Promise<number>>) => {
      placement.pinFor(mode, ends);
      const samples = await rotate(profile, contenders, () => placement.sample());
      return { samples, where: placement.describe() };
    };
    const sequential = (call: Call) => () => timeBatch(call, profile.batch);
    const inFlight = (call: Call) => () => timeInFlight(call, profile.flightBatch, profile.inFlight);

    const callOut = (start: (n: number) => Promise<unknown>, name: string) => async () => {
      const begin = process.hrtime.bigint();
      const answered = await start(profile.batch);
      if (answered !== profile.batch) throw new Error(`call benchmark: ${name} answered ${String(answered)} of ${profile.batch} calls out`);
      return Number(process.hrtime.bigint() - begin) / 1e3 / profile.batch;
    };
    const oursOut = callOut(n => live.call('out', n), 'the realm');
    const captpOut = callOut(n => guest.callOut(n), 'the stock guest');
    const rawOut = callOut(n => guest.echoOut(n), 'the raw guest');
    await oursOut();
    await captpOut();
    await rawOut();

    const one = await measure('one-cpu', { ours: sequential(ours), raw: sequential(echo), captp: sequential(ping), oursOut, captpOut, rawOut });
    const two = await measure('two-cpus', {
      oursOut,
      captpOut,
      rawOut,
      ours: sequential(ours),
      raw: sequential(echo),
      captp: sequential(ping),
      oursMany: inFlight(ours),
      rawMany: inFlight(echo),
      captpMany: inFlight(ping),
    });
    placement.restore();

    const transport = tier === 'worker' ? 'MessagePort' : 'IPC';
    const n = profile.inFlight;
    const row = (
      id: string,
      title: string,
      unit: Unit,
      ours_: readonly number[],
      baseline: readonly number[],
      target: Target,
      note: string,
      where: string,
    ): Row =>
      makeRow({
        id,
        title,
        unit,
        ours: summarize(unit === 'ops/s' ? perSecond(ours_) : ours_),
        peer: id.endsWith('-raw') ? `baseline: raw ${transport} ping-pong` : `peer: stock CapTP over ${transport}`,
        baseline: summarize(unit === 'ops/s' ? perSecond(baseline) : baseline),
        target,
        note,
        placement: `${tier} tier: ${where}`,
      });
    const call = "realm.call('ping', i)";
    const rawNote = `raw ${transport} ping-pong (one message each way, no CapTP)`;
    const captpNote = `stock CapTP over ${transport}, E(bootstrap).ping(i)`;
    return [
      row(`rt-${tier}-1cpu-raw`, `${tier} round trip, 1 CPU, vs raw ping-pong`, 'µs', one.samples.ours, one.samples.raw, { kind: 'ratio', max: 1.5 }, `${call} vs ${rawNote}; both ends pinned to one CPU`, one.where),
      row(`rt-${tier}-1cpu-captp`, `${tier} round trip, 1 CPU, vs stock CapTP`, 'µs', one.samples.ours, one.samples.captp, { kind: 'context' }, `${call} vs ${captpNote}; both ends pinned to one CPU`, one.where),
      row(`rt-${tier}-2cpu-raw`, `${tier} round trip, 2 CPUs, vs raw ping-pong`, 'µs', two.samples.ours, two.samples.raw, { kind: 'ratio', max: 1.5 }, `${call} vs ${rawNote}; ends pinned to two CPUs`, two.where),
      row(`rt-${tier}-2cpu-captp`, `${tier} round trip, 2 CPUs, vs stock CapTP`, 'µs', two.samples.ours, two.samples.captp, { kind: 'context' }, `${call} vs ${captpNote}; ends pinned to two CPUs`, two.where),
      row(`out-${tier}-1cpu-raw`, `${tier} guest → host call, 1 CPU, vs raw ping-pong`, 'µs', one.samples.oursOut, one.samples.rawOut, { kind: 'context' }, `the guest's await echoCap.ping(i) on a host Far in caps vs a raw guest's sequential messages, each echoed by the host, ${profile.batch} per round; both ends pinned to one CPU`, one.where),
      row(`out-${tier}-2cpu-raw`, `${tier} guest → host call, 2 CPUs, vs raw ping-pong`, 'µs', two.samples.oursOut, two.samples.rawOut, { kind: 'context' }, `the guest's await echoCap.ping(i) on a host Far in caps vs a raw guest's sequential messages, each echoed by the host, ${profile.batch} per round; ends pinned to two CPUs`, two.where),
      row(`out-${tier}-1cpu-captp`, `${tier} guest → host call, 1 CPU, vs stock CapTP`, 'µs', one.samples.oursOut, one.samples.captpOut, { kind: 'context' }, `the guest's await echoCap.ping(i) on a host Far in caps vs a stock CapTP guest's E(hostFar).ping(i), ${profile.batch} per round; both ends pinned to one CPU`, one.where),
      row(`out-${tier}-2cpu-captp`, `${tier} guest → host call, 2 CPUs, vs stock CapTP`, 'µs', two.samples.oursOut, two.samples.captpOut, { kind: 'context' }, `the guest's await echoCap.ping(i) on a host Far in caps vs a stock CapTP guest's E(hostFar).ping(i), ${profile.batch} per round; ends pinned to two CPUs`, two.where),
      row(`tput1-${tier}-captp`, `${tier} calls/s, 1 in flight, 2 CPUs, vs stock CapTP`, 'ops/s', two.samples.ours, two.samples.captp, { kind: 'context' }, `the 2-CPU round trips as a rate: ${call} vs ${captpNote}`, two.where),
      row(`tput1-${tier}-raw`, `${tier} calls/s, 1 in flight, 2 CPUs, vs raw ping-pong`, 'ops/s', two.samples.ours, two.samples.raw, { kind: 'context' }, `the 2-CPU round trips as a rate: ${call} vs ${rawNote}`, two.where),
      row(`tput${n}-${tier}-captp1`, `${tier} calls/s, ${n} in flight, 2 CPUs, vs stock CapTP 1 in flight`, 'ops/s', two.samples.oursMany, two.samples.captp, { kind: 'ratio-min', min: 10 }, `${call} with ${n} in flight (sliding window) vs ${captpNote} one at a time; ends pinned to two CPUs`, two.where),
      row(`tput${n}-${tier}-captp`, `${tier} calls/s, ${n} in flight, 2 CPUs, vs stock CapTP ${n} in flight`, 'ops/s', two.samples.oursMany, two.samples.captpMany, { kind: 'context' }, `${call} vs ${captpNote}, both with ${n} in flight (sliding window); ends pinned to two CPUs`, two.where),
      row(`tput${n}-${tier}-raw`, `${tier} calls/s, ${n} in flight, 2 CPUs, vs raw ping-pong ${n} in flight`, 'ops/s', two.samples.oursMany, two.samples.rawMany, { kind: 'context' }, `${call} vs ${rawNote}, both with ${n} in flight (sliding window); ends pinned to two CPUs`, two.where),
    ];
  } finally {
    placement.restore();
    await realm?.terminate();
    await raw?.stop();
  }
};

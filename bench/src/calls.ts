/**
 * Call overhead into and out of a compartment-tier realm, against the
 * in-thread peers' equivalents (./peers.ts).
 *
 * Into (host → guest): ours, `await realm.exports.echo(i)` on a main module
 * `export const echo = x => x;` (the exports wrapper, the gate's copy of the
 * argument and answer, a promise). Peers: calling `x => x` evaluated in a
 * raw SES Compartment, a node:vm context, an isolated-vm context
 * (`applySync`) and a QuickJS context (`callFunction`, with its handles).
 *
 * Out of (guest → host capability): ours, the guest's
 * `for (…) await echoCap.ping(i)` where `echoCap` is a host `Far` passed in
 * `caps` (the gate's forwarder, its ceiling and revocation checks, copies);
 * one host call per batch starts the loop, so a call's figure is the batch
 * over its length. Peers: the same loop calling a host `ping` endowed into
 * the Compartment, put on the vm context's global, set as an
 * `ivm.Callback`, or made with QuickJS's `newFunction`.
 *
 * All five contenders run in the same rotating rounds. The worker and
 * process tiers' calls in and out are in ./tier-calls.ts, against stock
 * CapTP, where the in-thread peers have no equivalent.
 */
import { Far } from '@endo/captp';
import { memory } from '@cathedral/powerbox';
import { createHost } from '@cathedral/runtime';
import { type Peer, type PeerName, peerLabel, peerNames } from './peers.js';
import type { TimedProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { rotate, summarize, timeBatch } from './stats.js';

const MAIN = `
export const echo = x => x;
export const out = async n => {
  let s = 0;
  for (let i = 0; i < n; i += 1) s += (await echoCap.ping(i)) === i ? 1 : 0;
  return s;
};
`;

const quiet = (): void => {};

export const benchCalls = async (profile: TimedProfile, peers: Readonly<Record<PeerName, Peer>>): Promise<readonly Row[]> => {
  const host = await createHost({ console: quiet, report: quiet });
  const echoCap = Far('EchoCap', { ping: (x: number) => x });
  const realm = await host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory({ 'main.js': MAIN }) }, caps: { echoCap } });
  const disposers: Array<() => void> = [];
  try {
    const echo = realm.exports['echo'] as (x: number) => Promise<number>;
    const out = realm.exports['out'] as (n: number) => Promise<number>;
    if ((await echo(7)) !== 7) throw new Error('call benchmark: the realm did not echo');
    if ((await out(5)) !== 5) throw new Error('call benchmark: the realm did not call out five times');

    const ins: Record<string, () => Promise<number>> = { ours: () => timeBatch(echo, profile.batch) };
    const outs: Record<string, () => Promise<number>> = {
      ours: async () => {
        const start = process.hrtime.bigint();
        const n = await out(profile.batch);
        if (n !== profile.batch) throw new Error(`call benchmark: the realm called out ${n} times`);
        return Number(process.hrtime.bigint() - start) / 1e3 / profile.batch;
      },
    };
    for (const name of peerNames) {
      const into = peers[name].callIn();
      const outOf = peers[name].callOut();
      disposers.push(into.dispose, outOf.dispose);
      if (into.call(7) !== 7) throw new Error(`call benchmark: ${name} did not echo`);
      if (outOf.run(5) !== 5) throw new Error(`call benchmark: ${name} did not call out five times`);
      ins[name] = () => timeBatch(into.call, profile.batch);
      outs[name] = async () => {
        const start = process.hrtime.bigint();
        outOf.run(profile.batch);
        return Number(process.hrtime.bigint() - start) / 1e3 / profile.batch;
      };
    }
    const inSamples = await rotate(profile, ins);
    const outSamples = await rotate(profile, outs);

    const inHow: Record<PeerName, string> = {
      ses: "compartment.evaluate('(x => x)')(i)",
      vm: "vm.runInContext('(x => x)', context)(i)",
      ivm: 'reference.applySync(undefined, [i]) on (x => x) in an isolate',
      quickjs: 'context.callFunction((x => x), undefined, newNumber(i)) + getNumber + dispose of the handles',
    };
    const outHow: Record<PeerName, string> = {
      ses: 'a host ping endowed into new Compartment({ ping })',
      vm: 'a host ping on the vm context global',
      ivm: 'an ivm.Callback set on the context global',
      quickjs: "a context.newFunction('ping') set on the context global",
    };
    const rows: Row[] = [];
    for (const name of peerNames) {
      rows.push(
        makeRow({
          id: `call-in-vs-${name}`,
          title: `host → guest call, compartment tier, vs ${peerLabel[name]}`,
          unit: 'µs',
          ours: summarize(inSamples['ours'] ?? []),
          peer: `peer: ${peerLabel[name]}`,
          baseline: summarize(inSamples[name] ?? []),
          target: { kind: 'context' },
          note: `await realm.exports.echo(i) vs ${inHow[name]}`,
        }),
      );
    }
    for (const name of peerNames) {
      rows.push(
        makeRow({
          id: `call-out-vs-${name}`,
          title: `guest → host capability call, compartment tier, vs ${peerLabel[name]}`,
          unit: 'µs',
          ours: summarize(outSamples['ours'] ?? []),
          peer: `peer: ${peerLabel[name]}`,
          baseline: summarize(outSamples[name] ?? []),
          target: { kind: 'context' },
          note: `the guest's await echoCap.ping(i) on a host Far passed in caps, ${profile.batch} per host call, vs the same loop calling ${outHow[name]}`,
        }),
      );
    }
    return rows;
  } finally {
    for (const dispose of disposers) dispose();
    await realm.terminate();
  }
};

/**
 * Row 1: realm spawn latency with a warm source cache.
 *
 * Ours: `host.spawn` of a compartment-tier realm whose main module is a
 * one-liner in a `memory()` root, then one call of its export, so the figure
 * covers spawn, loading and evaluating the first module, and a first call
 * through the exports wrapper. The root is made once, as a host makes the
 * roots it binds before spawning realms over them; a second row
 * (`spawn-fresh-root`) builds a new `memory()` root inside the timed
 * operation, to show what making a root adds.
 * Baseline: a raw SES `new Compartment()` evaluating the same function and
 * calling it once: the floor any SES-based sandbox starts from. Peers
 * (./peers.ts), measured in the same rotating rounds: a `node:vm` context,
 * an isolated-vm isolate + context, a QuickJS runtime + context, each
 * evaluating and calling the same function. Peers are disposed of after each
 * batch, outside the timed region, as ours are terminated.
 *
 * One host serves every spawn, so after the warm-up rounds the module's parse
 * is cached (what "warm" means here). Realms are terminated after each batch,
 * outside the timed region.
 */
import { memory } from '@cathedral/powerbox';
import type { Realm } from '@cathedral/runtime';
import { createHost } from '@cathedral/runtime';
import type { TimedProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { type Peer, type PeerName, peerLabel, peerNames } from './peers.js';
import { rotate, summarize, timeBatch } from './stats.js';

const MAIN = 'export const f = x => x + 1;';

const quiet = (): void => {};

export const benchSpawn = async (profile: TimedProfile, peers: Readonly<Record<PeerName, Peer>>): Promise<readonly Row[]> => {
  const host = await createHost({ console: quiet, report: quiet });
  const made: Realm[] = [];

  const shared = memory({ 'main.js': MAIN });
  const spawnOver = (app: ReturnType<typeof memory>) => async (): Promise<void> => {
    const realm = await host.spawn({
      tier: 'compartment',
      main: 'app://main.js',
      realms: { app },
    });
    const answer = await (realm.exports['f'] as (x: number) => Promise<number>)(1);
    if (answer !== 2) throw new Error(`spawn benchmark: the realm answered ${String(answer)}, not 2`);
    made.push(realm);
  };
  const ours = spawnOver(shared);
  const oursFresh = async (): Promise<void> => spawnOver(memory({ 'main.js': MAIN }))();

  const peerBatch = (peer: Peer) => async (): Promise<number> => {
    const disposers: Array<() => void> = [];
    const perOp = await timeBatch(() => {
      disposers.push(peer.spawnOnce());
    }, profile.batch);
    for (const dispose of disposers) dispose();
    return perOp;
  };

  const samples = await rotate(profile, {
    ours: async () => {
      const perOp = await timeBatch(ours, profile.batch);
      await Promise.all(made.splice(0).map(realm => realm.terminate()));
      return perOp;
    },
    fresh: async () => {
      const perOp = await timeBatch(oursFresh, profile.batch);
      await Promise.all(made.splice(0).map(realm => realm.terminate()));
      return perOp;
    },
    ses: peerBatch(peers.ses),
    vm: peerBatch(peers.vm),
    ivm: peerBatch(peers.ivm),
    quickjs: peerBatch(peers.quickjs),
  });

  const how: Record<PeerName, string> = {
    ses: "new Compartment() + evaluate('(x => x + 1)')(1)",
    vm: "vm.createContext() + runInContext('(x => x + 1)')(1)",
    ivm: "new ivm.Isolate({ memoryLimit: 32 }) + createContextSync() + evalSync('(x => x + 1)', { reference: true }).applySync(1); dispose() outside the timing",
    quickjs: "newRuntime() + newContext() + evalCode('(x => x + 1)') + callFunction(1); dispose() outside the timing",
  };
  return [...peerNames.map(name =>
    makeRow({
      id: name === 'ses' ? 'spawn' : `spawn-vs-${name}`,
      title: `compartment tier: spawn + first call, vs ${peerLabel[name]}`,
      unit: 'µs',
      ours: summarize(samples.ours),
      peer: `${name === 'ses' ? 'baseline' : 'peer'}: ${peerLabel[name]}`,
      baseline: summarize(samples[name]),
      target: name === 'ses' ? { kind: 'ratio', max: 3 } : { kind: 'context' },
      note: `host.spawn({ tier: 'compartment', realms: { app } }) + exports.f(1) (warm parse cache, root made once) vs ${how[name]}`,
    }),
  ), makeRow({
    id: 'spawn-fresh-root',
    title: 'compartment tier: spawn + first call with a new memory() root each time, vs raw SES Compartment',
    unit: 'µs',
    ours: summarize(samples.fresh),
    peer: `baseline: ${peerLabel.ses}`,
    baseline: summarize(samples.ses),
    target: { kind: 'context' },
    note: `memory({ 'main.js' }) + host.spawn + exports.f(1) vs ${how.ses}`,
  })];
};

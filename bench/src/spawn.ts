/**
 * Row 1: realm spawn latency with a warm source cache.
 *
 * Ours: `host.spawn` of a compartment-tier realm whose main module is a
 * one-liner in a `memory()` root, then one call of its export, so the figure
 * covers spawn, loading and evaluating the first module, and a first call
 * through the exports wrapper. The `memory()` root is built inside the timed
 * operation, as a caller writing the spawn literally would.
 * Baseline: a raw SES `new Compartment()` evaluating the same function and
 * calling it once: the floor any SES-based sandbox starts from.
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
import { interleave, summarize, timeBatch } from './stats.js';

const MAIN = 'export const f = x => x + 1;';

const quiet = (): void => {};

export const benchSpawn = async (profile: TimedProfile): Promise<Row> => {
  const host = await createHost({ console: quiet, report: quiet });
  const made: Realm[] = [];

  const ours = async (): Promise<void> => {
    const realm = await host.spawn({
      tier: 'compartment',
      main: 'app://main.js',
      realms: { app: memory({ 'main.js': MAIN }) },
    });
    const answer = await (realm.exports['f'] as (x: number) => Promise<number>)(1);
    if (answer !== 2) throw new Error(`spawn benchmark: the realm answered ${String(answer)}, not 2`);
    made.push(realm);
  };

  const baseline = (): void => {
    const compartment = new Compartment();
    const answer = (compartment.evaluate('(x => x + 1)') as (x: number) => number)(1);
    if (answer !== 2) throw new Error(`spawn benchmark: the compartment answered ${String(answer)}, not 2`);
  };

  const endBatch = async (): Promise<void> => {
    await Promise.all(made.splice(0).map(realm => realm.terminate()));
  };

  const result = await interleave(
    profile,
    async () => {
      const perOp = await timeBatch(ours, profile.batch);
      await endBatch();
      return perOp;
    },
    () => timeBatch(baseline, profile.batch),
  );

  return makeRow({
    id: 'spawn',
    title: 'realm spawn + first call (warm cache)',
    unit: 'µs',
    ours: summarize(result.ours),
    baseline: summarize(result.baseline),
    target: { kind: 'ratio', max: 3 },
    note: "host.spawn({ tier: 'compartment', app: memory(main.js) }) + exports.f(1) vs new Compartment() + evaluate('(x => x + 1)')(1)",
  });
};

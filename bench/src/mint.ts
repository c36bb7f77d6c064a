/**
 * Sturdy references: minting capabilities and looking their tokens up.
 *
 * Ours: a compartment-tier realm spawned with `authority: true` holds its
 * `app://docs` directory node; one call of its export mints that node N
 * times (`authority.mint(docs)`: the mint rule's provenance walk, readOnly +
 * revocable, a random token, a ledger entry), then looks each of the N
 * tokens up (`authority.lookup(token)`). One operation is one mint plus one
 * lookup; the figure includes one `realm.call` per N operations.
 * Baseline, in the host: N `revocable(node)` calls on a `memory()` directory,
 * each stored in a `Map` under a string key, then N `Map.get`s: the
 * attenuation and the table alone, no rule, token or ledger.
 *
 * A rate (ops/s), reported with its ratio and no target.
 */
import { memory, revocable } from '@cathedral/powerbox';
import type { Host } from '@cathedral/runtime';
import type { MintProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { interleave, summarize, timeBatch } from './stats.js';

const MAIN = `
let docs;
export const run = async n => {
  docs ??= await resolve('app://docs');
  const tokens = [];
  for (let i = 0; i < n; i += 1) tokens.push((await authority.mint(docs)).token);
  let found = 0;
  for (const token of tokens) if ((await authority.lookup(token)) !== undefined) found += 1;
  return found;
};
`;

export const benchMint = async (host: Host, profile: MintProfile): Promise<Row> => {
  const n = profile.batch;
  const realm = await host.spawn({
    tier: 'compartment',
    main: 'app://main.js',
    authority: true,
    realms: { app: memory({ 'main.js': MAIN, docs: { 'a.txt': 'A' } }) },
  });
  const node = memory({ 'a.txt': 'A' });
  try {
    const ours = async () => {
      const found = await realm.call('run', n);
      if (found !== n) throw new Error(`mint benchmark: the realm looked up ${String(found)} of ${n} tokens`);
    };
    const baseline = () => {
      const table = new Map<string, unknown>();
      for (let i = 0; i < n; i += 1) table.set(`t${i}`, revocable(node));
      let found = 0;
      for (let i = 0; i < n; i += 1) if (table.get(`t${i}`) !== undefined) found += 1;
      if (found !== n) throw new Error(`mint benchmark: the baseline found ${found} of ${n}`);
    };
    const rate = (us: number) => (1e6 * n) / us;
    const result = await interleave(
      profile,
      async () => rate(await timeBatch(ours, 1)),
      async () => rate(await timeBatch(baseline, 1)),
    );
    return makeRow({
      id: 'mint-lookup',
      title: `sturdy refs: mint + lookup (${n} per call)`,
      unit: 'ops/s',
      ours: summarize(result.ours),
      baseline: summarize(result.baseline),
      peer: 'baseline: revocable() + Map',
      target: { kind: 'context' },
      note: `a compartment realm with authority: true mints its app://docs node ${n} times and looks each token up (one op = mint + lookup) vs host revocable(node) + Map.set, then Map.get, ${n} times`,
    });
  } finally {
    await realm.terminate();
  }
};

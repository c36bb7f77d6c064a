import test from 'ava';
import { kernelWallStatus } from '@cathedral/runtime';
import { rowIds, runBench } from '../src/harness.js';
import { makeRow } from '../src/row.js';
import { summarize } from '../src/stats.js';
import { renderMissing, renderTable } from '../src/table.js';

const tierRows = (tier: string) => [
  `spawn-${tier}`,
  `spawn-${tier}-vs-ivm`,
  `spawn-${tier}-vs-inthread`,
  `rt-${tier}-1cpu-raw`,
  `rt-${tier}-1cpu-captp`,
  `rt-${tier}-2cpu-raw`,
  `rt-${tier}-2cpu-captp`,
  `out-${tier}-1cpu-raw`,
  `out-${tier}-2cpu-raw`,
  `out-${tier}-1cpu-captp`,
  `out-${tier}-2cpu-captp`,
  `tput1-${tier}-captp`,
  `tput1-${tier}-raw`,
  `tput100-${tier}-captp1`,
  `tput100-${tier}-captp`,
  `tput100-${tier}-raw`,
  `budget-cpu-${tier}`,
  `budget-cpu-wall-${tier}`,
  `budget-heap-${tier}`,
];

const peers = ['ses', 'vm', 'ivm', 'quickjs'];

const expectedRows = [
  'spawn',
  'spawn-vs-vm',
  'spawn-vs-ivm',
  'spawn-vs-quickjs',
  'spawn-fresh-root',
  'memory-rss',
  'memory-heap',
  'memory-rss-vs-vm',
  'memory-rss-vs-quickjs',
  'memory-rss-vs-ivm',
  'memory-rss-worker',
  'memory-rss-worker-vs-ivm',
  'memory-rss-process',
  'memory-rss-process-vs-inprocess',
  ...peers.map(peer => `call-in-vs-${peer}`),
  ...peers.map(peer => `call-out-vs-${peer}`),
  'read-hostdir',
  'read-hostdir-held',
  'read-hostdir-bare',
  'read-memory',
  'read-layered',
  'write-hostdir',
  'write-hostdir-plain',
  'write-memory',
  'write-layered',
  'mint-lookup',
  ...tierRows('worker'),
  ...tierRows('process'),
  'spawn-process-warm',
  'spawn-process-warm-vs-cold',
  'spawn-process-confined',
  'net-fetch-host',
  'net-fetch-compartment',
  'net-fetch-process',
  'net-fetch-compartment-less-noop',
  'net-fetch-process-less-noop',
  'net-fetch-process-bare',
  'net-fetch-process-floor',
  'net-fetch-process-vs-floor',
  'confine-start',
  'confine-syscall',
  'lockdown',
  'lockdown-shims',
];

/** Rows that compare against the kernel wall: without it here, they have no confined side to compare. */
const needWall = ['spawn-process-confined', 'confine-start', 'confine-syscall'];

/** Rows a peer cannot do at all: no figure, a reason. */
const withoutPeer = new Set([
  'spawn-worker-vs-inthread',
  'spawn-process-vs-ivm',
  'spawn-process-vs-inthread',
  'memory-rss-process-vs-inprocess',
  ...(kernelWallStatus().present ? [] : needWall),
]);

/** Rows whose two ends run on two threads or processes, measured in one placement. */
const placed = /^(rt|tput|out)-?/;

const positive = (value: number | undefined): boolean => value !== undefined && Number.isFinite(value) && value > 0;

/**
 * Rows whose `ours` is, round by round, a difference (a fetch less a round
 * trip of the same round, bench/src/net-fetch.ts): a round whose round trip
 * ran slow gives a negative sample, so their tails need only be finite.
 */
const differences = new Set(['net-fetch-host', 'net-fetch-compartment', 'net-fetch-process', 'net-fetch-compartment-less-noop', 'net-fetch-process-less-noop', 'net-fetch-process-floor']);

test('bench --quick - produces every row with finite positive figures, a named peer, and a verdict for each target', async t => {
  t.timeout(170_000);
  const result = await runBench({ quick: true });
  t.is(result.profile, 'quick');
  t.deepEqual(result.rows.map(row => row.id), expectedRows);
  t.deepEqual(rowIds(true), expectedRows, 'rowIds lists the rows a run makes');
  for (const row of result.rows) {
    t.true(positive(row.ours.median), `${row.id} ours.median is ${row.ours.median}`);
    for (const [name, value] of Object.entries({ 'ours.p90': row.ours.p90, 'ours.p10': row.ours.p10 })) {
      t.true(differences.has(row.id) ? Number.isFinite(value) : positive(value), `${row.id} ${name} is ${value}`);
    }
    t.regex(row.peer, /^(baseline|peer|peers): \S/, `${row.id} names its other side`);
    if (withoutPeer.has(row.id)) {
      t.is(row.baseline, undefined, `${row.id} invents no peer figure`);
      t.is(row.ratio, undefined, `${row.id} has no ratio`);
      t.regex(row.missing ?? '', /\b(has|have) no\b|none of them has/, `${row.id} says why`);
    } else {
      const figures = { 'baseline.median': row.baseline?.median, 'baseline.p90': row.baseline?.p90, 'baseline.p10': row.baseline?.p10, ratio: row.ratio };
      for (const [name, value] of Object.entries(figures)) t.true(positive(value), `${row.id} ${name} is ${value}`);
      t.is(row.missing, undefined);
    }
    t.is(typeof row.pass, row.target.kind === 'context' ? 'undefined' : 'boolean', `${row.id} verdict`);
    if (placed.test(row.id)) t.regex(row.placement ?? '', /sampled after each round/, `${row.id} says where its ends ran`);
  }
  const table = renderTable(result.rows);
  for (const row of result.rows) t.true(table.includes(row.title), `the table shows ${row.id}`);
  const missing = renderMissing(result.rows);
  for (const id of withoutPeer) t.true(missing.includes(`- ${id}: `), `the reason for ${id} is printed`);
});

test('bench --only - runs only the benchmarks with a row of that prefix, and keeps only those rows', async t => {
  t.timeout(60_000);
  const result = await runBench({ quick: true, only: ['lockdown-sh'] });
  t.deepEqual(result.rows.map(row => row.id), ['lockdown-shims']);
  await t.throwsAsync(runBench({ quick: true, only: ['no-such-row'] }), { message: /no row id starts with "no-such-row"/ });
});

test('makeRow - a row has either a peer figure or the reason it has none, never both or neither', t => {
  const figure = summarize([1, 2, 3]);
  const base = { id: 'x', title: 'x', unit: 'µs' as const, ours: figure, peer: 'peer: p', target: { kind: 'ratio' as const, max: 2 }, note: '' };
  t.throws(() => makeRow(base), { message: /exactly one/ });
  t.throws(() => makeRow({ ...base, baseline: figure, missing: 'cannot' }), { message: /exactly one/ });
  const without = makeRow({ ...base, missing: 'p has no such tier' });
  t.is(without.ratio, undefined);
  t.is(without.pass, undefined, 'no verdict against a figure that does not exist');
  const slower = makeRow({ ...base, baseline: summarize([0.5, 0.5, 0.5]) });
  t.is(slower.ratio, 4);
  t.false(slower.pass);
});

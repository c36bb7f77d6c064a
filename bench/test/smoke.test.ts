import test from 'ava';
import { runBench } from '../src/harness.js';
import { renderTable } from '../src/table.js';

const tierRows = (tier: string) => [
  `spawn-${tier}`,
  `rt-${tier}-1cpu-raw`,
  `rt-${tier}-1cpu-captp`,
  `rt-${tier}-2cpu-raw`,
  `rt-${tier}-2cpu-captp`,
  `tput1-${tier}-captp`,
  `tput1-${tier}-raw`,
  `tput100-${tier}-captp1`,
  `tput100-${tier}-captp`,
  `tput100-${tier}-raw`,
];

const expectedRows = [
  'spawn',
  'memory-rss',
  'memory-heap',
  'read-hostdir',
  'read-hostdir-held',
  'read-hostdir-bare',
  'read-memory',
  'read-layered',
  'mint-lookup',
  ...tierRows('worker'),
  ...tierRows('process'),
];

/** Rows whose two ends run on two threads or processes, measured in one placement. */
const placed = /^(rt|tput)/;

test('bench --quick - produces every row with finite positive figures and a verdict for each target', async t => {
  t.timeout(110_000);
  const result = await runBench({ quick: true });
  t.is(result.profile, 'quick');
  t.deepEqual(result.rows.map(row => row.id), expectedRows);
  for (const row of result.rows) {
    const figures = {
      'ours.median': row.ours.median,
      'ours.p90': row.ours.p90,
      'baseline.median': row.baseline.median,
      'baseline.p90': row.baseline.p90,
      'ours.p10': row.ours.p10,
      'baseline.p10': row.baseline.p10,
      ratio: row.ratio,
    };
    for (const [name, value] of Object.entries(figures)) {
      t.true(Number.isFinite(value) && value > 0, `${row.id} ${name} is ${value}`);
    }
    t.is(typeof row.pass, row.target.kind === 'context' ? 'undefined' : 'boolean', `${row.id} verdict`);
    if (placed.test(row.id)) t.regex(row.placement ?? '', /sampled after each round/, `${row.id} says where its ends ran`);
  }
  const table = renderTable(result.rows);
  for (const row of result.rows) t.true(table.includes(row.title), `the table shows ${row.id}`);
});

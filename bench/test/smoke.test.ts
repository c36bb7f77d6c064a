import test from 'ava';
import { runBench } from '../src/harness.js';
import { renderTable } from '../src/table.js';

const expectedRows = ['spawn', 'memory-rss', 'memory-heap', 'read-hostdir', 'read-hostdir-held', 'read-hostdir-bare', 'read-memory'];

test('bench --quick - produces every row with finite positive figures and a verdict for each target', async t => {
  t.timeout(90_000);
  const result = await runBench({ quick: true });
  t.is(result.profile, 'quick');
  t.deepEqual(result.rows.map(row => row.id), expectedRows);
  for (const row of result.rows) {
    const figures = {
      'ours.median': row.ours.median,
      'ours.p90': row.ours.p90,
      'baseline.median': row.baseline.median,
      'baseline.p90': row.baseline.p90,
      ratio: row.ratio,
    };
    for (const [name, value] of Object.entries(figures)) {
      t.true(Number.isFinite(value) && value > 0, `${row.id} ${name} is ${value}`);
    }
    t.is(typeof row.pass, row.target.kind === 'context' ? 'undefined' : 'boolean', `${row.id} verdict`);
  }
  const table = renderTable(result.rows);
  for (const row of result.rows) t.true(table.includes(row.title), `the table shows ${row.id}`);
});

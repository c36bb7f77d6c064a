/**
 * Renders rows as one plain-text table (also valid GitHub Markdown), so the
 * same text goes to the terminal and into RESULTS.md.
 */
import { type Row, type Unit, describeTarget, higherIsBetter } from './row.js';
import type { Figure } from './stats.js';

const digits = (value: number): string => {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
};

/** The median and the slow tail: p90 of a time or a size, p10 of a rate. */
const showFigure = (figure: Figure, unit: Unit): string =>
  higherIsBetter(unit)
    ? `${digits(figure.median)} ${unit} (p10 ${digits(figure.p10)})`
    : `${digits(figure.median)} ${unit} (p90 ${digits(figure.p90)})`;

const verdict = (row: Row): string => {
  if (row.pass !== undefined) return row.pass ? 'PASS' : 'FAIL';
  return row.baseline === undefined ? 'no peer figure' : 'context';
};

export const renderTable = (rows: readonly Row[]): string => {
  const header = ['benchmark', 'ours: median (tail)', 'vs (baseline or peer)', 'its median (tail)', 'ratio', 'target', 'result'];
  const body = rows.map(row => [
    row.title,
    showFigure(row.ours, row.unit),
    row.peer,
    row.baseline === undefined ? 'n/a (below)' : showFigure(row.baseline, row.unit),
    row.ratio === undefined ? '—' : `${digits(row.ratio)}×`,
    describeTarget(row),
    verdict(row),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map(cells => (cells[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
};

/** One line per row without a peer figure: which row, and why the peer has none. */
export const renderMissing = (rows: readonly Row[]): string =>
  rows
    .filter(row => row.missing !== undefined)
    .map(row => `- ${row.id}: ${row.missing}`)
    .join('\n');

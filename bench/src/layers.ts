/**
 * A 4 KiB read through a stack of attenuations, from the host.
 *
 * Ours: `readOnly(filter(overlay(memory(), memory({ 'f.bin' })).node,
 * ['**']))`, then `read('f.bin')`: the file lives in the overlay's lower
 * layer, so the read goes through readOnly's check, the filter's glob match
 * and restating view, the overlay's serial queue, a miss in upper (a lookup,
 * no error built) and a whiteout check, and the read from lower. The guest's
 * path is checked once; each layer calls the next over the checked path
 * (powerbox/src/direct.ts).
 * Baseline: `read('f.bin')` on a plain `memory({ 'f.bin' })` root holding
 * the same bytes. No realm on either side: this row is the cost of the
 * composition alone.
 */
import { randomBytes } from 'node:crypto';
import { filter, memory, overlay, readOnly } from '@cathedral/powerbox';
import type { TimedProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { interleave, summarize, timeBatch } from './stats.js';

const SIZE = 4096;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

export const benchLayeredRead = async (profile: TimedProfile): Promise<Row> => {
  const bytes = new Uint8Array(randomBytes(SIZE));
  const direct = memory({ 'f.bin': bytes });
  const layered = readOnly(filter(overlay(memory(), memory({ 'f.bin': bytes })).node, ['**']));
  const ours = () => layered.read('f.bin');
  const baseline = () => direct.read('f.bin');
  for (const [side, read] of [['ours', ours], ['baseline', baseline]] as const) {
    if (!sameBytes(await read(), bytes)) throw new Error(`layered read benchmark: ${side} read the wrong bytes`);
  }
  const result = await interleave(
    profile,
    () => timeBatch(ours, profile.batch),
    () => timeBatch(baseline, profile.batch),
  );
  return makeRow({
    id: 'read-layered',
    title: '4 KiB read, readOnly(filter(overlay)), host',
    unit: 'µs',
    ours: summarize(result.ours),
    baseline: summarize(result.baseline),
    peer: 'baseline: plain memory() read',
    target: { kind: 'ratio', max: 3 },
    note: "host readOnly(filter(overlay(memory(), memory({ f.bin })).node, ['**'])).read('f.bin') vs host memory({ f.bin }).read('f.bin')",
  });
};

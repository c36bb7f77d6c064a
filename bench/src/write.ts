/**
 * Writing a 4 KiB file through roots and attenuations.
 *
 * Ours, from inside a compartment-tier realm (`data` bound to the root under
 * test, ceiling `fs.write`): `resolve('data://').then(d => d.write('w.bin',
 * bytes))`, the bytes made once in the guest. hostDir writes atomically: a
 * temp file, write, fsync, rename, then an fsync of the directory.
 * Baselines: the same atomic sequence by hand on the host with `node:fs`
 * (the fair comparison: same durability), and plain
 * `fs.promises.writeFile` (context: what durability costs on this disk).
 * For `memory()`: a host `Map.set` of a copy of the bytes (memory() keeps a
 * copy). Through layers, from the host with no realm:
 * `filter(overlay(memory(), memory()).node, ['**']).write(…)` against a
 * plain `memory().write(…)`.
 *
 * The files live in a fresh temp directory that is removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirNode } from '@cathedral/sdk';
import { filter, hostDir, memory, overlay } from '@cathedral/powerbox';
import { createHost } from '@cathedral/runtime';
import type { TimedProfile } from './profile.js';
import { type Row, type Target, makeRow } from './row.js';
import { interleave, summarize, timeBatch } from './stats.js';

const SIZE = 4096;

const MAIN = `
const bytes = new Uint8Array(${SIZE}).fill(7);
export const write = () => resolve('data://').then(d => d.write('w.bin', bytes));
`;

type Write = () => Promise<unknown>;

const quiet = (): void => {};

const spawnWriter = async (root: DirNode): Promise<Write> => {
  const host = await createHost({ console: quiet, report: quiet });
  const realm = await host.spawn({
    tier: 'compartment',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': MAIN }), data: root },
    ceiling: ['fs.read', 'fs.write'],
  });
  return realm.exports['write'] as Write;
};

/** The hostDir write sequence by hand: temp file, write, fsync, close, rename, fsync the directory. */
const atomicWrite = async (dir: string, name: string, bytes: Uint8Array): Promise<void> => {
  const temp = join(dir, `.${name}.${process.hrtime.bigint()}.tmp`);
  const file = await open(temp, 'wx');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, name));
  const parent = await open(dir, 'r');
  try {
    await parent.sync();
  } finally {
    await parent.close();
  }
};

interface Pair {
  readonly id: string;
  readonly title: string;
  readonly ours: Write;
  readonly baseline: Write;
  readonly peer: string;
  readonly target: Target;
  readonly note: string;
}

export const benchWrite = async (profile: TimedProfile): Promise<readonly Row[]> => {
  const bytes = new Uint8Array(randomBytes(SIZE));
  const dir = mkdtempSync(join(tmpdir(), 'cathedral-bench-'));
  try {
    const ownDir = join(dir, 'guest');
    const handDir = join(dir, 'host');
    mkdirSync(ownDir);
    mkdirSync(handDir);
    const onDisk = await spawnWriter(hostDir(ownDir));
    const inMemory = await spawnWriter(memory());
    const map = new Map<string, Uint8Array>();
    const direct = memory();
    const layered = filter(overlay(memory(), memory()).node, ['**']);
    const pairs: readonly Pair[] = [
      {
        id: 'write-hostdir',
        title: '4 KiB write, hostDir, resolve per write',
        ours: onDisk,
        baseline: () => atomicWrite(handDir, 'w.bin', bytes),
        peer: 'baseline: temp + write + fsync + rename + dir fsync, by hand',
        target: { kind: 'context' },
        note: "guest resolve('data://').then(d => d.write('w.bin', bytes)) over hostDir (atomic) vs the same atomic sequence with node:fs on the host",
      },
      {
        id: 'write-hostdir-plain',
        title: '4 KiB write, hostDir, vs plain writeFile',
        ours: onDisk,
        baseline: () => writeFile(join(handDir, 'plain.bin'), bytes),
        peer: 'baseline: fs.promises.writeFile (no fsync)',
        target: { kind: 'context' },
        note: 'same guest write vs host fs.promises.writeFile, which neither fsyncs nor renames: the price of atomic, durable writes',
      },
      {
        id: 'write-memory',
        title: '4 KiB write, memory(), resolve per write',
        ours: inMemory,
        baseline: async () => map.set('w.bin', bytes.slice()),
        peer: 'baseline: Map.set of a copy',
        target: { kind: 'context' },
        note: "guest resolve('data://').then(d => d.write('w.bin', bytes)) over memory() vs host Map.set(copy)",
      },
      {
        id: 'write-layered',
        title: "4 KiB write, filter(overlay), host",
        ours: () => layered.write('w.bin', bytes),
        baseline: () => direct.write('w.bin', bytes),
        peer: 'baseline: plain memory() write',
        target: { kind: 'context' },
        note: "host filter(overlay(memory(), memory()).node, ['**']).write('w.bin', bytes) vs host memory().write('w.bin', bytes)",
      },
    ];
    await onDisk();
    const landed = readFileSync(join(ownDir, 'w.bin'));
    if (landed.length !== SIZE || !landed.every(byte => byte === 7)) throw new Error('write benchmark: the guest write did not land in the hostDir');
    const rows: Row[] = [];
    for (const pair of pairs) {
      await pair.ours();
      await pair.baseline();
      const result = await interleave(
        profile,
        () => timeBatch(pair.ours, profile.batch),
        () => timeBatch(pair.baseline, profile.batch),
      );
      rows.push(
        makeRow({
          id: pair.id,
          title: pair.title,
          unit: 'µs',
          ours: summarize(result.ours),
          peer: pair.peer,
          baseline: summarize(result.baseline),
          target: pair.target,
          note: pair.note,
        }),
      );
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

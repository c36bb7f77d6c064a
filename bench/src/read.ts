/**
 * Rows 3 and 4: reading a 4 KiB file from inside a realm.
 *
 * Ours: a compartment-tier realm whose table binds `data` to the root under
 * test; the host calls the guest's export, which reads `f.bin` through the
 * realm's gate, so the figure includes the exports wrapper, the gate and the
 * root's own checks. Two guest shapes:
 *  - `read`: `resolve('data://f.bin').then(f => f.read())`, a URI resolved
 *    on every read (what the target is held to);
 *  - `readHeld`: a directory node resolved once and kept, then
 *    `dir.read('f.bin')`, the cost of the read alone.
 * A context row reads through the same hostDir node from the host, with no
 * realm in between, to tell the root's own cost from the realm's.
 * Baselines: `fs.promises.readFile` of the same host file from the host, and
 * for `memory()`, a `Map` lookup plus a copy of the bytes (memory() hands out
 * copies, so the baseline does too).
 *
 * The file lives in a fresh temp directory that is removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirNode, FileNode } from '@cathedral/sdk';
import { hostDir, memory } from '@cathedral/powerbox';
import { createHost } from '@cathedral/runtime';
import type { TimedProfile } from './profile.js';
import { type Row, type Target, makeRow } from './row.js';
import { interleave, summarize, timeBatch } from './stats.js';

const SIZE = 4096;

const MAIN = `
export const read = () => resolve('data://f.bin').then(f => f.read());
let held;
export const readHeld = async () => {
  if (held === undefined) held = await resolve('data://');
  return held.read('f.bin');
};
`;

type Read = () => Promise<Uint8Array>;

const quiet = (): void => {};

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

/** The guest's two read functions over a realm whose `data` is `root`. */
const spawnReader = async (root: DirNode): Promise<{ read: Read; readHeld: Read }> => {
  const host = await createHost({ console: quiet, report: quiet });
  const realm = await host.spawn({
    tier: 'compartment',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': MAIN }), data: root },
    ceiling: ['fs.read'],
  });
  return { read: realm.exports['read'] as Read, readHeld: realm.exports['readHeld'] as Read };
};

interface Pair {
  readonly id: string;
  readonly title: string;
  readonly ours: Read;
  readonly baseline: Read;
  readonly peer: string;
  readonly target: Target;
  readonly note: string;
}

const measurePair = async (profile: TimedProfile, expected: Uint8Array, pair: Pair): Promise<Row> => {
  for (const [side, read] of [['ours', pair.ours], ['baseline', pair.baseline]] as const) {
    const bytes = await read();
    if (!sameBytes(bytes, expected)) throw new Error(`${pair.id} benchmark: ${side} read the wrong bytes`);
  }
  const result = await interleave(
    profile,
    () => timeBatch(pair.ours, profile.batch),
    () => timeBatch(pair.baseline, profile.batch),
  );
  return makeRow({
    id: pair.id,
    title: pair.title,
    unit: 'µs',
    ours: summarize(result.ours),
    baseline: summarize(result.baseline),
    peer: pair.peer,
    target: pair.target,
    note: pair.note,
  });
};

export const benchRead = async (profile: TimedProfile): Promise<readonly Row[]> => {
  const bytes = new Uint8Array(randomBytes(SIZE));
  const dir = mkdtempSync(join(tmpdir(), 'cathedral-bench-'));
  try {
    const file = join(dir, 'f.bin');
    writeFileSync(file, bytes);
    const root = hostDir(dir);
    const onDisk = await spawnReader(root);
    const inMemory = await spawnReader(memory({ 'f.bin': bytes }));
    const map = new Map([['f.bin', bytes]]);
    const hostRead: Read = () => readFile(file);
    const mapRead: Read = async () => (map.get('f.bin') as Uint8Array).slice();
    const pairs: readonly Pair[] = [
      {
        id: 'read-hostdir',
        title: '4 KiB read, hostDir, resolve per read',
        ours: onDisk.read,
        baseline: hostRead,
        peer: 'baseline: fs.promises.readFile',
        target: { kind: 'ratio', max: 1.5 },
        note: "guest resolve('data://f.bin').then(f => f.read()) over hostDir vs host fs.promises.readFile",
      },
      {
        id: 'read-hostdir-held',
        title: '4 KiB read, hostDir, held dir node',
        ours: onDisk.readHeld,
        baseline: hostRead,
        peer: 'baseline: fs.promises.readFile',
        target: { kind: 'context' },
        note: "guest dir.read('f.bin') on a held hostDir node vs host fs.promises.readFile",
      },
      {
        id: 'read-hostdir-bare',
        title: '4 KiB read, hostDir from the host, no realm',
        ours: () => root.resolve('f.bin').then(f => (f as FileNode).read()),
        baseline: hostRead,
        peer: 'baseline: fs.promises.readFile',
        target: { kind: 'context' },
        note: "host root.resolve('f.bin').then(f => f.read()) on the same hostDir node, no realm or gate, vs fs.promises.readFile",
      },
      {
        id: 'read-memory',
        title: '4 KiB read, memory(), resolve per read',
        ours: inMemory.read,
        baseline: mapRead,
        peer: 'baseline: Map.get + copy',
        target: { kind: 'context' },
        note: "guest resolve('data://f.bin').then(f => f.read()) over memory() vs host Map.get + copy",
      },
    ];
    const rows: Row[] = [];
    for (const pair of pairs) rows.push(await measurePair(profile, bytes, pair));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

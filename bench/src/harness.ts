/**
 * The benchmark runner: runs every benchmark in order and returns the rows,
 * plus the facts about the machine a reader needs to judge them.
 *
 * The caller must already be locked down (./run.ts does it; the test runner
 * does it for the smoke test): the benchmarks measure Cathedral as it runs
 * in a host, under SES.
 */
import { availableParallelism, cpus } from 'node:os';
import { createHost } from '@cathedral/runtime';
import { makePlacement } from './affinity.js';
import { benchLayeredRead } from './layers.js';
import { benchMemory } from './memory.js';
import { benchMint } from './mint.js';
import { type Profile, fullProfile, quickProfile } from './profile.js';
import { benchRead } from './read.js';
import type { Row } from './row.js';
import { benchSpawn } from './spawn.js';
import { benchTierCalls } from './tier-calls.js';
import { benchTierSpawn } from './tier-spawn.js';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
}

export interface BenchResult {
  readonly profile: Profile['name'];
  readonly date: string;
  readonly machine: Machine;
  readonly rows: readonly Row[];
}

export interface BenchOptions {
  readonly quick?: boolean;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export const describeMachine = (): Machine =>
  Object.freeze({
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  });

export const runBench = async ({ quick = false, log = () => {} }: BenchOptions = {}): Promise<BenchResult> => {
  const profile = quick ? quickProfile : fullProfile;
  const rows: Row[] = [];
  log('spawn latency…');
  rows.push(await benchSpawn(profile.spawn));
  log('memory per realm (child processes)…');
  rows.push(...(await benchMemory(profile.memory)));
  log('4 KiB reads…');
  rows.push(...(await benchRead(profile.read)));
  log('4 KiB read through readOnly(filter(overlay))…');
  rows.push(await benchLayeredRead(profile.layers));
  const host = await createHost({ console: () => {}, report: () => {} });
  log('sturdy references: mint + lookup…');
  rows.push(await benchMint(host, profile.mint));
  const placement = makePlacement();
  for (const tier of ['worker', 'process'] as const) {
    log(`${tier} tier: spawn + first call…`);
    rows.push(await benchTierSpawn(host, tier, profile.tierSpawn));
    log(`${tier} tier: round trips and calls in flight…`);
    rows.push(...(await benchTierCalls(host, tier, profile.calls, placement)));
  }
  return Object.freeze({
    profile: profile.name,
    date: new Date().toISOString(),
    machine: describeMachine(),
    rows: Object.freeze(rows),
  });
};

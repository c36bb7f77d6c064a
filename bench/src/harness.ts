/**
 * The benchmark runner: runs every benchmark in order (or only those with a
 * row whose id starts with a given prefix) and returns the rows, plus the
 * facts about the machine a reader needs to judge them.
 *
 * The caller must already be locked down (./run.ts does it; the test runner
 * does it for the smoke test): the benchmarks measure Cathedral as it runs
 * in a host, under SES.
 */
import { availableParallelism, cpus } from 'node:os';
import { type Host, createHost } from '@cathedral/runtime';
import { makePlacement } from './affinity.js';
import { benchBudget } from './budget.js';
import { benchCalls } from './calls.js';
import { benchConfine } from './confine.js';
import { benchLayeredRead } from './layers.js';
import { benchLockdown } from './lockdown.js';
import { benchMemory } from './memory.js';
import { benchMint } from './mint.js';
import { benchNetFetch } from './net-fetch.js';
import { type Peer, type PeerName, loadPeers, peerNames } from './peers.js';
import { type Profile, fullProfile, quickProfile } from './profile.js';
import type { RemoteTier } from './raw-tier.js';
import { benchRead } from './read.js';
import type { Row } from './row.js';
import { benchSpawn } from './spawn.js';
import { benchTierCalls } from './tier-calls.js';
import { benchTierSpawn } from './tier-spawn.js';
import { benchWarmSpawn } from './warm-spawn.js';
import { benchWrite } from './write.js';

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
  /** Run only the benchmarks with a row whose id starts with one of these, and keep only those rows (default: all). */
  readonly only?: readonly string[];
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

/** One benchmark: the ids of the rows it produces, and how to run it. */
interface Section {
  readonly label: string;
  readonly ids: readonly string[];
  readonly run: () => Promise<Row | readonly Row[]>;
}

const tierCallIds = (tier: RemoteTier, n: number): readonly string[] => [
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
  `tput${n}-${tier}-captp1`,
  `tput${n}-${tier}-captp`,
  `tput${n}-${tier}-raw`,
];

/** Every row id, in table order, for a profile: what `--only` chooses from. */
export const rowIds = (quick = false): readonly string[] => sections(quick ? quickProfile : fullProfile).flatMap(section => section.ids);

const sections = (profile: Profile): readonly Section[] => {
  let peers: Promise<Readonly<Record<PeerName, Peer>>> | undefined;
  const getPeers = () => (peers ??= loadPeers());
  let host: Promise<Host> | undefined;
  const getHost = () => (host ??= createHost({ console: () => {}, report: () => {} }));
  const placement = makePlacement();
  const list: Section[] = [
    {
      label: 'compartment tier spawn, vs SES, node:vm, isolated-vm, QuickJS',
      ids: ['spawn', ...peerNames.filter(name => name !== 'ses').map(name => `spawn-vs-${name}`), 'spawn-fresh-root'],
      run: async () => benchSpawn(profile.spawn, await getPeers()),
    },
    {
      label: 'memory per realm (child processes)',
      ids: ['memory-rss', 'memory-heap', 'memory-rss-vs-vm', 'memory-rss-vs-quickjs', 'memory-rss-vs-ivm', 'memory-rss-worker', 'memory-rss-worker-vs-ivm', 'memory-rss-process', 'memory-rss-process-vs-inprocess'],
      run: () => benchMemory(profile.memory),
    },
    {
      label: 'calls into and out of a compartment-tier realm, vs the in-thread peers',
      ids: [...peerNames.map(name => `call-in-vs-${name}`), ...peerNames.map(name => `call-out-vs-${name}`)],
      run: async () => benchCalls(profile.inThreadCalls, await getPeers()),
    },
    { label: '4 KiB reads', ids: ['read-hostdir', 'read-hostdir-held', 'read-hostdir-bare', 'read-memory'], run: () => benchRead(profile.read) },
    { label: '4 KiB read through readOnly(filter(overlay))', ids: ['read-layered'], run: () => benchLayeredRead(profile.layers) },
    { label: '4 KiB writes', ids: ['write-hostdir', 'write-hostdir-plain', 'write-memory', 'write-layered'], run: () => benchWrite(profile.write) },
    { label: 'sturdy references: mint + lookup', ids: ['mint-lookup'], run: async () => benchMint(await getHost(), profile.mint) },
  ];
  for (const tier of ['worker', 'process'] as const) {
    list.push(
      {
        label: `${tier} tier: spawn + first call`,
        ids: [`spawn-${tier}`, `spawn-${tier}-vs-ivm`, `spawn-${tier}-vs-inthread`],
        run: async () => benchTierSpawn(await getHost(), tier, profile.tierSpawn, (await getPeers()).ivm),
      },
      {
        label: `${tier} tier: round trips, calls out, calls in flight`,
        ids: tierCallIds(tier, profile.calls.inFlight),
        run: async () => benchTierCalls(await getHost(), tier, profile.calls, placement),
      },
      {
        label: `${tier} tier: budget enforcement`,
        ids: [`budget-cpu-${tier}`, `budget-cpu-wall-${tier}`, `budget-heap-${tier}`],
        run: async () => benchBudget(await getHost(), tier, profile.budget),
      },
    );
  }
  list.push(
    {
      label: 'process tier: spawn from the warm pool, and behind the kernel wall',
      ids: ['spawn-process-warm', 'spawn-process-warm-vs-cold', 'spawn-process-confined'],
      run: async () => benchWarmSpawn(await getHost(), profile.warmSpawn),
    },
    { label: 'net: fetch through the capability vs direct http.request', ids: ['net-fetch-host', 'net-fetch-compartment', 'net-fetch-process', 'net-fetch-compartment-less-noop', 'net-fetch-process-less-noop', 'net-fetch-process-bare', 'net-fetch-process-floor', 'net-fetch-process-vs-floor'], run: () => benchNetFetch(profile.net) },
    { label: 'kernel wall cost (fresh node processes)', ids: ['confine-start', 'confine-syscall'], run: () => benchConfine(profile.confine) },
  );
  list.push({ label: 'lockdown cost (fresh node processes)', ids: ['lockdown', 'lockdown-shims'], run: () => benchLockdown(profile.lockdown) });
  return list;
};

export const runBench = async ({ quick = false, only = [], log = () => {} }: BenchOptions = {}): Promise<BenchResult> => {
  const profile = quick ? quickProfile : fullProfile;
  const wanted = (id: string) => only.length === 0 || only.some(prefix => id.startsWith(prefix));
  const chosen = sections(profile).filter(section => section.ids.some(wanted));
  if (chosen.length === 0) throw new Error(`bench: no row id starts with ${only.map(p => JSON.stringify(p)).join(' or ')}; ids: ${rowIds(quick).join(', ')}`);
  const rows: Row[] = [];
  for (const section of chosen) {
    log(`${section.label}…`);
    const began = Date.now();
    const made = await section.run();
    log(`  ${((Date.now() - began) / 1000).toFixed(1)} s`);
    const list = Array.isArray(made) ? (made as readonly Row[]) : [made as Row];
    const ids = list.map(row => row.id);
    if (ids.join() !== section.ids.join()) throw new Error(`bench: "${section.label}" made rows ${ids.join(', ')}, declared ${section.ids.join(', ')}`);
    rows.push(...list.filter(row => wanted(row.id)));
  }
  return Object.freeze({
    profile: profile.name,
    date: new Date().toISOString(),
    machine: describeMachine(),
    rows: Object.freeze(rows),
  });
};

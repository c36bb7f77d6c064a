/**
 * `createHost()`: the host kernel of the top realm.
 *
 * It locks the host down once (see @cathedral/sdk/lockdown), builds the
 * powerless guest kit shared by all realms (console factory, text codecs,
 * evaluated once in a frozen compartment of their own), keeps the parsed
 * module cache, the registry of realms and the ledger, and spawns realms —
 * for the application, and for realms that hold an authority (one level
 * down, the same machinery).
 *
 * Its own ambient powers, all at this outermost edge: the kernel-native
 * addon (hostDir's openat2 opener, the process tier's launcher), `node:crypto` for
 * sturdy-reference tokens, `Date.now` for ledger times, `process.stderr` as
 * the default report route. Roots and caps come from the caller.
 */
import { randomBytes } from 'node:crypto';
import type { DirNode, EffectKind } from '@cathedral/sdk';
import { UnsupportedError, effectKinds } from '@cathedral/sdk';
import { ensureLockdown } from '@cathedral/sdk/lockdown';
import { type Ledger, makeLedger, useNativeOpener } from '@cathedral/powerbox';
import { hostDirResolver } from '@cathedral/kernel-native';
import type { ChildHandle } from './authority.js';
import { type ConsoleRoute, defaultConsoleRoute } from './console.js';
import { makeGuestKit } from './kit.js';
import { type SourceCache, loadParser, makeSourceCache } from './modules/source-cache.js';
import { type Parent, type Realm, type RealmContext, makeCompartmentRealm } from './realm.js';
import { makeRemoteRealm, prewarm } from './tiers/remote-realm.js';
import { kernelStart } from './tiers/kernel.js';
import { type RealmInfo, type RealmRecord, makeRegistry } from './registry.js';
import type { Decider } from './requests.js';
import { type Lock, recordLock, verifyLock } from './lock.js';
import type { Meter } from './meter.js';
import type { KernelMode } from './tiers/kernel.js';
import { makePool } from './tiers/pool.js';
import { type SpawnSpec, type Spawner, checkSpec } from './spec.js';

export interface HostOptions<Net = undefined> {
  /**
   * The network this host may hand out, e.g. `makeNet()` of @cathedral/net:
   * the application gives it explicitly, as any authority, and it becomes
   * `host.net` (`caps: { net: host.net.forRealms(['api.example.com:443']) }`).
   * Without it the host has no network to give.
   */
  readonly net?: Net;
  /**
   * 'auto' (default): process-tier realms start behind the kernel wall
   * (@cathedral/kernel-native's launcher and cgroups) where it is built and
   * the machine has it, and `realm.enforcedBy.kernel` says which. 'off':
   * never (a realm that marks a kernel-held limit `required` is then refused).
   */
  readonly kernel?: KernelMode;
  /**
   * Warm guest processes for the process tier: `size` started, confined and
   * locked down ahead of each kind of spawn seen (a kind: the same ceiling,
   * heap and CPU budgets), stopped after `idleMs` unused (default 30 s).
   * Default: none. They never keep the host alive, and end with it.
   */
  readonly pool?: { readonly size: number; readonly idleMs?: number };
  /** Where guests' console lines go (default: prefixed lines on stdout/stderr). */
  readonly console?: ConsoleRoute;
  /** Where host-side details of errors redacted for guests go (default: stderr). */
  readonly report?: (message: string) => void;
  /** Answers realms' `request({ kind, purpose })` (see `makeRuleDecider`); none by default. */
  readonly decide?: Decider;
}

export interface Host<Net = undefined> {
  /** The network given to `createHost({ net })`, or undefined. */
  readonly net: Net;
  spawn(spec: SpawnSpec): Promise<Realm>;
  /** Every running realm, children under their parents. */
  ps(): readonly RealmInfo[];
  /** The record of grants, mints, spawns, requests and revocations. */
  readonly ledger: Pick<Ledger, 'query'>;
  /** How many parsed module sources are cached. */
  readonly cachedSources: number;
  /**
   * Starts the warm pool's children for process-tier spawns of this shape
   * (ceiling, heap and CPU budgets) before the first such spawn; answers
   * whether one is ready. Needs `createHost({ pool })`.
   */
  prewarm(shape?: Pick<SpawnSpec, 'ceiling' | 'budget'>): Promise<boolean>;
  /** Ends every realm of this host (as `terminate()` would) and stops its warm children. */
  close(): Promise<void>;
  /** The digests of every file under these roots, for a later spawn's `lock`. */
  lock(realms: Readonly<Record<string, DirNode>>): Promise<Lock>;
}

const hostSpawner: Spawner = Object.freeze({ name: 'host', ceiling: new Set<EffectKind>(effectKinds), guest: false, tier: 'process' });

export const createHost = async <Net = undefined>(options: HostOptions<Net> = {}): Promise<Host<Net>> => {
  ensureLockdown();
  // hostDir resolves paths in the kernel (openat2, RESOLVE_BENEATH) where the
  // native addon is built; otherwise its JavaScript walk stays in use.
  const resolver = hostDirResolver();
  if (resolver !== undefined) useNativeOpener(resolver);
  const kit = makeGuestKit();
  await loadParser();
  const sources: SourceCache = makeSourceCache();
  const registry = makeRegistry();
  const ledger = makeLedger();
  let count = 0;

  /** The realms the application spawned (their children end with them). */
  const roots = new Set<Realm>();
  /** Each realm's meter, for its children's spawns to charge. */
  const meters = new WeakMap<RealmRecord, Meter>();

  const spawnRealm = async (spec: unknown, spawner: Spawner, parent: Parent) => {
    count += 1;
    const checked = checkSpec(spec, `realm-${count}`, spawner);
    if (checked.lock !== undefined) {
      try {
        await verifyLock(Object.fromEntries(checked.roots), checked.lock, { realm: checked.name, operation: 'spawn' });
      } catch (error) {
        checked.ended('the spawn was refused');
        throw error;
      }
    }
    let made: Awaited<ReturnType<typeof makeCompartmentRealm>>;
    try {
      made = checked.tier === 'compartment' ? await makeCompartmentRealm(checked, context, parent) : await makeRemoteRealm(checked, context, parent);
    } catch (error) {
      checked.ended('the spawn failed');
      throw error;
    }
    meters.set(made.record, checked.meter);
    void made.realm.done.then(({ reason }) => checked.ended(reason));
    return made;
  };

  const spawnChild = async (spec: unknown, parent: RealmRecord): Promise<ChildHandle> => {
    const meter = meters.get(parent);
    // The child is a live descendant of its parent and every ancestor until it ends.
    meter?.charge('children', 1, { operation: 'spawn', target: 'budget.children' });
    let made: Awaited<ReturnType<typeof spawnRealm>>;
    try {
      made = await spawnRealm(spec, { name: parent.name, ceiling: parent.ceiling, guest: true, tier: parent.tier, budget: parent.budget, meter }, { record: parent, grantor: parent.name });
    } catch (error) {
      meter?.release('children', 1);
      throw error;
    }
    void made.realm.done.then(() => meter?.release('children', 1));
    return { record: made.record, exports: made.realm.exports };
  };

  const context: RealmContext = {
    kit,
    sources,
    route: options.console ?? defaultConsoleRoute,
    report: options.report ?? ((message: string) => process.stderr.write(`cathedral: ${message}\n`)),
    registry,
    ledger,
    randomToken: () => randomBytes(18).toString('base64url'),
    decide: options.decide,
    spawnChild,
    kernel: options.kernel ?? 'auto',
    pool: options.pool === undefined || options.pool.size <= 0 ? undefined : makePool({ size: Math.floor(options.pool.size), idleMs: options.pool.idleMs ?? 30_000 }),
  };

  return harden({
    net: options.net as Net,
    spawn: async (spec: SpawnSpec): Promise<Realm> => {
      const { realm } = await spawnRealm(spec, hostSpawner, { record: undefined, grantor: 'host' });
      roots.add(realm);
      void realm.done.then(() => roots.delete(realm));
      return realm;
    },
    ps: () => registry.list(),
    ledger: harden({ query: ledger.query }),
    lock: (realms: Readonly<Record<string, DirNode>>) => recordLock(realms),
    close: async () => {
      context.pool?.close();
      const all = [...roots];
      for (const realm of all) await realm.terminate();
      await Promise.all(all.map(realm => realm.done));
    },
    prewarm: async (shape: Pick<SpawnSpec, 'ceiling' | 'budget'> = {}) => {
      const { pool } = context;
      if (pool === undefined) {
        throw new UnsupportedError({ operation: 'prewarm', problem: 'this host keeps no warm pool', rule: 'warm children are kept only when asked for', allow: 'createHost({ pool: { size: 2 } })' });
      }
      const checked = checkSpec({ ...shape, tier: 'process', main: 'app://main.js', realms: {} }, 'prewarm', hostSpawner);
      checked.ended('prewarmed');
      return prewarm(kernelStart(checked, context.kernel), pool);
    },
    get cachedSources() {
      return sources.size;
    },
  });
};

/**
 * The kernel wall of a process-tier realm: how its child is started through
 * the launcher of @cathedral/kernel-native, with a cgroup of its own, and
 * what enforces each limit as a result.
 *
 * Where the launcher is built and the machine has the mechanisms, a child is
 * started confined — Landlock (read-only on node, its libraries and the
 * runtime's own code; nothing else), seccomp (no process creation, exec,
 * sockets unless a net ceiling opens a port, ptrace, io_uring, chmod, mount,
 * ...), an unprivileged uid, rlimits, a scrubbed environment — inside a
 * cgroup holding its memory (V8's old space at about 70% of it, so a heap
 * bomb is V8's diagnosable error and an off-heap one meets the OOM killer)
 * and its task count. Where they are missing, the child starts as before and
 * `enforcedBy` says which limits only the language wall holds; a spawn that
 * marked such a limit `required` is refused instead.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import type { EffectKind } from '@cathedral/sdk';
import { UnsupportedError, isEffectKind } from '@cathedral/sdk';
import {
  type RealmCgroup,
  confinementPlan,
  launcherArgs,
  launcherPath,
  launcherStep,
  discoverCgroups,
  makeRealmCgroup,
  probe,
  sweepStaleCgroups,
} from '@cathedral/kernel-native';
import type { CheckedSpec } from '../spec.js';

/**
 * Old-space heap the guest runtime itself holds before a line of the guest
 * runs (SES, CapTP, the module parser: about 22 MB on Node 20). A heap
 * budget is what the guest may add on top: counted from zero, any `heapMb`
 * under ~24 could not even start, and the guest was blamed for it.
 */
export const RUNTIME_HEAP_MB = 32;
/** V8's old space is this share of the realm's memory cgroup. */
const HEAP_SHARE = 0.7;
/** Tasks a guest process may hold: Node's own threads (libuv pool, V8 helpers) and some slack. */
const PIDS_MAX = 64;

/**
 * 'auto': behind the kernel wall where built; 'off': never;
 * 'lowered-language-wall-for-tests': behind the kernel wall, and the guest
 * also holds Node's `process` and `require`, so tests attack the kernel
 * wall alone (refused where the kernel wall is absent).
 */
export type KernelMode = 'auto' | 'off' | 'lowered-language-wall-for-tests';

export interface KernelStart {
  /** What to fork through: the launcher, or node itself. */
  readonly execPath: string | undefined;
  /**
   * A child's own cgroup with this spawn's limits (undefined where none can
   * be made, or without the kernel wall): every child, cold or warm, gets one
   * when it is started, and joins it before exec.
   */
  readonly newCgroup: (label: string) => RealmCgroup | undefined;
  /** Launcher options (joining `cgroup`) and `--`, then node and its flags; or only node's flags. */
  readonly argvFor: (cgroup: RealmCgroup | undefined) => readonly string[];
  /** Children started for the same kind are interchangeable: the warm pool's key. */
  readonly kind: string;
  /** Per limit, what enforces it for this child. */
  readonly enforcedBy: Readonly<Record<string, string>>;
  /** The language wall is lowered (test-only host mode). */
  readonly lowered: boolean;
  /** Removes a child's cgroup once the child has exited. */
  readonly release: (cgroup: RealmCgroup | undefined) => Promise<void>;
  /** Why a child that died at start died, when the launcher says (an exit code 100–109). */
  readonly launcherFailure: (code: number | null) => string | undefined;
}

const require = createRequire(import.meta.url);

/** The directory of an installed package, real path. */
const packageDir = (name: string): string => realpathSync(dirname(require.resolve(`${name}/package.json`)));

let readPathsMemo: readonly string[] | undefined;
/**
 * What a guest process must read: the runtime's own code and the packages it
 * imports. The workspace packages by their real directories, and the
 * `node_modules` that holds the third-party ones.
 */
const readPaths = (): readonly string[] => {
  if (readPathsMemo !== undefined) return readPathsMemo;
  const ses = packageDir('ses');
  const modules = ses.slice(0, ses.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules`.length);
  const runtime = realpathSync(dirname(dirname(dirname(new URL(import.meta.url).pathname))));
  readPathsMemo = Object.freeze([...new Set([modules, runtime, packageDir('@cathedral/sdk'), packageDir('@cathedral/powerbox')])]);
  return readPathsMemo;
};

interface Wall {
  readonly launcher: string | undefined;
  /** Why the launcher cannot be used here, when it cannot. */
  readonly absent: string | undefined;
}
let wallMemo: Wall | undefined;
const wall = (): Wall => {
  if (wallMemo !== undefined) return wallMemo;
  const launcher = launcherPath();
  const facts = probe();
  let absent: string | undefined;
  if (process.platform !== 'linux') absent = `no kernel wall on ${process.platform}`;
  else if (launcher === undefined) absent = 'the launcher of @cathedral/kernel-native is not built (npm run setup builds it)';
  else if (facts.landlockAbi === undefined || facts.landlockAbi < 3) absent = `Landlock ABI ${facts.landlockAbi ?? 'absent'} (3 or later needed)`;
  else if (facts.seccompFilter !== true) absent = 'seccomp filters are not available';
  wallMemo = Object.freeze({ launcher: absent === undefined ? launcher : undefined, absent });
  // Realm cgroups of hosts that died before removing them.
  if (absent === undefined) sweepStaleCgroups();
  return wallMemo;
};

/** Whether process-tier children start behind the kernel wall on this machine, and why not. */
export const kernelWallStatus = (): { readonly present: boolean; readonly absent: string | undefined } => {
  const { launcher, absent } = wall();
  return Object.freeze({ present: launcher !== undefined, absent });
};

/**
 * Realm cgroups not yet removed. A host that exits while a child is still
 * dying removes them on its way out (the child was SIGKILLed; its task
 * leaves the cgroup within milliseconds); one that is killed leaves them to
 * the next host's sweep.
 */
const live = new Set<RealmCgroup>();
const track = (cgroup: RealmCgroup): void => {
  if (live.size === 0) process.once('exit', removeLive);
  live.add(cgroup);
};
const untrack = (cgroup: RealmCgroup): void => {
  live.delete(cgroup);
  if (live.size === 0) process.removeListener('exit', removeLive);
};
const removeLive = (): void => {
  for (const cgroup of live) cgroup.removeNow(50);
  live.clear();
};

/** Why a cgroup with these limits cannot be made here, or undefined when it can. */
let layout: ReturnType<typeof discoverCgroups> | undefined;
const cgroupUnavailable = (limits: { readonly memoryBytes?: number; readonly pids?: number }): string | undefined => {
  const { controllers } = (layout ??= discoverCgroups());
  const asked = [...(limits.memoryBytes === undefined ? [] : ['memory' as const]), ...(limits.pids === undefined ? [] : ['pids' as const])];
  for (const controller of asked) {
    const state = controllers[controller];
    if (!state.available) return `the ${controller} controller: ${state.why}`;
    if (!state.writable) return `the ${controller} controller: ${state.why ?? 'not writable'}`;
  }
  return undefined;
};

/** What a limit marked `required` needs of the kernel at the process tier. */
const needsKernel = (key: string): boolean => key === 'kernel' || key === 'heapMb' || key === 'cpuMs' || isEffectKind(key);

const refuseRequired = (spec: CheckedSpec, key: string, why: string): never => {
  throw new UnsupportedError({
    operation: 'spawn',
    target: `required: ${key}`,
    realm: spec.name,
    problem: `${key} is marked required, but ${why}`,
    rule: 'a limit marked required is enforced as asked or the spawn is refused, never silently degraded',
    allow: `run cathedral doctor (node packages/kernel-native/bin/doctor.mjs) to see what this machine lacks, or spawn without required: ['${key}']`,
  });
};

/**
 * The launcher's plan without a cgroup, and its arguments, by the shape of
 * a spawn (its ceiling and budget: all a plan is made of besides the
 * realm's name, which only its messages carry): a warm spawn takes a child
 * by its kind, and computing the kind is then most of what it costs here.
 */
const shapes = new Map<string, { readonly plan: ReturnType<typeof confinementPlan>; readonly args: readonly string[] }>();
const SHAPES_KEPT = 256;
const shapeOf = (spec: CheckedSpec, make: () => ReturnType<typeof confinementPlan>) => {
  const key = JSON.stringify([[...spec.ceiling].sort(), spec.budget]);
  let shape = shapes.get(key);
  if (shape === undefined) {
    const plan = make();
    shape = { plan, args: Object.freeze(launcherArgs(plan)) };
    if (shapes.size >= SHAPES_KEPT) shapes.clear();
    shapes.set(key, shape);
  }
  return shape;
};

/**
 * How to start the child of a process-tier realm. Throws UnsupportedError
 * when a `required` limit cannot be held here; never throws for a mechanism
 * that is merely missing (the result says so instead).
 */
/** Whether the host was already told that the kernel wall is absent (it is told once per process). */
let toldAbsent = false;

export const kernelStart = (spec: CheckedSpec, mode: KernelMode, options: { readonly report?: (message: string) => void } = {}): KernelStart => {
  const heapMb = spec.budget.heapMb;
  const v8Heap = heapMb === undefined ? undefined : Math.ceil(RUNTIME_HEAP_MB + heapMb);
  const nodeArgs = v8Heap === undefined ? [] : [`--max-old-space-size=${v8Heap}`];
  const { launcher, absent } = mode === 'off' ? { launcher: undefined, absent: 'the host was made with kernel: "off"' } : wall();
  const enforcedBy: Record<string, string> = {};
  const lowered = mode === 'lowered-language-wall-for-tests';
  if (lowered && launcher === undefined) {
    throw new UnsupportedError({
      operation: 'spawn',
      target: 'kernel: lowered-language-wall-for-tests',
      realm: spec.name,
      problem: `the language wall would be lowered with no kernel wall behind it: ${absent}`,
      rule: 'a guest is never handed Node\'s own powers without a wall that holds them',
      allow: "build the kernel wall, or use kernel: 'auto'",
    });
  }
  if (launcher === undefined) {
    if (mode === 'auto' && !toldAbsent) {
      toldAbsent = true;
      options.report?.(`the kernel wall is absent (${absent}): process-tier realms are held by the language wall alone; realm.enforcedBy says what holds each limit, and a spawn that requires a kernel-held limit is refused`);
    }
    for (const key of spec.required) if (needsKernel(key)) refuseRequired(spec, key, `the kernel wall is absent: ${absent}`);
    enforcedBy['kernel'] = `absent: ${absent}`;
    enforcedBy['heapMb'] = heapMb === undefined ? 'not asked' : `V8 --max-old-space-size, on top of ${RUNTIME_HEAP_MB} MB for the guest runtime (ArrayBuffers not counted: no kernel wall)`;
    return Object.freeze({
      execPath: undefined,
      newCgroup: () => undefined,
      argvFor: () => Object.freeze(nodeArgs),
      kind: JSON.stringify(['node', ...nodeArgs]),
      enforcedBy: Object.freeze(enforcedBy),
      lowered: false,
      release: async () => {},
      launcherFailure: () => undefined,
    });
  }
  const memoryBytes = v8Heap === undefined ? undefined : Math.ceil((v8Heap / HEAP_SHARE) * 1024 * 1024);
  const limits = { ...(memoryBytes === undefined ? {} : { memoryBytes }), pids: PIDS_MAX };
  // Whether this machine can make such a cgroup: asked of the layout, no cgroup is made here.
  const noCgroup = cgroupUnavailable(limits);
  if (noCgroup !== undefined && spec.required.includes('heapMb')) refuseRequired(spec, 'heapMb', `no memory cgroup can be made here: ${noCgroup}`);
  const newCgroup = (label: string): RealmCgroup | undefined => {
    if (noCgroup !== undefined) return undefined;
    const cgroup = makeRealmCgroup(label.replace(/[^\w.-]/g, '_'), limits);
    track(cgroup);
    return cgroup;
  };
  const planOf = (cgroups: readonly string[]) =>
    confinementPlan({ realm: spec.name, ceiling: spec.ceiling as ReadonlySet<EffectKind>, budget: spec.budget, readPaths: readPaths(), cgroups });
  const { plan, args } = shapeOf(spec, () => planOf([]));
  const argvFor = (cgroup: RealmCgroup | undefined): readonly string[] =>
    Object.freeze([...(cgroup === undefined ? args : launcherArgs(planOf([...new Set(Object.values(cgroup.dirs))]))), '--', process.execPath, ...nodeArgs]);
  const cgroup = noCgroup === undefined;
  enforcedBy['kernel'] = `launcher: Landlock, seccomp, uid ${plan.uid}, rlimits, no_new_privs, scrubbed environment`;
  enforcedBy['heapMb'] =
    heapMb === undefined
      ? 'not asked'
      : !cgroup
        ? `V8 --max-old-space-size only (no cgroup: ${noCgroup})`
        : `V8 --max-old-space-size=${v8Heap} (the guest runtime's ${RUNTIME_HEAP_MB} MB included) inside a memory cgroup of ${Math.round(v8Heap! / HEAP_SHARE)} MB (ArrayBuffers counted; the OOM killer ends the realm)`;
  enforcedBy['pids'] = !cgroup ? 'not enforced' : `pids cgroup: ${PIDS_MAX} tasks`;
  return Object.freeze({
    execPath: launcher,
    newCgroup,
    argvFor,
    kind: JSON.stringify([launcher, ...argvFor(undefined), JSON.stringify(limits)]),
    enforcedBy: Object.freeze(enforcedBy),
    lowered,
    release: async (made: RealmCgroup | undefined) => {
      if (made === undefined) return;
      await made.remove().catch(() => {});
      untrack(made);
    },
    launcherFailure: (code: number | null) => {
      const step = launcherStep(code);
      return step === undefined ? undefined : `crashed: the launcher failed at ${step}`;
    },
  });
};

/**
 * One cgroup per process-tier realm, under the host's own cgroup.
 *
 * Discovery reads /proc/self/cgroup and /proc/self/mountinfo and never
 * assumes a path: for each controller this module uses (memory, cpu,
 * cpuacct for CPU time under v1, pids) it finds the hierarchy holding it
 * (v1: a `cgroup` mount whose options name it; v2: the `cgroup2` mount, when
 * the host's own cgroup lists it in cgroup.controllers) and the host's
 * directory in it. A controller that is absent or not writable is reported
 * with the reason, never thrown as a deep file-system error.
 *
 * `makeRealmCgroup(name, limits)` creates `cathedral-<name>-<pid>-<n>` under
 * the host's directory of every available controller (v1: one directory per
 * hierarchy; v2: one directory), sets the limits asked for — memory (swap
 * off: memsw or memory.swap.max equal to / zero beyond the limit), CPU quota,
 * pids.max — and refuses with UnsupportedError a limit whose controller is
 * unavailable. The launcher joins a child by writing its pid to every
 * directory's cgroup.procs (`procsFiles`). `reason()` reads why members died
 * (OOM kills, pids refusals), `usage()` what they use, `remove()` kills what
 * is left and removes every directory, once, idempotently.
 *
 * Deliberately not done: moving the host itself (v2's "no internal
 * processes" rule may then forbid controllers in its children: reported),
 * io limits, and any cgroup outside the host's own.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmdirSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { InvalidArgumentError, UnsupportedError } from '@cathedral/sdk';

export type Controller = 'memory' | 'cpu' | 'cpuacct' | 'pids';
export const controllers: readonly Controller[] = Object.freeze(['memory', 'cpu', 'cpuacct', 'pids']);

export type ControllerState =
  | { readonly controller: Controller; readonly available: true; readonly version: 1 | 2; readonly dir: string; readonly writable: boolean; readonly why?: string }
  | { readonly controller: Controller; readonly available: false; readonly why: string };

/** One line of /proc/self/cgroup: `id:controllers:path`. */
export interface CgroupLine {
  readonly id: number;
  readonly controllers: readonly string[];
  readonly path: string;
}

export const parseProcCgroup = (text: string): readonly CgroupLine[] =>
  text
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => {
      const first = line.indexOf(':');
      const second = line.indexOf(':', first + 1);
      const names = line.slice(first + 1, second);
      return Object.freeze({
        id: Number(line.slice(0, first)),
        controllers: Object.freeze(names === '' ? [] : names.split(',')),
        path: line.slice(second + 1),
      });
    });

export interface CgroupMount {
  readonly version: 1 | 2;
  /** The cgroup path this mount shows at its mount point (usually '/'). */
  readonly root: string;
  readonly mountPoint: string;
  readonly readOnly: boolean;
  /** v1: the controllers named in the super options. */
  readonly controllers: readonly string[];
}

/** Unescapes the octal escapes of mountinfo paths (`\040` for a space). */
const unescape = (field: string): string => field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

export const parseMountinfo = (text: string): readonly CgroupMount[] => {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const before = line.slice(0, dash).split(' ');
    const [fstype, , superOptions = ''] = line.slice(dash + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const root = unescape(before[3] ?? '/');
    const mountPoint = unescape(before[4] ?? '');
    const readOnly = (before[5] ?? '').split(',').includes('ro') || superOptions.split(',').includes('ro');
    const known = new Set<string>(controllers);
    mounts.push(
      Object.freeze({
        version: fstype === 'cgroup2' ? (2 as const) : (1 as const),
        root,
        mountPoint,
        readOnly,
        controllers: Object.freeze(fstype === 'cgroup2' ? [] : superOptions.split(',').filter(o => known.has(o))),
      }),
    );
  }
  return Object.freeze(mounts);
};

/** Where `path` (a cgroup path) lives under `mount`, or undefined when the mount does not show it. */
const dirUnder = (mount: CgroupMount, path: string): string | undefined => {
  const trim = (dir: string) => (dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir);
  if (mount.root === '/') return trim(join(mount.mountPoint, path));
  if (path === mount.root || path.startsWith(`${mount.root}/`)) return trim(join(mount.mountPoint, path.slice(mount.root.length)));
  return undefined;
};

const isWritable = (dir: string): boolean => {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

export interface CgroupLayout {
  readonly controllers: Readonly<Record<Controller, ControllerState>>;
}

export interface DiscoverSources {
  readonly procCgroup?: string;
  readonly mountinfo?: string;
  /** Reads a file of a cgroup directory (v2 cgroup.controllers); undefined when unreadable. */
  readonly readFile?: (path: string) => string | undefined;
  readonly writable?: (dir: string) => boolean;
}

const readIfAny = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The host's own cgroup, per controller. Sources default to this process's /proc files. */
export const discoverCgroups = (sources: DiscoverSources = {}): CgroupLayout => {
  const procCgroup = sources.procCgroup ?? readIfAny('/proc/self/cgroup');
  const mountinfo = sources.mountinfo ?? readIfAny('/proc/self/mountinfo');
  const read = sources.readFile ?? readIfAny;
  const writable = sources.writable ?? isWritable;
  const out = {} as Record<Controller, ControllerState>;
  if (procCgroup === undefined || mountinfo === undefined) {
    for (const controller of controllers) out[controller] = Object.freeze({ controller, available: false, why: '/proc/self/cgroup or mountinfo is unreadable' });
    return Object.freeze({ controllers: Object.freeze(out) });
  }
  const lines = parseProcCgroup(procCgroup);
  const mounts = parseMountinfo(mountinfo);
  const unified = lines.find(l => l.id === 0 && l.controllers.length === 0);
  const v2 = mounts.find(m => m.version === 2 && unified !== undefined && dirUnder(m, unified.path) !== undefined);
  const v2Dir = v2 === undefined || unified === undefined ? undefined : dirUnder(v2, unified.path);
  const v2Controllers = v2Dir === undefined ? [] : (read(join(v2Dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
  for (const controller of controllers) {
    const line = lines.find(l => l.controllers.includes(controller));
    const mount = line === undefined ? undefined : mounts.find(m => m.version === 1 && m.controllers.includes(controller) && dirUnder(m, line.path) !== undefined);
    let state: ControllerState;
    if (line !== undefined && mount !== undefined) {
      const dir = dirUnder(mount, line.path) as string;
      const ok = !mount.readOnly && writable(dir);
      state = ok
        ? { controller, available: true, version: 1, dir, writable: true }
        : { controller, available: true, version: 1, dir, writable: false, why: mount.readOnly ? 'mounted read-only' : `${dir} is not writable by this process` };
    } else if (v2 !== undefined && v2Dir !== undefined && (v2Controllers.includes(controller) || controller === 'cpuacct')) {
      // v2 has no cpuacct: CPU time is in cpu.stat of every cgroup.
      const ok = !v2.readOnly && writable(v2Dir);
      state = ok
        ? { controller, available: true, version: 2, dir: v2Dir, writable: true }
        : { controller, available: true, version: 2, dir: v2Dir, writable: false, why: v2.readOnly ? 'mounted read-only' : `${v2Dir} is not writable by this process` };
    } else {
      state = { controller, available: false, why: line === undefined && v2 === undefined ? 'not mounted' : 'not enabled in the host\u2019s cgroup' };
    }
    out[controller] = Object.freeze(state);
  }
  return Object.freeze({ controllers: Object.freeze(out) });
};

export interface RealmLimits {
  /** Memory (and memory + swap) limit in bytes. */
  readonly memoryBytes?: number;
  /** CPU rate in CPUs (0.5: half of one CPU), as a CFS quota. */
  readonly cpuRate?: number;
  /** Maximum number of tasks (processes and threads). */
  readonly pids?: number;
}

export interface RealmUsage {
  readonly memoryBytes: number | undefined;
  readonly cpuNs: number | undefined;
  readonly pids: number | undefined;
}

export interface RealmDeaths {
  /** Members killed by the OOM killer of this cgroup. */
  readonly oomKills: number | undefined;
  /** Times a charge hit the memory limit (v1 memory.failcnt, v2 memory.events max). */
  readonly memoryLimitHits: number | undefined;
  /** Forks refused by pids.max. */
  readonly pidsRefused: number | undefined;
  /** 'oom-kill' when the OOM killer killed a member, else undefined. */
  readonly reason: 'oom-kill' | undefined;
}

export interface RealmCgroup {
  readonly name: string;
  /** Directory per controller (in v2 the same one for all). */
  readonly dirs: Readonly<Partial<Record<Controller, string>>>;
  /** The distinct cgroup.procs files a member must be written to. */
  readonly procsFiles: readonly string[];
  /** What this cgroup enforces, and what was asked but is not available. */
  readonly limits: RealmLimits;
  join(pid: number): void;
  reason(): RealmDeaths;
  usage(): RealmUsage;
  /** Kills remaining members, then removes every directory. Idempotent. */
  remove(): Promise<void>;
  /**
   * The same, synchronously, waiting at most `maxMs` for killed members to
   * leave (for a host on its way out, which cannot await); true when every
   * directory is gone.
   */
  removeNow(maxMs: number): boolean;
}

let counter = 0;

const numberIn = (text: string | undefined, key?: string): number | undefined => {
  if (text === undefined) return undefined;
  if (key === undefined) {
    const n = Number(text.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  const line = text.split('\n').find(l => l.startsWith(`${key} `));
  const n = line === undefined ? Number.NaN : Number(line.slice(key.length + 1));
  return Number.isFinite(n) ? n : undefined;
};

const invalid = (name: string, problem: string) =>
  new InvalidArgumentError({ operation: 'makeRealmCgroup', target: name, problem, rule: 'limits are positive numbers' });

const unsupported = (name: string, controller: Controller, state: ControllerState) =>
  new UnsupportedError({
    operation: 'makeRealmCgroup',
    target: name,
    problem: `the ${controller} controller is ${state.available ? 'not writable' : 'unavailable'} (${state.why ?? 'unknown'})`,
    rule: 'a limit is enforced by the kernel or refused, never silently dropped',
    allow: `mount and delegate the ${controller} controller to this process's cgroup, or do not ask for that limit`,
  });

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export const makeRealmCgroup = (name: string, limits: RealmLimits = {}, layout: CgroupLayout = discoverCgroups()): RealmCgroup => {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._/-]{1,80}$/.test(name) || name.includes('..')) {
    throw invalid(String(name), 'the realm name must be 1 to 80 letters, digits, ".", "_", "-" or "/", without ".."');
  }
  const { memoryBytes, cpuRate, pids } = limits;
  if (memoryBytes !== undefined && (!Number.isSafeInteger(memoryBytes) || memoryBytes < 1 << 20)) throw invalid(name, 'memoryBytes must be an integer of at least 1 MiB');
  if (cpuRate !== undefined && (!Number.isFinite(cpuRate) || cpuRate <= 0 || cpuRate > 1024)) throw invalid(name, 'cpuRate must be a positive number of CPUs');
  if (pids !== undefined && (!Number.isSafeInteger(pids) || pids < 1)) throw invalid(name, 'pids must be a positive integer');
  const asked: Controller[] = [];
  if (memoryBytes !== undefined) asked.push('memory');
  if (cpuRate !== undefined) asked.push('cpu');
  if (pids !== undefined) asked.push('pids');
  for (const controller of asked) {
    const state = layout.controllers[controller];
    if (!state.available || !state.writable) throw unsupported(name, controller, state);
  }
  // Unique in the host: worker threads of one process each count from 1, so the thread is part of the number.
  const leaf = `cathedral-${name.replace(/\//g, '_')}-${process.pid}-${threadId * 1_000_000 + ++counter}`;
  const dirs: Partial<Record<Controller, string>> = {};
  const created: string[] = [];
  const v2Enabled = new Set<string>();
  const removeCreated = () => {
    for (const dir of created.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // best effort on a failed creation; remove() reports nothing more to do
      }
    }
  };
  try {
    for (const controller of controllers) {
      const state = layout.controllers[controller];
      if (!state.available || !state.writable) continue;
      if (state.version === 2 && controller !== 'cpuacct' && !v2Enabled.has(controller)) {
        // v2: a child gets a controller only through the parent's subtree_control.
        try {
          writeFileSync(join(state.dir, 'cgroup.subtree_control'), `+${controller}`);
          v2Enabled.add(controller);
        } catch (error) {
          if (asked.includes(controller)) {
            throw unsupported(name, controller, { ...state, why: `cgroup.subtree_control refused +${controller} (${(error as { code?: string }).code ?? 'error'}): the host's cgroup may hold processes` });
          }
          continue;
        }
      }
      const dir = join(state.dir, leaf);
      if (!created.includes(dir)) {
        mkdirSync(dir);
        created.push(dir);
      }
      dirs[controller] = dir;
    }
    if (memoryBytes !== undefined && dirs.memory !== undefined) {
      if (v2('memory')) {
        writeFileSync(join(dirs.memory, 'memory.max'), String(memoryBytes));
        if (existsSync(join(dirs.memory, 'memory.swap.max'))) writeFileSync(join(dirs.memory, 'memory.swap.max'), '0');
      } else {
        writeFileSync(join(dirs.memory, 'memory.limit_in_bytes'), String(memoryBytes));
        const memsw = join(dirs.memory, 'memory.memsw.limit_in_bytes');
        if (existsSync(memsw)) writeFileSync(memsw, String(memoryBytes));
        else if (existsSync(join(dirs.memory, 'memory.swappiness'))) writeFileSync(join(dirs.memory, 'memory.swappiness'), '0');
      }
    }
    if (cpuRate !== undefined && dirs.cpu !== undefined) {
      const period = 100_000;
      const quota = Math.max(1000, Math.round(cpuRate * period));
      if (v2('cpu')) writeFileSync(join(dirs.cpu, 'cpu.max'), `${quota} ${period}`);
      else {
        writeFileSync(join(dirs.cpu, 'cpu.cfs_period_us'), String(period));
        writeFileSync(join(dirs.cpu, 'cpu.cfs_quota_us'), String(quota));
      }
    }
    if (pids !== undefined && dirs.pids !== undefined) writeFileSync(join(dirs.pids, 'pids.max'), String(pids));
  } catch (error) {
    removeCreated();
    if (error instanceof UnsupportedError) throw error;
    throw new UnsupportedError({
      operation: 'makeRealmCgroup',
      target: name,
      problem: `the cgroup could not be set up (${(error as { code?: string }).code ?? String(error)})`,
      rule: 'a limit is enforced by the kernel or refused, never silently dropped',
      allow: 'check that this process may create cgroups under its own (doctor() shows each controller)',
    });
  }
  const procsFiles = Object.freeze([...new Set(Object.values(dirs))].map(dir => join(dir, 'cgroup.procs')));
  const file = (c: Controller, f: string) => (dirs[c] === undefined ? undefined : readIfAny(join(dirs[c] as string, f)));
  let removed: Promise<void> | undefined;

  const members = (): number[] => {
    const pids = new Set<number>();
    for (const procs of procsFiles) {
      for (const line of (readIfAny(procs) ?? '').split('\n')) if (line.trim() !== '') pids.add(Number(line));
    }
    pids.delete(process.pid); // never the host itself
    return [...pids];
  };

  const removeAll = async (): Promise<void> => {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const left = members();
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sleep(10);
    }
    const failed: string[] = [];
    for (const dir of [...new Set(Object.values(dirs))]) {
      for (let attempt = 0; ; attempt += 1) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'ENOENT') break;
          // EBUSY: a killed member has not left yet.
          if (code !== 'EBUSY' || attempt >= 100) {
            failed.push(`${dir} (${code ?? 'error'})`);
            break;
          }
          await sleep(10);
        }
      }
    }
    if (failed.length > 0) {
      removed = undefined; // let a later call try again
      throw new UnsupportedError({
        operation: 'remove',
        target: name,
        problem: `cgroup directories could not be removed: ${failed.join(', ')}`,
        rule: 'a realm leaves no cgroup behind',
        allow: 'retry once its processes have exited',
      });
    }
  };

  return Object.freeze({
    name: leaf,
    dirs: Object.freeze({ ...dirs }),
    procsFiles,
    limits: Object.freeze({ ...limits }),
    join: (pid: number) => {
      for (const procs of procsFiles) writeFileSync(procs, String(pid));
    },
    reason: (): RealmDeaths => {
      const memoryV2 = v2('memory');
      const events = memoryV2 ? file('memory', 'memory.events') : undefined;
      const oomKills = memoryV2 ? numberIn(events, 'oom_kill') : numberIn(file('memory', 'memory.oom_control'), 'oom_kill');
      const memoryLimitHits = memoryV2 ? numberIn(events, 'max') : numberIn(file('memory', 'memory.failcnt'));
      const pidsRefused = numberIn(file('pids', 'pids.events'), 'max');
      return Object.freeze({ oomKills, memoryLimitHits, pidsRefused, reason: oomKills !== undefined && oomKills > 0 ? ('oom-kill' as const) : undefined });
    },
    usage: (): RealmUsage => {
      const memoryBytes = v2('memory') ? numberIn(file('memory', 'memory.current')) : numberIn(file('memory', 'memory.usage_in_bytes'));
      let cpuNs: number | undefined;
      if (v2('cpu') || v2('cpuacct')) {
        const usec = numberIn(file('cpu', 'cpu.stat') ?? file('cpuacct', 'cpu.stat'), 'usage_usec');
        cpuNs = usec === undefined ? undefined : usec * 1000;
      } else cpuNs = numberIn(file('cpuacct', 'cpuacct.usage'));
      return Object.freeze({ memoryBytes, cpuNs, pids: numberIn(file('pids', 'pids.current')) });
    },
    remove: () => (removed ??= removeAll()),
    removeNow: (maxMs: number): boolean => {
      const until = Date.now() + maxMs;
      const nap = new Int32Array(new SharedArrayBuffer(4));
      for (let left = members(); left.length > 0 && Date.now() < until; left = members()) {
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        Atomics.wait(nap, 0, 0, 2);
      }
      let all = true;
      for (const dir of [...new Set(Object.values(dirs))]) {
        try {
          rmdirSync(dir);
        } catch (error) {
          if ((error as { code?: string }).code !== 'ENOENT') all = false;
        }
      }
      return all;
    },
  });

  function v2(c: Controller): boolean {
    const state = layout.controllers[c];
    return state.available && state.version === 2;
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes the realm cgroups a host that is no longer running left behind
 * (`cathedral-<name>-<pid>-<n>` whose pid is gone): a host killed, or one
 * that exited before its last children had died, cannot remove its own.
 * Members still in one are killed first. Answers how many were removed.
 */
export const sweepStaleCgroups = (layout: CgroupLayout = discoverCgroups()): number => {
  let removed = 0;
  const dirs = new Set<string>();
  for (const controller of controllers) {
    const state = layout.controllers[controller];
    if (state.available && state.writable) dirs.add(state.dir);
  }
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const match = /^cathedral-.+-(\d+)-\d+$/.exec(entry);
      if (match === null || alive(Number(match[1]))) continue;
      const leaf = join(dir, entry);
      for (const pid of (readIfAny(join(leaf, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      try {
        rmdirSync(leaf);
        removed += 1;
      } catch {
        // a member still dying: the next sweep takes it
      }
    }
  }
  return removed;
};

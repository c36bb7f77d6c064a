/**
 * The confinement plan: what the kernel wall of one process-tier child
 * allows, derived from the realm's effect ceiling and budget. A plan is a
 * plain hardened record; `launcherArgs(plan)` (launcher.ts) turns it into the
 * launcher's command line.
 *
 * At the process tier the child reaches files, the network and other
 * processes through capabilities the host holds, so the plan closes nearly
 * everything: the child may read and execute node and its libraries, read
 * the runtime's own code (`readPaths`), and nothing else. From the ceiling:
 *   - `net.connect` / `net.listen` open the TCP ports listed in `netPorts`
 *     (and only those; a port listed without the effect is a CeilingError);
 *   - `fs.read`, `fs.write`, `proc.spawn`, `proc.list` open nothing in the
 *     child: those effects are exercised by the host on the child's behalf.
 * From the budget: `cpuMs` sets RLIMIT_CPU as a backstop behind the host's
 * watchdog. `wallMs` is the host's timer; `heapMb` is Node's heap flag and
 * the realm's memory cgroup (`cgroups`, made elsewhere): RLIMIT_AS is not
 * used because V8 reserves far more address space than it uses (the
 * WebAssembly guard regions alone are several GiB). Both are listed in
 * `unmapped`, so a caller can report them as not enforced by the launcher.
 *
 * This module does no I/O; `nodeSystemPaths()` (launcher.ts) reads what
 * node itself needs.
 */
import type { EffectKind } from '@cathedral/sdk';
import { CeilingError, InvalidArgumentError, isEffectKind } from '@cathedral/sdk';
import { nodeSystemPaths, type SystemPaths } from './launcher.js';

/** The budget keys the plan reads (the runtime's `Budget` fits this shape). */
export interface KernelBudget {
  readonly cpuMs?: number | undefined;
  readonly wallMs?: number | undefined;
  readonly heapMb?: number | undefined;
}

export interface ConfinementInput {
  readonly ceiling: Iterable<EffectKind>;
  readonly budget?: KernelBudget | undefined;
  /** Absolute paths the child reads: the runtime's own code, the node_modules it imports. */
  readonly readPaths: readonly string[];
  /** TCP ports the child itself may connect to / bind, each needing its effect in the ceiling. */
  readonly netPorts?: { readonly connect?: readonly number[]; readonly listen?: readonly number[] } | undefined;
  /** cgroup directories (already made and limited) the child joins before exec. */
  readonly cgroups?: readonly string[] | undefined;
  /** Environment variable names passed through besides NODE_CHANNEL_*. */
  readonly env?: readonly string[] | undefined;
  /** The unprivileged ids a root host drops the child to; default 65534 (nobody). */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  /** RLIMIT_NOFILE of the child; default 256. */
  readonly openFiles?: number | undefined;
  /** Descriptors besides 0-2 and the IPC channel to leave open across exec. */
  readonly keepFds?: readonly number[] | undefined;
  /** SIGKILL the child when the thread that forked it exits; default true. */
  readonly dieWithParent?: boolean | undefined;
  /** The lowest Landlock ABI accepted; default 3 (4 with ports), see README. */
  readonly minLandlockAbi?: number | undefined;
  /** What node needs; default `nodeSystemPaths()` of the running node. */
  readonly system?: SystemPaths | undefined;
  /** For messages. */
  readonly realm?: string | undefined;
}

export interface PlanRlimit {
  readonly name: 'cpu' | 'core' | 'nofile' | 'memlock' | 'msgqueue';
  readonly soft: number;
  readonly hard: number;
}

export interface ConfinementPlan {
  readonly realm: string | undefined;
  readonly cgroups: readonly string[];
  readonly rlimits: readonly PlanRlimit[];
  readonly uid: number;
  readonly gid: number;
  /** Read and execute: node and its ELF interpreter. */
  readonly exec: readonly string[];
  /** Read only: node's libraries and files, then the runtime's own code. */
  readonly read: readonly string[];
  readonly connectPorts: readonly number[];
  readonly bindPorts: readonly number[];
  readonly env: readonly string[];
  readonly keepFds: readonly number[];
  readonly dieWithParent: boolean;
  readonly minLandlockAbi: number;
  /** Budget keys and effects asked for that the launcher does not map onto a kernel limit, with why. */
  readonly unmapped: readonly string[];
}

const NOBODY = 65534;
const DEFAULT_OPEN_FILES = 256;
/** The launcher's own limits (native/launcher.h). */
const MAX_PATHS = 256;
const MAX_PORTS = 64;
const MAX_ENV = 64;
const MAX_CGROUPS = 16;
const MAX_KEEP_FDS = 16;

/** Variable names that steer the loader, libuv or Node: never passed (mirrors native/launcher.c). */
const STEERING = /^(LD_|NODE_(?!ENV$)|UV_|GLIBC_|MALLOC_|OPENSSL_|GCONV_|NLSPATH|LOCPATH)/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const bad = (realm: string | undefined, target: string, problem: string, rule: string, allow?: string) =>
  new InvalidArgumentError({ operation: 'confine', target, realm, problem, rule, allow });

const absolute = (realm: string | undefined, field: string, paths: readonly string[] | undefined): string[] => {
  if (paths === undefined) return [];
  if (!Array.isArray(paths)) throw bad(realm, field, `${field} must be an array of absolute paths`, 'the launcher takes absolute paths');
  for (const path of paths as unknown[]) {
    if (typeof path !== 'string' || !path.startsWith('/') || /[\0\n]/.test(path) || path.length >= 4096) {
      throw bad(realm, field, `${JSON.stringify(path)} is not an absolute path`, 'the launcher takes absolute paths without NUL or newline');
    }
  }
  return [...new Set(paths)];
};

const integers = (realm: string | undefined, field: string, values: readonly number[] | undefined, min: number, max: number): number[] => {
  if (values === undefined) return [];
  if (!Array.isArray(values)) throw bad(realm, field, `${field} must be an array of integers`, `${field} are integers from ${min} to ${max}`);
  for (const value of values as unknown[]) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw bad(realm, field, `${JSON.stringify(value)} is not an integer from ${min} to ${max}`, `${field} are integers from ${min} to ${max}`);
    }
  }
  return [...new Set(values)];
};

const most = (realm: string | undefined, field: string, list: readonly unknown[], max: number) => {
  if (list.length > max) throw bad(realm, field, `${list.length} given, the launcher takes at most ${max}`, `at most ${max} ${field}`);
};

const ports = (realm: string | undefined, ceiling: ReadonlySet<EffectKind>, effect: EffectKind, field: string, list: readonly number[] | undefined) => {
  const out = integers(realm, field, list, 1, 65535);
  if (out.length > 0 && !ceiling.has(effect)) {
    throw new CeilingError({
      operation: 'confine',
      target: `${field}: ${out.join(', ')}`,
      realm,
      problem: `TCP ports are listed but the ceiling lacks ${effect}`,
      rule: 'the kernel opens a port only where the effect ceiling allows its effect',
      allow: `add ${effect} to the realm's ceiling, or list no ports`,
    });
  }
  most(realm, field, out, MAX_PORTS);
  return out;
};

const id = (realm: string | undefined, field: string, value: number | undefined): number => {
  if (value === undefined) return NOBODY;
  if (!Number.isInteger(value) || value < 1 || value > 4294967294) {
    throw bad(realm, field, `${JSON.stringify(value)} is not an unprivileged id`, 'the child never runs as root (0)', `pass an id from 1 to 4294967294`);
  }
  return value;
};

/** RLIMIT_CPU backstop: SIGXCPU a second after the budget, SIGKILL a second later. */
const cpuLimit = (realm: string | undefined, cpuMs: number): PlanRlimit => {
  if (!Number.isFinite(cpuMs) || cpuMs <= 0) throw bad(realm, 'budget.cpuMs', `${cpuMs} is not a positive number`, 'a CPU budget is a positive number of milliseconds');
  const soft = Math.ceil(cpuMs / 1000) + 1;
  return { name: 'cpu', soft, hard: soft + 1 };
};

export const confinementPlan = (input: ConfinementInput): ConfinementPlan => {
  const realm = input.realm;
  const ceiling = new Set<EffectKind>();
  for (const effect of input.ceiling as Iterable<unknown>) {
    if (!isEffectKind(effect)) throw bad(realm, 'ceiling', `unknown effect ${JSON.stringify(effect)}`, 'ceilings are sets of effect kinds');
    ceiling.add(effect);
  }
  const budget = input.budget ?? {};
  const connectPorts = ports(realm, ceiling, 'net.connect', 'netPorts.connect', input.netPorts?.connect);
  const bindPorts = ports(realm, ceiling, 'net.listen', 'netPorts.listen', input.netPorts?.listen);
  const system = input.system ?? nodeSystemPaths();
  const exec = absolute(realm, 'system.exec', system.exec);
  if (exec.length === 0) throw bad(realm, 'system.exec', 'no executable path', 'node itself must be executable under Landlock');
  const read = absolute(realm, 'readPaths', [...system.read, ...absolute(realm, 'readPaths', input.readPaths)]);
  most(realm, 'paths', [...exec, ...read], MAX_PATHS);
  const cgroups = absolute(realm, 'cgroups', input.cgroups);
  most(realm, 'cgroups', cgroups, MAX_CGROUPS);
  const env = [...new Set(input.env ?? [])];
  for (const name of env as unknown[]) {
    if (typeof name !== 'string' || !ENV_NAME.test(name)) throw bad(realm, 'env', `${JSON.stringify(name)} is not a variable name`, 'env lists variable names');
    if (STEERING.test(name)) {
      throw bad(realm, 'env', `${name} steers the loader, libuv or Node`, 'such variables never reach a confined child', 'pass the setting another way');
    }
  }
  most(realm, 'env', env, MAX_ENV);
  const keepFds = integers(realm, 'keepFds', input.keepFds, 3, 2147483647);
  most(realm, 'keepFds', keepFds, MAX_KEEP_FDS);
  const openFiles = integers(realm, 'openFiles', input.openFiles === undefined ? [DEFAULT_OPEN_FILES] : [input.openFiles], 16, 1048576)[0] ?? DEFAULT_OPEN_FILES;
  const rlimits: PlanRlimit[] = [
    { name: 'core', soft: 0, hard: 0 }, // guest memory never lands on disk
    { name: 'memlock', soft: 0, hard: 0 },
    { name: 'msgqueue', soft: 0, hard: 0 },
    { name: 'nofile', soft: openFiles, hard: openFiles },
  ];
  if (budget.cpuMs !== undefined) rlimits.push(cpuLimit(realm, budget.cpuMs));
  const unmapped: string[] = [];
  if (budget.wallMs !== undefined) unmapped.push('budget.wallMs: the host timer, no kernel limit');
  if (budget.heapMb !== undefined) unmapped.push('budget.heapMb: Node\'s heap flag and the memory cgroup, not the launcher');
  for (const effect of ['fs.read', 'fs.write', 'proc.spawn', 'proc.list'] as const) {
    if (ceiling.has(effect)) unmapped.push(`${effect}: exercised by the host through capabilities; the child's own stays closed`);
  }
  const need = connectPorts.length + bindPorts.length > 0 ? 4 : 3;
  const minLandlockAbi = input.minLandlockAbi ?? need;
  if (!Number.isInteger(minLandlockAbi) || minLandlockAbi < need || minLandlockAbi > 64) {
    throw bad(realm, 'minLandlockAbi', `${JSON.stringify(input.minLandlockAbi)} is below ${need} or not an ABI`, `this plan needs Landlock ABI ${need} (3: truncate; 4: TCP ports)`);
  }
  return harden({
    realm,
    cgroups,
    rlimits,
    uid: id(realm, 'uid', input.uid),
    gid: id(realm, 'gid', input.gid),
    exec,
    read,
    connectPorts,
    bindPorts,
    env,
    keepFds,
    dieWithParent: input.dieWithParent ?? true,
    minLandlockAbi,
    unmapped,
  });
};

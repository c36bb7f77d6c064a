/**
 * The launcher from TypeScript: where it is (`launcherPath`), its command
 * line for a plan (`launcherArgs`), what its exit codes mean
 * (`launcherStep`), what node needs to start (`nodeSystemPaths`), and what
 * the machine offers (`launcherProbe`). The launcher itself is
 * native/launcher.c; its header comment says what each step does.
 *
 * A process-tier child starts through it with
 *   fork(guestMain, args, { execPath: launcherPath(),
 *     execArgv: [...launcherArgs(plan), '--', process.execPath, ...nodeArgs] })
 * and keeps its IPC channel (NODE_CHANNEL_* pass the scrubbed environment).
 *
 * This is one of the modules of this package that touch node:fs,
 * node:child_process and `process`; it does not decide what a realm may do
 * (plan.ts does) and does not start children (the runtime does).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UnsupportedError } from '@cathedral/sdk';
import type { ConfinementPlan } from './plan.js';

/** The launcher's exit code for each step that can fail (native/launcher.h). */
export const launcherExitCodes = harden({
  usage: 100,
  cgroup: 101,
  rlimit: 102,
  fds: 103,
  uid: 104,
  nnp: 105,
  landlock: 106,
  seccomp: 107,
  env: 108,
  exec: 109,
} as const);

export type LauncherStep = keyof typeof launcherExitCodes;

/** The step a launcher exit code names, or undefined for any other code (the child's own). */
export const launcherStep = (code: number | null): LauncherStep | undefined =>
  (Object.keys(launcherExitCodes) as LauncherStep[]).find(step => launcherExitCodes[step] === code);

/** The built launcher, or undefined where the native build did not run or failed. */
export const launcherPath = (): string | undefined => {
  const path = fileURLToPath(new URL('../../build/Release/cathedral-launch', import.meta.url));
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
};

/** The launcher's options for a plan; the caller appends `--`, node and node's arguments. */
export const launcherArgs = (plan: ConfinementPlan): string[] => {
  const args: string[] = [];
  const add = (option: string, values: readonly (string | number)[]) => {
    for (const value of values) args.push(option, String(value));
  };
  add('--cgroup', plan.cgroups);
  add('--rlimit', plan.rlimits.map(r => `${r.name}=${r.soft}:${r.hard}`));
  add('--uid', [plan.uid]);
  add('--gid', [plan.gid]);
  add('--exec', plan.exec);
  add('--read', plan.read);
  add('--connect', plan.connectPorts);
  add('--bind', plan.bindPorts);
  add('--landlock-min-abi', [plan.minLandlockAbi]);
  add('--env', plan.env);
  add('--keep-fd', plan.keepFds);
  if (!plan.dieWithParent) args.push('--no-die-with-parent');
  return args;
};

/** What node needs from the file system to start: see `nodeSystemPaths`. */
export interface SystemPaths {
  /** Read and execute: the node binary and its ELF interpreter. */
  readonly exec: readonly string[];
  /** Read: node's shared libraries and the few files it opens at start. */
  readonly read: readonly string[];
}

/** Files node opens at start when they exist (found with strace on Node 20). */
const startFiles = ['/etc/ld.so.cache', '/etc/ssl/openssl.cnf', '/usr/lib/ssl/openssl.cnf', '/proc/meminfo', '/dev/null'];

/** PT_INTERP of a 64-bit little-endian ELF file: the dynamic loader the kernel opens for execute. */
const elfInterpreter = (path: string): string | undefined => {
  const fd = openSync(path, 'r');
  try {
    const read = (length: number, position: number) => {
      const buffer = Buffer.alloc(length);
      if (readSync(fd, buffer, 0, length, position) !== length) throw new Error(`short read of ${path}`);
      return buffer;
    };
    const header = read(64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return undefined;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    for (let i = 0; i < phnum; i++) {
      const ph = read(phentsize, phoff + i * phentsize);
      if (ph.readUInt32LE(0) !== 3 /* PT_INTERP */) continue;
      const text = read(Number(ph.readBigUInt64LE(32)), Number(ph.readBigUInt64LE(8))).toString('latin1');
      return text.replace(/\0.*$/s, '');
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
};

let cached: SystemPaths | undefined;

/**
 * The paths the running node needs: itself and its interpreter (execute),
 * the shared libraries mapped in this process (read), and the files of
 * `startFiles` that exist. The libraries are read from this process's
 * /proc/self/maps, so they are known only for the node that runs this code:
 * the launcher must exec that same node.
 */
export const nodeSystemPaths = (): SystemPaths => {
  if (cached !== undefined) return cached;
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch (cause) {
    throw new UnsupportedError({
      operation: 'confine',
      target: '/proc/self/maps',
      problem: 'the libraries of node cannot be listed on this machine',
      rule: 'the launcher runs on Linux only',
      cause,
    });
  }
  const node = realpathSync(process.execPath);
  const interpreter = elfInterpreter(node);
  const exec = [node, ...(interpreter === undefined ? [] : [realpathSync(interpreter)])];
  const libraries = new Set<string>();
  for (const line of maps.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const path = fields.slice(5).join(' ');
    if (fields[1]?.includes('x') && /^\/.*\.so(\.\d+)*$/.test(path) && !exec.includes(path)) libraries.add(path);
  }
  cached = harden({ exec, read: [...libraries, ...startFiles.filter(file => existsSync(file))] });
  return cached;
};

/** What `cathedral-launch --probe` reports: see native/launcher-probe.c. */
export interface LauncherProbe {
  readonly landlockAbi: number;
  readonly seccomp: number;
  readonly noNewPrivs: number;
  readonly uid: number;
  /** Each attempted call: `ok` or the errno name. */
  readonly calls: Readonly<Record<string, string>>;
}

/** Runs the launcher's probe (optionally as the target of a confined launcher); undefined when not built. */
export const launcherProbe = (plan?: ConfinementPlan): LauncherProbe | undefined => {
  const launcher = launcherPath();
  if (launcher === undefined) return undefined;
  const args = plan === undefined ? ['--probe'] : [...launcherArgs(plan), '--exec', launcher, '--', launcher, '--probe'];
  const out = spawnSync(launcher, args, { encoding: 'utf8', env: {}, timeout: 10_000 });
  if (out.status !== 0) {
    throw new UnsupportedError({
      operation: 'probe',
      target: 'cathedral-launch',
      problem: `the probe failed (${out.status ?? out.signal}): ${out.stderr.trim()}`,
      rule: 'the launcher reports what the machine allows',
    });
  }
  return harden(JSON.parse(out.stdout) as LauncherProbe);
};

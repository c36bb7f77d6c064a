/**
 * What the kernel wall costs a process by itself (issue 6), measured with
 * fresh node processes started through @cathedral/kernel-native's launcher
 * and directly, alternating in the same rounds.
 *
 * The plan is the narrowest one: `confinementPlan({ ceiling: new Set(),
 * readPaths: [] })` (node and its libraries only, no socket, no cgroup).
 * - `confine-start`: wall time from spawning `node -e 0` to its exit, through
 *   `cathedral-launch <plan> -- node -e 0` and directly.
 * - `confine-syscall`: a node that times N `fs.fstatSync(1)` (one `fstat`
 *   each, which both the seccomp filter and Landlock allow) and prints ns per
 *   call. Each call also includes Node's own work (the binding, a Stats
 *   object), the same on both sides. The confined child is checked to run
 *   under a seccomp filter with no_new_privs (`/proc/self/status`), the
 *   direct one without.
 *
 * Where the kernel wall is absent (the launcher not built, or no Landlock or
 * seccomp for it to apply: the runtime's `kernelWallStatus()`), both rows
 * carry no baseline figure and say why (`missing`); their "ours" is then the
 * direct figure alone. Nothing is pinned.
 */
import { execFile } from 'node:child_process';
import { confinementPlan, launcherArgs, launcherPath, launcherStep } from '@cathedral/kernel-native';
import { kernelWallStatus } from '@cathedral/runtime';
import type { ConfineProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { rotate, summarize } from './stats.js';

/** What the launcher passes a child that has no IPC channel and no `env` in its plan. */
const SCRUBBED = { UV_USE_IO_URING: '0' };

interface Ran {
  readonly ms: number;
  readonly stdout: string;
}

/** Runs `file args` to its exit; ms from spawn to exit. Throws unless it exits 0, naming the launcher's step if it was one. */
const run = (file: string, args: readonly string[], through: boolean): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    execFile(file, args, { maxBuffer: 1 << 20, env: SCRUBBED }, (error, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (error === null) {
        resolve({ ms, stdout });
        return;
      }
      const code = typeof error.code === 'number' ? error.code : null;
      const step = through ? launcherStep(code) : undefined;
      reject(new Error(`confine benchmark: ${[file, ...args].join(' ')} failed${step === undefined ? '' : ` at the launcher's ${step} step`}: ${error.message} ${stderr}`));
    });
  });

const syscallScript = (n: number): string => `
const fs = require('fs');
const n = ${n};
for (let i = 0; i < 2000; i += 1) fs.fstatSync(1);
const start = process.hrtime.bigint();
for (let i = 0; i < n; i += 1) fs.fstatSync(1);
const ns = Number(process.hrtime.bigint() - start) / n;
const status = fs.readFileSync('/proc/self/status', 'latin1');
const field = name => (status.match(new RegExp('^' + name + ':\\\\s*(\\\\d+)', 'm')) || [])[1];
process.stdout.write(JSON.stringify({ ns, seccomp: field('Seccomp'), nnp: field('NoNewPrivs') }));
`;

interface SyscallRun {
  readonly ns: number;
  readonly seccomp: string | undefined;
  readonly nnp: string | undefined;
}

export const benchConfine = async (profile: ConfineProfile): Promise<readonly Row[]> => {
  // The runtime's verdict: the launcher built, and Landlock and seccomp there for it to apply.
  const wall = kernelWallStatus();
  const launcher = wall.present ? launcherPath() : undefined;
  const plan = launcherArgs(confinementPlan({ ceiling: new Set(), readPaths: [] }));
  const node = (args: readonly string[], confined: boolean) =>
    confined ? run(launcher as string, [...plan, '--', process.execPath, ...args], true) : run(process.execPath, args, false);
  const syscalls = async (confined: boolean): Promise<number> => {
    const { stdout } = await node(['-e', syscallScript(profile.syscalls)], confined);
    const result = JSON.parse(stdout) as SyscallRun;
    const filtered = result.seccomp === '2' && result.nnp === '1';
    if (filtered !== confined) throw new Error(`confine benchmark: the ${confined ? 'confined' : 'direct'} node reports Seccomp ${String(result.seccomp)}, NoNewPrivs ${String(result.nnp)}`);
    if (!(result.ns > 0)) throw new Error(`confine benchmark: the ${confined ? 'confined' : 'direct'} node measured ${result.ns} ns per call`);
    return result.ns;
  };
  const contenders: Record<string, () => Promise<number>> = {
    startDirect: async () => (await node(['-e', '0'], false)).ms,
    syscallDirect: () => syscalls(false),
  };
  if (launcher !== undefined) {
    contenders['startConfined'] = async () => (await node(['-e', '0'], true)).ms;
    contenders['syscallConfined'] = () => syscalls(true);
  }
  const samples = await rotate(profile, contenders);
  const missing = `this machine has no kernel wall (${wall.absent ?? 'the launcher is not built'}): there is no confined side to measure, and ours shows the direct figure`;
  const side = (confined: string, direct: string) => {
    const c = samples[confined];
    return c === undefined ? { ours: summarize(samples[direct] ?? []), missing } : { ours: summarize(c), baseline: summarize(samples[direct] ?? []) };
  };
  const planNote = 'cathedral-launch with launcherArgs(confinementPlan({ ceiling: new Set(), readPaths: [] })) (Landlock: node and its libraries only; seccomp: no socket, no process; uid drop when root; rlimits; scrubbed environment)';
  return [
    makeRow({
      id: 'confine-start',
      title: 'kernel wall: fresh node -e 0 through the launcher, vs direct',
      unit: 'ms',
      ...side('startConfined', 'startDirect'),
      peer: 'baseline: node -e 0 started directly',
      target: { kind: 'context' },
      note: `${planNote} -- node -e 0 vs node -e 0; wall time from spawn to exit`,
    }),
    makeRow({
      id: 'confine-syscall',
      title: 'kernel wall: ns per fs.fstatSync(1) in a confined node, vs unconfined',
      unit: 'ns',
      ...side('syscallConfined', 'syscallDirect'),
      peer: 'baseline: the same loop in a node started directly',
      target: { kind: 'context' },
      note: `a node timing ${profile.syscalls} fs.fstatSync(1) (one fstat each, after 2,000 unmeasured), ${planNote} vs started directly; each call includes Node's own work, the same on both sides; the confined one is checked to run under a seccomp filter with no_new_privs`,
    }),
  ];
};

/**
 * `doctor()`: what the kernel wall has to work with on this machine, and what
 * each budget and effect ceiling of a process-tier realm falls back to here.
 * A frozen record, and `formatDoctor()` with one line per mechanism.
 *
 * Levels: `kernel` (a kernel mechanism enforces it, behind the language
 * wall), `language` (only the host's capability wrappers and SES enforce it),
 * `none` (nothing here enforces it: the runtime refuses it when asked).
 * The kernel levels assume the launcher and the runtime use what is present;
 * doctor only reports what the machine and the build offer.
 *
 * This module looks; it creates nothing (cgroup writability is read from the
 * mount options and access(2), not by creating a cgroup).
 */
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addonStatus } from './addon.js';
import { probe, type Probe } from './probe.js';
import { type CgroupLayout, type Controller, type ControllerState, controllers, discoverCgroups } from './cgroups.js';

export type Level = 'kernel' | 'language' | 'none';

export interface Fallback {
  readonly level: Level;
  readonly how: string;
}

export const budgetKeys = ['cpuMs', 'wallMs', 'heapMb', 'storageBytes', 'children', 'handles', 'netBytes'] as const;
export const ceilingKeys = ['net.connect', 'net.listen', 'proc.spawn', 'fs.read', 'fs.write'] as const;
export type BudgetKey = (typeof budgetKeys)[number];
export type CeilingKey = (typeof ceilingKeys)[number];

export interface DoctorReport {
  readonly node: { readonly major: number; readonly version: string };
  readonly addon: { readonly built: boolean; readonly detail: string };
  readonly launcher: { readonly built: boolean; readonly detail: string };
  readonly probe: Probe;
  readonly cgroups: Readonly<Record<Controller, ControllerState>>;
  readonly budgets: Readonly<Record<BudgetKey, Fallback>>;
  readonly ceilings: Readonly<Record<CeilingKey, Fallback>>;
}

const launcherPath = fileURLToPath(new URL('../../build/Release/cathedral-launch', import.meta.url));

const launcherState = (): { built: boolean; detail: string } => {
  try {
    accessSync(launcherPath, constants.X_OK);
    return { built: true, detail: launcherPath };
  } catch {
    return { built: false, detail: `not built (no executable ${launcherPath})` };
  }
};

const usable = (state: ControllerState): boolean => state.available && state.writable;

export interface DoctorSources {
  readonly probe?: Probe;
  readonly layout?: CgroupLayout;
  readonly launcherBuilt?: boolean;
  readonly addonBuilt?: boolean;
}

/** The fallbacks, from the facts: pure, so each rule can be tested. */
export const fallbacks = (facts: {
  readonly probe: Probe;
  readonly cgroups: Readonly<Record<Controller, ControllerState>>;
  readonly addon: boolean;
  readonly launcher: boolean;
}): { budgets: Record<BudgetKey, Fallback>; ceilings: Record<CeilingKey, Fallback> } => {
  const { probe: p, cgroups, addon, launcher } = facts;
  const landlock = launcher && (p.landlockAbi ?? 0) >= 1;
  const landlockNet = launcher && (p.landlockAbi ?? 0) >= 4;
  const seccomp = launcher && p.seccompFilter === true;
  const f = (level: Level, how: string): Fallback => Object.freeze({ level, how });
  const budgets: Record<BudgetKey, Fallback> = {
    cpuMs: addon
      ? f('kernel', 'native watchdog on the child\u2019s CPU clock sends SIGKILL from its own thread')
      : f('language', 'the host polls /proc CPU times from its event loop and kills (10 ms ticks)'),
    wallMs: f('language', 'a host timer terminates the realm'),
    heapMb: usable(cgroups.memory)
      ? f('kernel', `--max-old-space-size plus a cgroup v${(cgroups.memory as { version: number }).version} memory limit (OOM kill)`)
      : f('language', '--max-old-space-size only: off-heap memory (ArrayBuffers) is not bounded'),
    storageBytes: f('language', 'metered by the host\u2019s quota wrapper'),
    children: usable(cgroups.pids)
      ? f('kernel', 'metered by the host, and pids.max bounds the child\u2019s tasks')
      : f('language', 'metered by the host only'),
    handles: f('language', 'metered by the host\u2019s capability wrappers'),
    netBytes: f('language', 'metered by the host\u2019s network capabilities (the child has no socket of its own)'),
  };
  const ceilings: Record<CeilingKey, Fallback> = {
    'net.connect': landlockNet && seccomp
      ? f('kernel', `checked by capabilities; Landlock ABI ${p.landlockAbi} denies TCP connect, seccomp denies sockets`)
      : seccomp
        ? f('kernel', 'checked by capabilities; seccomp denies sockets (no per-port rule: Landlock ABI < 4)')
        : f('language', 'checked by capabilities only'),
    'net.listen': landlockNet && seccomp
      ? f('kernel', `checked by capabilities; Landlock ABI ${p.landlockAbi} denies TCP bind, seccomp denies sockets`)
      : seccomp
        ? f('kernel', 'checked by capabilities; seccomp denies sockets')
        : f('language', 'checked by capabilities only'),
    'proc.spawn': seccomp
      ? f('kernel', 'checked by capabilities; seccomp allows threads only and no second exec')
      : f('language', 'checked by capabilities only'),
    'fs.read': landlock
      ? f('kernel', `checked by capabilities; Landlock ABI ${p.landlockAbi} leaves the child only its own code${p.openat2 === true ? '; hostDir resolves with openat2' : ''}`)
      : f('language', `checked by capabilities${p.openat2 === true && addon ? '; hostDir resolves with openat2' : '; hostDir walks held descriptors in JavaScript'}`),
    'fs.write': landlock
      ? f('kernel', `checked by capabilities; Landlock ABI ${p.landlockAbi} denies every write of the child`)
      : f('language', 'checked by capabilities only'),
  };
  return { budgets, ceilings };
};

export const doctor = (sources: DoctorSources = {}): DoctorReport => {
  const status = addonStatus();
  const addonBuilt = sources.addonBuilt ?? status.loaded;
  const launcher = launcherState();
  const launcherBuilt = sources.launcherBuilt ?? launcher.built;
  const p = sources.probe ?? probe();
  const cgroups = (sources.layout ?? discoverCgroups()).controllers;
  const { budgets, ceilings } = fallbacks({ probe: p, cgroups, addon: addonBuilt, launcher: launcherBuilt });
  return Object.freeze({
    node: Object.freeze({ major: Number(process.versions.node.split('.')[0]), version: process.versions.node }),
    addon: Object.freeze({ built: addonBuilt, detail: status.loaded ? status.path : status.reason }),
    launcher: Object.freeze({ built: launcherBuilt, detail: launcher.detail }),
    probe: p,
    cgroups,
    budgets: Object.freeze(budgets),
    ceilings: Object.freeze(ceilings),
  });
};

const pad = (label: string) => label.padEnd(20);

/** One line per mechanism, then one per budget and ceiling. */
export const formatDoctor = (report: DoctorReport = doctor()): string => {
  const { probe: p } = report;
  const lines = [
    `${pad('addon')}${report.addon.built ? 'built' : 'absent'}: ${report.addon.detail}`,
    `${pad('launcher')}${report.launcher.built ? 'built' : 'absent'}: ${report.launcher.detail}`,
    `${pad('landlock')}${p.landlockAbi === undefined ? `unknown (${p.landlockError ?? ''})` : p.landlockAbi === 0 ? `absent (${p.landlockError ?? 'ABI 0'})` : `ABI ${p.landlockAbi}`}`,
    `${pad('seccomp')}${p.seccompFilter === undefined ? 'unknown' : p.seccompFilter ? 'filters available' : 'filters unavailable'}${p.seccompMode === undefined ? '' : ` (this process: mode ${p.seccompMode})`}`,
    `${pad('openat2')}${p.openat2 === undefined ? `unknown (${p.openat2Error ?? ''})` : p.openat2 ? 'available' : `unavailable (${p.openat2Error ?? ''})`}`,
    ...controllers.map(c => {
      const s = report.cgroups[c];
      return `${pad(`cgroup ${c}`)}${s.available ? `v${s.version} ${s.writable ? 'writable' : `not writable (${s.why ?? ''})`} ${s.dir}` : `unavailable (${s.why})`}`;
    }),
    `${pad('root')}${p.root ? 'yes' : 'no'}`,
    `${pad('no_new_privs')}${p.noNewPrivs === undefined ? 'unknown' : p.noNewPrivs ? 'set on this process' : 'not set on this process'}`,
    `${pad('node')}${report.node.major} (${report.node.version})`,
    ...budgetKeys.map(k => `${pad(`budget ${k}`)}${report.budgets[k].level}: ${report.budgets[k].how}`),
    ...ceilingKeys.map(k => `${pad(`ceiling ${k}`)}${report.ceilings[k].level}: ${report.ceilings[k].how}`),
  ];
  return lines.join('\n');
};

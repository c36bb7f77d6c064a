/**
 * Whether this machine puts the kernel wall behind the language wall, and
 * what the host asks of spawns as a result.
 *
 * Where the runtime's launcher can confine a child (`kernelWallStatus()` of
 * @cathedral/runtime: launcher built, Landlock, seccomp), every plugin is
 * spawned with `required: ['kernel']`, so a spawn that would start without
 * it is refused rather than silently degraded. Where it is absent, the app
 * says so in its first lines and spawns without the requirement: the
 * plugins then run behind SES and the host-held capabilities alone, and
 * each realm's `enforcedBy.kernel` says `absent: …`. The details in the
 * line (Landlock ABI, memory cgroup) come from `doctor()` of
 * @cathedral/kernel-native, which only looks.
 *
 * Deliberately not done: requiring more than `kernel` (a memory cgroup for
 * `heapMb`, for instance): the example must run wherever the wall runs.
 */
import { doctor } from '@cathedral/kernel-native';
import { kernelWallStatus } from '@cathedral/runtime';

export type KernelChoice = 'auto' | 'off';

export interface KernelWall {
  readonly present: boolean;
  /** What every plugin's spawn marks `required`. */
  readonly required: readonly string[];
  /** One line for the top of the output. */
  readonly line: string;
}

const details = (): string => {
  try {
    const report = doctor();
    const memory = report.cgroups.memory;
    return [
      `Landlock ABI ${report.probe.landlockAbi ?? '?'}`,
      report.probe.seccompFilter === true ? 'seccomp' : 'no seccomp filters',
      memory.available && memory.writable ? `memory cgroup v${memory.version}` : 'no memory cgroup (heap: V8 only)',
    ].join(', ');
  } catch {
    return 'doctor could not look';
  }
};

export const kernelWall = (choice: KernelChoice): KernelWall => {
  const status = choice === 'off' ? { present: false, absent: 'this host was made with kernel: "off"' } : kernelWallStatus();
  if (status.present) {
    return harden({
      present: true,
      required: ['kernel'],
      line: `  kernel wall: present (${details()}): every plugin is spawned with required: ['kernel']`,
    });
  }
  return harden({
    present: false,
    required: [],
    line: `  kernel wall: ABSENT (${status.absent ?? 'unknown'}): plugins run behind SES and the host's capabilities alone, spawned without required: ['kernel'] (see node packages/kernel-native/bin/doctor.mjs)`,
  });
};

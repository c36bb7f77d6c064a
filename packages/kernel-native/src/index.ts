import '@cathedral/sdk/shims';

export * from './launcher.js';
export * from './plan.js';
export { addon, addonStatus, type NativeAddon, type AddonStatus } from './addon.js';
export { probe, type Probe } from './probe.js';
export { currentTid, threadCpuNs, processCpuNs, procCpuNs } from './clock.js';
export { watchCpu, runningWatchdogs, type CpuWatchdog, type WatchOptions, type WatchdogEvent, type WatchdogOutcome } from './watchdog.js';
export { openBeneath, readBeneath, closeFd, hostDirResolver, type HostDirResolver, type Openat2Result, type OpenBeneathOptions } from './openat2.js';
export {
  sweepStaleCgroups,
  discoverCgroups,
  makeRealmCgroup,
  parseMountinfo,
  parseProcCgroup,
  type CgroupLayout,
  type Controller,
  type ControllerState,
  type RealmCgroup,
  type RealmDeaths,
  type RealmLimits,
  type RealmUsage,
} from './cgroups.js';
export { doctor, formatDoctor, fallbacks, type DoctorReport, type Fallback, type Level } from './doctor.js';

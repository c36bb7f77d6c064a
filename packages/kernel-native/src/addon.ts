/**
 * Loads the native addon (build/Release/kernel_native.node) once, with
 * `createRequire`. When it is absent or fails to load, `addon()` returns
 * undefined and `addonStatus()` keeps the reason for `doctor()`: everything
 * else in Cathedral works without it, with the kernel wall reported absent.
 *
 * This module only loads and types the binding; probe.ts, clock.ts,
 * watchdog.ts and openat2.ts give it a safe face.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The addon's raw surface (native/addon*.cc). Errors come back as errno names. */
export interface NativeAddon {
  probeLandlock(): { abi: number; error: string | null };
  probeSeccomp(): { mode: number; filter: boolean; error: string | null };
  probeOpenat2(): { available: boolean; error: string | null };
  probeIdentity(): { euid: number; uid: number; noNewPrivs: number; tid: number; pid: number };
  currentTid(): number;
  threadCpuNs(tid: number): number | string;
  processCpuNs(pid: number): number | string;
  watchdogStart(
    kind: 'thread' | 'process',
    id: number,
    limitNs: number,
    action: 'kill' | 'notify',
    callback: (event: 'fired' | 'gone', cpuNs: number, finalNs: number) => void,
  ): number | string;
  watchdogCancel(id: number): boolean;
  watchdogCount(): number;
  openat2(dirfd: number, path: string, flags: number, resolve: number, mode?: number): number | string;
  readBeneath(dirfd: number, path: string, maxBytes: number): Uint8Array | string;
  fdStat(fd: number): { dev: bigint; ino: bigint; mode: number; nlink: number; size: number } | string;
  openDir(path: string): number | string;
  openDirChecked(path: string, dev: bigint, ino: bigint): number | string;
  closeFd(fd: number): null | string;
  readonly RESOLVE: { readonly NO_XDEV: number; readonly NO_MAGICLINKS: number; readonly NO_SYMLINKS: number; readonly BENEATH: number };
}

export type AddonStatus =
  | { readonly loaded: true; readonly path: string }
  | { readonly loaded: false; readonly path: string; readonly reason: string };

// dist/src/addon.js -> ../../build/Release/kernel_native.node
const addonPath = fileURLToPath(new URL('../../build/Release/kernel_native.node', import.meta.url));

let loaded: { addon: NativeAddon | undefined; status: AddonStatus } | undefined;

const load = (): { addon: NativeAddon | undefined; status: AddonStatus } => {
  if (process.platform !== 'linux') {
    return { addon: undefined, status: Object.freeze({ loaded: false, path: addonPath, reason: `platform ${process.platform} is not Linux` }) };
  }
  if (!existsSync(addonPath)) {
    return {
      addon: undefined,
      status: Object.freeze({ loaded: false, path: addonPath, reason: 'not built (run node packages/kernel-native/scripts/build-native.mjs)' }),
    };
  }
  try {
    const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
    return { addon: Object.freeze(addon), status: Object.freeze({ loaded: true, path: addonPath }) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] ?? 'load failed' : String(error);
    return { addon: undefined, status: Object.freeze({ loaded: false, path: addonPath, reason: `failed to load: ${reason}` }) };
  }
};

/** The addon, or undefined where it is not built or does not load here. */
export const addon = (): NativeAddon | undefined => (loaded ??= load()).addon;

/** Whether the addon loaded, and why not. */
export const addonStatus = (): AddonStatus => (loaded ??= load()).status;

/**
 * The openat2 resolver of @cathedral/kernel-native, when it is built here,
 * for running hostDir's scenarios against the native opener too. Loaded by a
 * dynamic import: powerbox does not depend on kernel-native.
 */
import type { NativeResolver } from '../src/roots/host-dir-native.js';

const load = async (): Promise<{ resolver?: NativeResolver; missing?: string }> => {
  const specifier = '@cathedral/kernel-native';
  try {
    const kernel = (await import(specifier)) as { hostDirResolver?: () => NativeResolver | undefined; addonStatus?: () => { loaded: boolean; reason?: string } };
    const resolver = kernel.hostDirResolver?.();
    if (resolver !== undefined) return { resolver };
    const status = kernel.addonStatus?.();
    return { missing: status?.loaded === false ? `kernel-native addon ${status.reason ?? 'absent'}` : 'openat2 is not available on this kernel' };
  } catch (error) {
    return { missing: `@cathedral/kernel-native does not load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
};

const loaded = await load();
export const _native: NativeResolver | undefined = loaded.resolver;
export const _nativeMissing: string | undefined = loaded.missing;

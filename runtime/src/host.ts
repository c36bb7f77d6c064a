/**
 * `createHost()`: the host kernel of the top realm.
 *
 * It locks the host down once (see @cathedral/sdk/lockdown), builds the
 * powerless guest kit shared by all realms (console factory, text codecs,
 * evaluated once in a frozen compartment of their own), keeps the parsed
 * module cache, and spawns realms.
 *
 * It deliberately holds no authority of its own beyond what `spawn` is
 * handed: roots and caps come from the caller.
 */
import { ensureLockdown } from '@cathedral/sdk/lockdown';
import { type ConsoleRoute, defaultConsoleRoute, guestConsoleSource } from './console.js';
import { RealmCompartment } from './compartment.js';
import { type SourceCache, makeSourceCache } from './modules/source-cache.js';
import { type GuestKit, type Realm, makeCompartmentRealm } from './realm.js';
import { type SpawnSpec, checkSpec } from './spec.js';
import { textCodecSource } from './text-codec.js';

export interface HostOptions {
  /** Where guests' console lines go (default: prefixed lines on stdout/stderr). */
  readonly console?: ConsoleRoute;
  /** Where host-side details of errors redacted for guests go (default: stderr). */
  readonly report?: (message: string) => void;
}

export interface Host {
  spawn(spec: SpawnSpec): Promise<Realm>;
  /** How many parsed module sources are cached. */
  readonly cachedSources: number;
}

const makeGuestKit = (): GuestKit => {
  const kit = new RealmCompartment();
  const codecs = kit.evaluate(textCodecSource) as { TextEncoder: unknown; TextDecoder: unknown };
  const makeConsole = kit.evaluate(guestConsoleSource) as GuestKit['makeConsole'];
  // Shared by every realm, so it must hold nothing: freeze its global too,
  // or two realms could talk through it.
  harden(kit.globalThis);
  return harden({ makeConsole, TextEncoder: codecs.TextEncoder, TextDecoder: codecs.TextDecoder });
};

export const createHost = async (options: HostOptions = {}): Promise<Host> => {
  ensureLockdown();
  const kit = makeGuestKit();
  const sources: SourceCache = makeSourceCache();
  const route = options.console ?? defaultConsoleRoute;
  const report = options.report ?? ((message: string) => process.stderr.write(`cathedral: ${message}\n`));
  let count = 0;
  return harden({
    spawn: async (spec: SpawnSpec): Promise<Realm> => {
      count += 1;
      const checked = checkSpec(spec, `realm-${count}`);
      return makeCompartmentRealm(checked, { kit, sources, route, report });
    },
    get cachedSources() {
      return sources.size;
    },
  });
};

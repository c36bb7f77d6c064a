/**
 * The entry point of a worker thread or child process that runs one realm.
 *
 * Before lockdown it takes the two things it needs from Node — its channel
 * to the host and its own thread id (for the host's CPU watchdog) — and
 * nothing else reaches the realm: the realm's compartment is made exactly
 * as at the compartment tier (same allowlist of globals, same console,
 * codecs and module hooks), but its roots, caps and authority are adapters
 * over CapTP presences of the host's gate-wrapped capabilities. Every effect
 * is a call on a capability the host holds; this process needs no file
 * system or network of its own.
 *
 * It answers one bootstrap method, `start(init)`, with the realm's exports.
 * Before it tells the host it is ready (where the host starts counting the
 * guest's CPU) it runs a throwaway realm once, so that the runtime's own
 * first-run costs are not charged to the guest.
 */
import '@cathedral/sdk/shims';
import { readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ensureLockdown } from '@cathedral/sdk/lockdown';
import { type Channel, portChannel, processChannel } from './channel.js';

const channel: Channel = parentPort === null ? processChannel(process) : portChannel(parentPort);
const tid = (() => {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
})();

ensureLockdown();

const { makeCapTP } = await import('@endo/captp');
const { E, Far } = await import('@endo/far');
const { isRefusal, makeAdapters } = await import('./adapter.js');
const { guestLocation, isGuestFacing } = await import('../guest-error.js');
const { encodeRefusal } = await import('./codec.js');
const { makeGuestRealm } = await import('./guest-realm.js');

const adapters = makeAdapters();

/**
 * Runs a throwaway realm once before answering `ready`. The host takes the
 * guest's CPU baseline at `ready`, and a first realm in a fresh thread costs
 * some 30 ms of CPU (mostly the module parser's first run, then the first
 * compartment): that is the runtime's start-up, not the guest's, and left
 * for the first real realm it ate most of a small CPU budget before a line
 * of the guest's own ran. A failure here is ignored: `start` meets it again.
 */
const warmUp = async (): Promise<void> => {
  const source = new TextEncoder().encode('export const f = async x => [x, { x }];');
  const nowhere = async (): Promise<never> => {
    throw new Error('the warm-up realm has no services');
  };
  const { namespace } = await makeGuestRealm({
    name: 'warm-up',
    main: 'app://main.js',
    roots: { app: harden({ read: async () => source }) },
    caps: {},
    services: harden({ resolve: nowhere, request: nowhere, console: async () => {} }),
    authority: undefined,
    E,
    Far,
  });
  await (namespace['f'] as (x: number) => Promise<unknown>)(1);
};
await warmUp().catch(() => {});

interface Init {
  readonly name: string;
  readonly main: string;
  readonly roots: Readonly<Record<string, unknown>>;
  readonly caps: Readonly<Record<string, unknown>>;
  readonly services: unknown;
  readonly authority: unknown;
}

const ownString = (value: object, key: string): string | undefined => {
  const desc = Object.getOwnPropertyDescriptor(value, key);
  return desc !== undefined && 'value' in desc && typeof desc.value === 'string' ? desc.value : undefined;
};

/**
 * A guest's thrown value, as the host will read it. Only a refusal the host
 * really sent (and the guest let through) keeps its code; anything else the
 * guest throws is a guest error, whatever it claims to be. Own data
 * properties are read once, and any trap that throws makes it unprintable.
 */
const guestRefusal = (error: unknown) => {
  try {
    if (typeof error === 'object' && error !== null && (isRefusal(error) || isGuestFacing(error))) {
      const code = ownString(error, 'code') ?? 'GUEST';
      const details = Object.fromEntries(['operation', 'target', 'realm', 'problem', 'rule', 'allow'].map(k => [k, ownString(error, k)]));
      return encodeRefusal({ code, message: ownString(error, 'message') ?? '', details });
    }
    let name = 'thrown value';
    let message: string;
    if (typeof error === 'object' && error !== null && error instanceof Error) {
      name = ownString(error, 'name') ?? (typeof error.name === 'string' ? error.name : 'Error');
      message = ownString(error, 'message') ?? '';
    } else {
      message = typeof error === 'object' && error !== null ? Object.prototype.toString.call(error) : String(error);
    }
    const location = guestLocation(error);
    return encodeRefusal({ code: 'GUEST', message, details: { guestName: name, guestMessage: message, location } });
  } catch {
    return encodeRefusal({ code: 'GUEST', message: '[unprintable]', details: { guestName: 'thrown value', guestMessage: '[unprintable]' } });
  }
};

const bootstrap = Far('GuestBootstrap', {
  start: async (init: Init) => {
    const { namespace, format } = await makeGuestRealm({
      name: init.name,
      main: init.main,
      roots: Object.fromEntries(Object.entries(init.roots).map(([k, v]) => [k, adapters.adapt(v)])),
      caps: Object.fromEntries(Object.entries(init.caps).map(([k, v]) => [k, adapters.adapt(v)])),
      services: adapters.adapt(init.services) as never,
      authority: init.authority === undefined ? undefined : adapters.adapt(init.authority),
      E,
      Far,
    });
    void format;
    const functions: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    const values: Record<string, unknown> = {};
    for (const key of Object.keys(namespace)) {
      const value = namespace[key];
      if (typeof value !== 'function') {
        values[key] = adapters.outgoing(harden(value));
        continue;
      }
      functions[key] = async (...args: unknown[]) => {
        try {
          const input = args.map(arg => adapters.incoming(arg));
          return adapters.outgoing(await Reflect.apply(value, undefined, input));
        } catch (error) {
          return guestRefusal(error);
        }
      };
    }
    return harden({ exports: Far('GuestExports', functions), names: Object.keys(functions), values });
  },
});

const { dispatch } = makeCapTP('guest', (message: unknown) => channel.send(message), bootstrap);
channel.onMessage(message => {
  void dispatch(message as never);
});
channel.send({ cathedral: 'ready', tid, pid: process.pid });

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
 * Nothing the guest does reaches the host's stdout or stderr: the thread's
 * `console` is silent (./guest-quiet.ts) and CapTP's rejections are not
 * logged. What an export answers must be passable: anything CapTP could not
 * send (a class instance, a Date) is a guest error naming why, like a throw.
 *
 * It answers one bootstrap method, `start(init)`, with the realm's exports.
 * Before it tells the host it is ready (where the host starts counting the
 * guest's CPU) it runs a throwaway realm once, so that the runtime's own
 * first-run costs are not charged to the guest. The realm's ES modules are
 * parsed by the host (`services.precompiled`), so neither the module parser
 * nor the compartment mapper is loaded here unless the guest imports a
 * package.
 */
import './guest-quiet.js';
import '@cathedral/sdk/shims';
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { ensureLockdown } from '@cathedral/sdk/lockdown';
import { type Channel, batching, isControl, portChannel, processChannel } from './channel.js';

const channel: Channel = batching(parentPort === null ? processChannel(process) : portChannel(parentPort));
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
const { passStyleOf } = await import('@endo/pass-style');
const { isRefusal, makeAdapters } = await import('./adapter.js');
const { guestLocation, isGuestFacing } = await import('../guest-error.js');
const { encodeRefusal, refusalOf } = await import('./codec.js');
const { serveFastCalls } = await import('./fast-calls.js');
const { makeGuestRealm } = await import('./guest-realm.js');

// What a guest callback or guest object method the host called answers: like an export's answer.
const adapters = makeAdapters(async run => {
  try {
    return passable(adapters.outgoing(await run()));
  } catch (error) {
    return guestRefusal(error);
  }
});
/** Serves fast calls once the realm has started. */
let serve: ((message: Readonly<Record<string, unknown>>) => void) | undefined;

/**
 * Runs a throwaway realm once before answering `ready`. The host takes the
 * guest's CPU baseline at `ready`, and a first realm in a fresh thread costs
 * CPU (the first compartment, the loader's first rounds): that is the
 * runtime's start-up, not the guest's, and left for the first real realm it
 * ate much of a small CPU budget before a line of the guest's own ran. A
 * failure here is ignored: `start` meets it again.
 */
const warmUp = async (): Promise<void> => {
  // A JSON module: the compartment and the loader's rounds are warmed without
  // the module parser, which a guest whose modules the host parses never loads.
  const source = new TextEncoder().encode('{ "f": [1, { "x": 1 }] }');
  const nowhere = async (): Promise<never> => {
    throw new Error('the warm-up realm has no services');
  };
  const { namespace } = await makeGuestRealm({
    name: 'warm-up',
    main: 'app://main.json',
    roots: { app: harden({ read: async () => source }) },
    caps: {},
    services: harden({ resolve: nowhere, request: nowhere, console: async () => {} }),
    authority: undefined,
    E,
    Far,
  });
  if (typeof namespace['default'] !== 'object') throw new Error('the warm-up realm did not load');
};
/**
 * Warms CapTP's own first run the same way: a loopback pair in this thread
 * passes a start-like call (a record of remotables one way, a remotable
 * back), so the first real message — the realm's start — does not pay for
 * cold marshalling and presence code (some 8 ms measured in a warm child).
 */
const warmCapTP = async (): Promise<void> => {
  let toB: (message: unknown) => void = () => {};
  const a = makeCapTP('warm-a', (message: unknown) => queueMicrotask(() => toB(message)), undefined);
  const b = makeCapTP(
    'warm-b',
    (message: unknown) => queueMicrotask(() => void a.dispatch(message as never)),
    Far('WarmBootstrap', { start: async (init: Record<string, unknown>) => harden({ exports: Far('WarmExports', { f: () => Object.keys(init) }), names: ['f'] }) }),
  );
  toB = message => void b.dispatch(message as never);
  const thing = () => Far('WarmThing', { read: async () => new Uint8Array(0), list: async () => [] });
  const bootstrap = a.getBootstrap() as unknown as { start(init: unknown): Promise<unknown> };
  const started = (await E(bootstrap).start(harden({ name: 'warm', roots: { app: thing() }, caps: { x: thing() }, services: thing(), authority: thing() }))) as { exports: unknown };
  await E(started.exports as never as { f(): Promise<unknown> }).f();
  a.abort();
  b.abort();
  // And the fast path of plain calls, which the first call after a spawn takes.
  await new Promise<void>(resolve => {
    const serveOne = serveFastCalls(
      () => resolve(),
      async (name, args) => ({ value: harden({ name, args }) }),
      () => resolve(),
    );
    serveOne(harden({ id: 1, name: 'f', args: [1, { x: [1, 'y'] }] }));
  });
};
await warmUp().catch(() => {});
await warmCapTP().catch(() => {});

interface Init {
  readonly name: string;
  readonly main: string;
  readonly roots: Readonly<Record<string, unknown>>;
  readonly caps: Readonly<Record<string, unknown>>;
  readonly services: unknown;
  readonly authority: unknown;
  /** The main module as the host parsed it, sent with the start message. */
  readonly mainRecord?: object;
  /** Test-only (the host's `kernel: 'lowered-language-wall-for-tests'`): the guest also gets Node's `process` and `require`. */
  readonly lowered?: boolean;
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

/** An answer CapTP can send, or the guest error it is instead. */
const passable = (answer: unknown): unknown => {
  try {
    (passStyleOf as (v: unknown) => string)(answer);
    return answer;
  } catch (error) {
    const why = error instanceof Error ? ownString(error, 'message') ?? 'not passable' : 'not passable';
    const message = `the answer cannot cross to the host: ${why.slice(0, 200)}`;
    return encodeRefusal({ code: 'GUEST', message, details: { guestName: 'TypeError', guestMessage: message } });
  }
};

const bootstrap = Far('GuestBootstrap', {
  start: async (init: Init) => {
    const { namespace, format } = await makeGuestRealm({
      name: init.name,
      main: init.main,
      roots: Object.fromEntries(Object.entries(init.roots).map(([k, v]) => [k, adapters.adapt(v)])),
      caps: {
        ...Object.fromEntries(Object.entries(init.caps).map(([k, v]) => [k, adapters.decode(v)])),
        // The language wall deliberately lowered, so that tests can attack the kernel wall alone.
        ...(init.lowered === true ? { process, require: createRequire(import.meta.url) } : {}),
      },
      services: adapters.adapt(init.services) as never,
      authority: init.authority === undefined ? undefined : adapters.adapt(init.authority),
      precompiled: true,
      ...(init.mainRecord === undefined ? {} : { preloaded: { [init.main]: init.mainRecord } }),
      E,
      Far,
    });
    void format;
    const functions: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    const callable = new Map<string, (...args: unknown[]) => unknown>();
    const values: Record<string, unknown> = {};
    for (const key of Object.keys(namespace)) {
      const value = namespace[key];
      if (typeof value !== 'function') {
        values[key] = adapters.outgoing(harden(value));
        continue;
      }
      callable.set(key, value as (...args: unknown[]) => unknown);
      functions[key] = async (...args: unknown[]) => {
        try {
          const input = args.map(arg => adapters.incoming(arg));
          return passable(adapters.outgoing(await Reflect.apply(value, undefined, input)));
        } catch (error) {
          return guestRefusal(error);
        }
      };
    }
    // The fast path (./fast-calls.ts): hardened plain arguments in, the raw answer out; one that is not plain data waits here for CapTP.
    const held = new Map<number, unknown>();
    serve = serveFastCalls(
      message => channel.send(message),
      async (name, args) => {
        try {
          const value = callable.get(name);
          if (value === undefined) throw new TypeError(`no exported function ${JSON.stringify(name)}`);
          return { value: await Reflect.apply(value, undefined, args) };
        } catch (error) {
          return { refusal: refusalOf(guestRefusal(error)) };
        }
      },
      (id, value) => held.set(id, value),
    );
    const pending = Far('GuestPending', {
      take: (id: number) => {
        const value = held.get(id);
        held.delete(id);
        try {
          return passable(adapters.outgoing(value));
        } catch (error) {
          return guestRefusal(error);
        }
      },
    });
    return harden({ exports: Far('GuestExports', functions), names: Object.keys(functions), values, pending });
  },
});

const { dispatch } = makeCapTP('guest', (message: unknown) => channel.send(message), bootstrap, { onReject: () => {} });
channel.onMessage(message => {
  if (isControl(message)) {
    if (message.cathedral === 'call') serve?.(message);
    return;
  }
  void dispatch(message as never);
});
channel.send({ cathedral: 'ready', tid, pid: process.pid });

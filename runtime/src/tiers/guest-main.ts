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
 * Its bootstrap answers `start(init)` with the names of the realm's exported
 * functions, then `call` and `take` for them (`makeBootstrap` below).
 * Before it tells the host it is ready (where the host starts counting the
 * guest's CPU) it rehearses a start once (`rehearse` below), so that the
 * runtime's own first-run costs are not charged to the guest. The realm's
 * ES modules are parsed by the host (`services.precompiled`), so neither the
 * module parser nor the compartment mapper is loaded here unless the guest
 * imports a package.
 */
import './guest-quiet.js';
import '@cathedral/sdk/shims';
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { ensureLockdown } from '@cathedral/sdk/lockdown';
import { type Channel, batching, isControl, portChannel, processChannel } from './channel.js';

const channel: Channel = batching(parentPort === null ? processChannel(process) : portChannel(parentPort));
/** The rehearsal's main module as the host parsed it (JSON text), its one argument; absent, the rehearsal loads a JSON module. */
const rehearsalRecord = process.argv[2];
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
const { makeTagged, passStyleOf } = await import('@endo/pass-style');
const { isRefusal, makeAdapters, refusalError } = await import('./adapter.js');
const { guestLocation, isGuestFacing } = await import('../guest-error.js');
const { encodeRefusal, refusalOf } = await import('./codec.js');
const { callerOf, isFast, makeFastCaller, serveFastCalls } = await import('./fast-calls.js');
const { acceptPlain, ownPlain } = await import('./plain.js');
const { makeGuestRealm } = await import('./guest-realm.js');

// Answers of host capabilities the host sent beside CapTP (./boundary.ts), by number, until CapTP's answer names them.
const plainAnswers = new Map<number, unknown>();
const takePlain = (id: number): unknown => {
  if (!plainAnswers.has(id)) throw new TypeError('the host named an answer it did not send');
  const value = plainAnswers.get(id);
  plainAnswers.delete(id);
  return value;
};

/**
 * The guest's fast calls of host capabilities (./fast-calls.ts). A presence
 * is named by the slot the host exported it at (CapTP's import slot `o-N`
 * is the host's `o+N`); an answer that is not plain data is taken through
 * CapTP from the host's `answers` capability, given at start, and that
 * method of that presence takes CapTP's path from then on (a method that
 * answered a capability once, `resolve`, most likely does again).
 */
const hostSlots = new WeakMap<object, string>();
const notPlain = new WeakMap<object, Set<string | null>>();
let hostAnswers: object | undefined;
const hostCalls = makeFastCaller(
  message => channel.send(message),
  () => {},
  problem => ({ code: 'IO', message: problem, details: { problem: `the host's answer cannot cross: ${problem}`, rule: 'answers cross as plain data within bounds' } }),
  'guest',
);
const fastCall = (presence: object, method: string | undefined, args: readonly unknown[]): Promise<unknown> | undefined => {
  const slot = hostSlots.get(presence);
  const answers = hostAnswers;
  const key = method ?? null;
  if (slot === undefined || answers === undefined || notPlain.get(presence)?.has(key) === true) return undefined;
  return hostCalls.call([slot, key], args, {
    other: async got => {
      if (got.kind === 'refusal') throw refusalError(got.refusal);
      const methods = notPlain.get(presence) ?? new Set<string | null>();
      methods.add(key);
      notPlain.set(presence, methods);
      return adapters.incoming(await (E(answers) as unknown as { take(id: number): Promise<unknown> }).take(got.id));
    },
    ended: () => new Error('the host connection ended'),
  });
};

// What a guest callback or guest object method the host called answers: like an export's answer.
const adapters = makeAdapters(
  async run => {
    try {
      return passable(adapters.outgoing(await run()));
    } catch (error) {
      return guestRefusal(error);
    }
  },
  takePlain,
  fastCall,
);
/** Serves fast calls once the realm has started. */
let serve: ((message: readonly unknown[]) => void) | undefined;

interface Init {
  readonly name: string;
  readonly main: string;
  readonly roots: Readonly<Record<string, unknown>>;
  readonly caps: Readonly<Record<string, unknown>>;
  readonly services: unknown;
  readonly authority: unknown;
  /** Where the guest takes the answers of its fast calls that were not plain data (a presence, called with `E`). */
  readonly answers?: unknown;
  /** The main module as the host parsed it (its record as JSON text), sent with the start message. */
  readonly mainRecord?: string;
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

/** A started realm: its answer to `start`, and how its exports are called. */
interface Started {
  /** The names of its exported functions, and its other exports (as they travel). */
  readonly answer: unknown;
  /** Calls an export through CapTP: arguments as they arrived, the answer as it travels. */
  readonly call: (name: string, args: readonly unknown[]) => Promise<unknown>;
  /** The answer of a fast call that was not plain data, taken once (./fast-calls.ts). */
  readonly take: (id: number) => unknown;
  /** Serves fast calls. */
  readonly serve: (message: readonly unknown[]) => void;
}

/** Starts the realm `init` describes; its fast calls answer through `sendFast`. */
const startRealm = async (init: Init, sendFast: (message: unknown) => void): Promise<Started> => {
  if (typeof init.answers === 'object' && init.answers !== null) hostAnswers = init.answers;
  const { namespace } = await makeGuestRealm({
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
    ...(typeof init.mainRecord === 'string' ? { preloaded: { [init.main]: init.mainRecord } } : {}),
    E,
    Far,
  });
  const functions: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  // The exported functions in the order of `names`: a fast call names its export by position.
  const callable: Array<(...args: unknown[]) => unknown> = [];
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(namespace)) {
    const value = namespace[key];
    if (typeof value !== 'function') {
      values[key] = adapters.outgoing(harden(value));
      continue;
    }
    callable.push(value as (...args: unknown[]) => unknown);
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
  const serveRealm = serveFastCalls(
    sendFast,
    (message, args) => {
      const index = message[1];
      const value = typeof index === 'number' ? callable[index] : undefined;
      if (value === undefined) throw new TypeError(`no exported function at ${String(index)}`);
      return Reflect.apply(value, undefined, args);
    },
    thrown => refusalOf(guestRefusal(thrown)),
    (id, value) => held.set(id, value),
  );
  return {
    answer: harden({ names: Object.keys(functions), values }),
    call: (name, args) => {
      const fn = Object.prototype.hasOwnProperty.call(functions, name) ? functions[name] : undefined;
      return fn === undefined ? Promise.resolve(guestRefusal(new TypeError(`no exported function ${JSON.stringify(name)}`))) : fn(...args);
    },
    take: id => {
      const value = held.get(id);
      held.delete(id);
      try {
        return passable(adapters.outgoing(value));
      } catch (error) {
        return guestRefusal(error);
      }
    },
    serve: serveRealm,
  };
};

const notStarted = () => guestRefusal(new TypeError('the realm has not started'));

/**
 * The guest's bootstrap: `start(init)` once, then `call(name, args)` for an
 * export's call through CapTP and `take(id)` for a held fast answer. The
 * host holds this presence from before the realm started (./link.ts), so
 * the start's answer carries no capability of its own: plain names and the
 * non-function exports.
 */
const makeBootstrap = (sendFast: (message: unknown) => void, started: (serve: Started['serve']) => void) => {
  let realm: Started | undefined;
  let starting = false;
  return Far('GuestBootstrap', {
    start: async (init: Init) => {
      if (starting) return guestRefusal(new TypeError('the realm has already started'));
      starting = true;
      realm = await startRealm(init, sendFast);
      started(realm.serve);
      return realm.answer;
    },
    call: async (name: unknown, args: unknown) => (realm === undefined ? notStarted() : typeof name !== 'string' || !Array.isArray(args) ? guestRefusal(new TypeError('call(name, args)')) : realm.call(name, args)),
    take: (id: unknown) => (realm === undefined ? notStarted() : realm.take(Number(id))),
  });
};
const bootstrap = makeBootstrap(
  message => channel.send(message),
  started => {
    serve = started;
  },
);

/**
 * Rehearses a realm's start once before answering `ready`, over a loopback
 * CapTP pair in this thread: a start call with a root, services and a main
 * module the host parsed, one call of its export through CapTP and one on
 * the fast path. The host takes the guest's CPU baseline at `ready`, and
 * the first start in a fresh thread or process costs CPU of its own (the
 * first compartment and evaluation of a parsed module, the adapters, cold
 * marshalling): that is the runtime's start-up, not the guest's, and left
 * for the first real realm it ate much of a small CPU budget and of a warm
 * spawn's time. Nothing of it is kept: its realm, connection and fast-call
 * server are dropped. A failure here is ignored: `start` meets it again.
 */
const rehearse = async (): Promise<void> => {
  let toGuest: (message: unknown) => void = () => {};
  const host = makeCapTP('rehearsal-host', (message: unknown) => queueMicrotask(() => toGuest(message)), undefined);
  let serveRehearsal: ((message: readonly unknown[]) => void) | undefined;
  let returned: (message: unknown) => void = () => {};
  const guest = makeCapTP(
    'rehearsal-guest',
    (message: unknown) => queueMicrotask(() => void host.dispatch(message as never)),
    makeBootstrap(
      message => returned(message),
      started => {
        serveRehearsal = started;
      },
    ),
  );
  toGuest = message => void guest.dispatch(message as never);
  const nowhere = async (): Promise<never> => {
    throw new Error('the rehearsal has no services');
  };
  // Without the host's parse, a JSON module (read through the root's adapter) stands in.
  const json = makeTagged('bytes', btoa('{ "f": [1, { "x": 1 }] }'));
  const app = Far('Dir', { read: async () => json, list: async () => harden([]) });
  const services = Far('RealmServices', { resolve: nowhere, precompiled: nowhere, request: nowhere, console: async () => {} });
  const module = rehearsalRecord === undefined ? { main: 'app://main.json' } : { main: 'app://main.js', mainRecord: rehearsalRecord };
  const init = harden({ name: 'rehearsal', roots: { app }, caps: { cap: app }, services, authority: undefined, ...module });
  const guestBootstrap = (await host.getBootstrap()) as { start(i: unknown): Promise<unknown>; call(name: string, args: unknown[]): Promise<unknown> };
  const started = (await E(guestBootstrap).start(init)) as { names: string[] };
  const [name] = started.names;
  if (name !== undefined) {
    await E(guestBootstrap).call(name, [1]);
    await new Promise(resolve => {
      returned = resolve;
      serveRehearsal?.(harden([1, 0, 1, { x: [1, 'y'] }]));
    });
  }
  host.abort();
  guest.abort();
};
await rehearse().catch(() => {});

const { dispatch } = makeCapTP('guest', (message: unknown) => channel.send(message), bootstrap, {
  onReject: () => {},
  importHook: (value: unknown, slot: string) => {
    if (typeof value === 'object' && value !== null && slot.startsWith('o-')) hostSlots.set(value, `o+${slot.slice(2)}`);
  },
});
channel.onMessage(message => {
  if (isFast(message)) {
    if (callerOf(message) === 'host') serve?.(message);
    else hostCalls.onReturn(message);
    return;
  }
  if (isControl(message)) {
    const { cathedral, id, value } = message as { cathedral: string; id?: unknown; value?: unknown };
    // A fresh clone from the host: checked and hardened here, once (./plain.ts).
    if (cathedral === 'plain' && typeof id === 'number' && acceptPlain(value) === undefined) plainAnswers.set(id, ownPlain(value));
    return;
  }
  void dispatch(message as never);
});
channel.send({ cathedral: 'ready', tid, pid: process.pid });

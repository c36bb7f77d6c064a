/**
 * A realm in a worker thread or a child process, and its supervisor.
 *
 * The guest's compartment runs elsewhere (./guest-main.ts); its roots,
 * caps and authority stay here, behind its gate, and reach it over CapTP as
 * presences. The supervisor starts the thread or process, enforces the CPU,
 * wall and heap budgets, and ends the realm with a reason — `exited`,
 * `crashed: SIGABRT`, `crashed: out of memory` (V8's own limit, no heap
 * budget asked), `budget: cpu`, `budget: heap`, `budget: wall`,
 * `terminated` — after which every pending call rejects with that reason,
 * every capability is revoked, and nothing of it is left running: no
 * thread, process, timer or listener.
 *
 * For observers (tests, operators' tools) it publishes on the diagnostics
 * channel `cathedral:supervision`: `started` with the guest's OS identity
 * (`tid` of a worker thread, `pid` of a child process) and `ended` with the
 * reason and the guest's CPU time at that moment. Publishing costs nothing
 * without a subscriber, and subscribers see only the hosts of their own
 * thread.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { channel as diagnostics } from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import { E } from '@endo/far';
import { Far } from '@endo/pass-style';
import { GuestError, RevokedError, isErrorCode, makeError } from '@cathedral/sdk';
import { copyOut } from '../copy-out.js';
import { makeConsoleSink } from '../console.js';
import { type CallGuest, type SendPlain, makeBoundary } from './boundary.js';
import { NOT_PLAIN, plainCopy } from './plain.js';
import { callExport, type Parent, type Realm, type RealmContext } from '../realm.js';
import { makeRealmParts } from '../realm-parts.js';
import type { RealmRecord } from '../registry.js';
import type { CheckedSpec } from '../spec.js';
import { makeSourceCache } from '../modules/source-cache.js';
import { childChannel, workerChannel } from './channel.js';
import { type Link, type ReadyInfo, makeLink } from './link.js';
import { NO_SUCH_METHOD } from './inbound.js';
import { type Refusal, encodeRefusal, refusalOf } from './codec.js';
import { type FastOther, makeCapTPOrder, makeFastCaller, serveFastCalls } from './fast-calls.js';
import { processClock, threadClock, watchCpu } from './cpu-clock.js';
import { type KernelStart, RUNTIME_HEAP_MB, kernelStart } from './kernel.js';
import type { RealmCgroup } from '@cathedral/kernel-native';
import { parseUri } from '../uri.js';
import { forGuest } from '../guest-error.js';
import type { Pool, Poolable } from './pool.js';
import { type CpuWatchdog, addon, processCpuNs, threadCpuNs, watchCpu as nativeWatch } from '@cathedral/kernel-native';

const guestMain = new URL('./guest-main.js', import.meta.url);
/** The most answers of a guest's fast calls the host keeps for it untaken (./fast-calls.ts). */
const MAX_HELD_FOR_GUEST = 65536;
/** A settled promise: what is chained on it runs once the microtasks already queued have. */
const afterAnswers = Promise.resolve();
// Generous: a guest's start (lockdown, the parser) can take seconds on a loaded machine.
const READY_MS = 120_000;
const POLL_MS = 1;
/**
 * A parsed module's fields as JSON text, made once per parse: the source
 * cache hands every realm of the same code the same `ModuleSource`, so a
 * warm spawn does not serialise its main module again. Text crosses CapTP
 * as one string, where a record would be checked and hardened node by node
 * on both ends; the guest parses it (./guest-realm.ts).
 */
const records = new WeakMap<object, string>();
const recordOf = (parsed: object): string => {
  let record = records.get(parsed);
  if (record === undefined) {
    record = JSON.stringify(parsed);
    records.set(parsed, record);
  }
  return record;
};

/**
 * The module a guest rehearses its first start with (./guest-main.ts), as
 * its record's JSON text: parsed once (the host loaded the parser when it
 * was made), outside the host's source cache.
 */
const REHEARSAL_MODULE = 'export const f = x => x + 1;';
let rehearsal: readonly string[] | undefined;
/** The guest's arguments: the rehearsal's record, or none (it then rehearses with a JSON module) if the parser is not loaded. */
const guestArgs = (): readonly string[] => {
  try {
    rehearsal ??= [recordOf(makeSourceCache(1).get('app://main.js', new TextEncoder().encode(REHEARSAL_MODULE), () => REHEARSAL_MODULE))];
  } catch {
    return [];
  }
  return rehearsal;
};

/** How long a dead child's stderr may take to drain before its end is decided. */
const STDERR_DRAIN_MS = 250;

/** Why a guest that ran out of heap ended: its budget, or the V8 default limit when it had none. */
const outOfHeap = (spec: CheckedSpec): string => (spec.budget.heapMb === undefined ? 'crashed: out of memory' : 'budget: heap');

/** The budget each `budget: ...` end reason names. */
const budgetKeys: Readonly<Record<string, string>> = { 'budget: cpu': 'cpuMs', 'budget: wall': 'wallMs', 'budget: heap': 'heapMb' };

/** What `cathedral:supervision` subscribers receive. */
export type SupervisionEvent =
  | { readonly event: 'started'; readonly realm: string; readonly tier: 'worker' | 'process'; readonly tid?: number; readonly pid?: number }
  | { readonly event: 'ended'; readonly realm: string; readonly tier: 'worker' | 'process'; readonly reason: string; readonly cpuMs?: number };
const supervision = diagnostics('cathedral:supervision');
const publish = (event: SupervisionEvent) => {
  if (supervision.hasSubscribers) supervision.publish(harden(event));
};

/**
 * A refusal or guest error received from the guest, as a host error. The
 * guest's location is in the message unless `locate` is false: a guest
 * function the host called on a guest's behalf fails back to that guest
 * (restated by the gate), which gets no `file:line:column` text from it.
 */
const fromRefusal = (refusal: Refusal, realm: string, operation: string, locate = true): Error => {
  const d = refusal.details;
  if (refusal.code === 'GUEST' && d['guestName'] === undefined && d['problem'] !== undefined) {
    // Not a throw: the host's own refusal of what the guest sent (./inbound.ts, ./fast-calls.ts).
    return new GuestError({ operation: d['operation'] ?? operation, realm, problem: d['problem'], rule: d['rule'] ?? 'answers from a guest must cross the boundary' });
  }
  if (refusal.code === 'GUEST') {
    const location = d['location'];
    return new GuestError({
      operation,
      realm,
      problem: `the guest threw ${d['guestName'] ?? 'Error'}: ${d['guestMessage'] ?? ''}${location === undefined || !locate ? '' : ` (at ${location})`}`,
      rule: 'guest errors reach the host as reports, never as guest objects',
      location,
      guestName: d['guestName'] ?? 'Error',
      guestMessage: d['guestMessage'] ?? '',
    });
  }
  if (!isErrorCode(refusal.code)) return fromRefusal({ ...refusal, code: 'GUEST' }, realm, operation, locate);
  return makeError(refusal.code, {
    operation: d['operation'] ?? operation,
    target: d['target'],
    realm: d['realm'] ?? realm,
    problem: d['problem'] ?? refusal.message,
    rule: d['rule'] ?? 'the guest refused',
    allow: d['allow'],
  });
};

/** The guest's bootstrap (./guest-main.ts), as the host calls it. */
interface GuestBootstrap {
  start(init: unknown): Promise<unknown>;
  /** An export's call through CapTP. */
  call(name: string, args: readonly unknown[]): Promise<unknown>;
  /** A fast call's answer that was not plain data, held by the guest. */
  take(id: number): Promise<unknown>;
}

/** The guest's answer to `start`: its exported functions' names and its other exports; anything else is the guest's failure to start. */
const startAnswer = (answer: unknown): { names: readonly string[]; values: Readonly<Record<string, unknown>> } => {
  const { names, values } = (typeof answer === 'object' && answer !== null ? answer : {}) as { names?: unknown; values?: unknown };
  if (!Array.isArray(names) || !names.every(n => typeof n === 'string') || typeof values !== 'object' || values === null) {
    throw new Error('its start answered no list of exports');
  }
  return { names: names as string[], values: values as Record<string, unknown> };
};

interface Started {
  /** The host's CapTP connection and channel to the guest, made when it was started. */
  readonly link: Link;
  readonly stop: () => void;
  /** Whether the thread or process keeps the host's event loop alive (only while a call waits on it). */
  readonly hold: (held: boolean) => void;
  /** Calls back once with why the thread or process ended. */
  readonly onExit: (listener: (reason: string) => void) => void;
  readonly clockFor: (ready: { tid?: number; pid?: number }) => (() => number | undefined) | undefined;
  /** How many CPUs the clock's tasks can use at once. */
  readonly parallelism: number;
  /** Replaces the warm child this realm took (or starts the kind's pool): called once the realm is done starting. */
  readonly refill?: () => void;
}

const startWorker = (spec: CheckedSpec): Started => {
  const heapMb = spec.budget.heapMb;
  const worker = new Worker(guestMain, {
    env: {},
    // None of the host's Node options: a host run as `node --input-type=module -e` made its worker fail to start.
    execArgv: [],
    argv: [...guestArgs()],
    ...(heapMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: RUNTIME_HEAP_MB + heapMb, maxYoungGenerationSizeMb: Math.max(1, Math.min(16, Math.floor(heapMb / 4))) } }),
  });
  let listener: (reason: string) => void = () => {};
  let why: string | undefined;
  worker.on('error', (error: Error & { code?: string }) => {
    why ??= error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfHeap(spec) : `crashed: ${error.code ?? error.name}`;
  });
  worker.on('exit', code => listener(why ?? (code === 0 ? 'exited' : `crashed: exit code ${code}`)));
  return {
    link: makeLink(workerChannel(worker), spec.name, () => void worker.terminate()),
    stop: () => {
      void worker.terminate();
    },
    hold: held => (held ? worker.ref() : worker.unref()),
    onExit: l => {
      listener = l;
    },
    clockFor: ({ tid }) => (tid === undefined ? undefined : threadClock(tid)),
    parallelism: 1,
  };
};

/** A guest process as forked, before any realm is its: cold for one spawn, or warm in the pool. */
interface Forked {
  readonly child: ChildProcess;
  /** The host's CapTP connection to the child, made at fork: its bootstrap is asked for as soon as the child is ready. */
  readonly link: Link;
  /** Settles once the child is ready and its bootstrap answered (what the pool waits for); rejects if it ended first. */
  readonly ready: Promise<unknown>;
  readonly stderr: () => string;
  readonly alive: () => boolean;
  readonly stop: () => void;
  /** The child's own cgroup (joined before exec), when the kernel wall made one. */
  readonly cgroup: RealmCgroup | undefined;
  /** Marks the child as a realm's: its cgroup is then released by the realm's supervisor, after it read why the child died. */
  readonly adopt: () => void;
}

/** Forks a guest child in a cgroup of its own (made here); the cgroup is released when an unadopted child exits. */
const forkFor = (kernel: KernelStart, label: string): Forked => {
  const cgroup = kernel.newCgroup(label);
  let adopted = false;
  const forked = forkGuest(kernel.execPath, kernel.argvFor(cgroup), cgroup, label, () => {
    adopted = true;
  });
  forked.child.once('exit', () => {
    if (!adopted) void kernel.release(cgroup);
  });
  return forked;
};

const forkGuest = (execPath: string | undefined, execArgv: readonly string[], cgroup: RealmCgroup | undefined, label: string, adopt: () => void): Forked => {
  const child = fork(guestMain, [...guestArgs()], {
    env: {},
    ...(execPath === undefined ? {} : { execPath }),
    execArgv: [...execArgv],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
  });
  let exited = false;
  const link = makeLink(childChannel(child), label, () => child.kill('SIGKILL'));
  const ready = new Promise<unknown>((resolve, reject) => {
    void link.bootstrap.then(resolve, reject);
    child.once('exit', () => {
      exited = true;
      reject(new Error('the guest process ended before it was ready'));
    });
  });
  ready.catch(() => {});
  return {
    child,
    link,
    ready,
    stderr: () => stderr,
    alive: () => !exited && child.exitCode === null && child.signalCode === null,
    stop: () => {
      child.kill('SIGKILL');
    },
    cgroup,
    adopt,
  };
};

/** Keeps a child from holding the host's event loop (a warm one waits unreferenced). */
const unrefChild = (child: ChildProcess): void => {
  child.unref();
  (child as unknown as { channel?: { unref(): void } }).channel?.unref();
  for (const pipe of [child.stdout, child.stderr] as unknown as Array<{ unref?(): void } | null>) pipe?.unref?.();
};

/** A warm child: forked ahead, unreferenced, in a cgroup of its own with the kind's limits. */
const warmStart = (kernel: KernelStart) => (): Forked => {
  const forked = forkFor(kernel, 'pool');
  unrefChild(forked.child);
  return forked;
};

/**
 * A child for a process-tier realm: a warm one from the pool when the host
 * has one of this kind (confined, cgroup included, exactly as a cold one of
 * the kind: the kind is the launcher's options and the cgroup's limits),
 * else a cold fork through the launcher.
 */
const takeOrFork = (kernel: KernelStart, pool: Pool<Forked> | undefined, label: string): Forked =>
  pool?.take(kernel.kind, warmStart(kernel)) ?? forkFor(kernel, label);

/** Starts the pool's children for this kind, after the current turn (never on a caller's path). */
const refillLater = (kernel: KernelStart, pool: Pool<Forked>) => (): void => {
  setImmediate(() => pool.fill(kernel.kind, warmStart(kernel))).unref();
};

/** Starts warm children for a kind of spawn ahead of it; answers whether one is ready. */
export const prewarm = (kernel: KernelStart, pool: Pool<Poolable>): Promise<boolean> => {
  pool.fill(kernel.kind, warmStart(kernel));
  // Warm children never hold the event loop; a host awaiting one does, until it is ready.
  const held = setInterval(() => {}, 1 << 30);
  return pool.whenReady(kernel.kind).finally(() => clearInterval(held));
};

const startProcess = (spec: CheckedSpec, kernel: KernelStart, pool: Pool<Forked> | undefined): Started => {
  const forked = takeOrFork(kernel, pool, spec.name);
  forked.adopt();
  const { child, cgroup } = forked;
  let listener: (reason: string) => void = () => {};
  child.on('exit', (code, signal) => {
    let decided = false;
    const decide = () => {
      if (decided) return;
      decided = true;
      clearTimeout(drain);
      // V8's own heap limit, or the OOM killer of the realm's memory cgroup (an off-heap bomb).
      const heap = /heap out of memory|Reached heap limit|Allocation failed/.test(forked.stderr()) || cgroup?.reason().reason === 'oom-kill';
      const launcher = kernel.launcherFailure(code);
      // SIGXCPU: the kernel's RLIMIT_CPU backstop behind the watchdog.
      listener(heap ? outOfHeap(spec) : signal === 'SIGXCPU' ? 'budget: cpu' : launcher ?? (signal !== null ? `crashed: ${signal}` : code === 0 ? 'exited' : `crashed: exit code ${code}`));
      // Only now: the cgroup's OOM counter was read above.
      void kernel.release(cgroup);
    };
    // 'exit' can come before the last of stderr, which says whether V8 ran out of heap.
    const drain = setTimeout(decide, STDERR_DRAIN_MS);
    if (child.stderr === null || child.stderr.destroyed) decide();
    else child.stderr.once('close', decide);
  });
  const channel = (child as unknown as { channel?: { ref(): void; unref(): void } }).channel;
  return {
    link: forked.link,
    stop: () => {
      child.kill('SIGKILL');
    },
    hold: held => {
      const pipes = [child.stdout, child.stderr] as unknown as Array<{ ref?(): void; unref?(): void } | null>;
      if (held) {
        child.ref();
        channel?.ref();
        for (const pipe of pipes) pipe?.ref?.();
      } else {
        child.unref();
        channel?.unref();
        for (const pipe of pipes) pipe?.unref?.();
      }
    },
    onExit: l => {
      listener = l;
    },
    clockFor: () => (child.pid === undefined ? undefined : processClock(child.pid)),
    // V8's helper threads run beside the guest's own.
    parallelism: availableParallelism(),
    ...(pool === undefined ? {} : { refill: refillLater(kernel, pool) }),
  };
};

export const makeRemoteRealm = async (spec: CheckedSpec, context: RealmContext, parent: Parent): Promise<{ realm: Realm; record: RealmRecord }> => {
  const { name } = spec;
  const parts = makeRealmParts(spec, context, parent);
  // Plain answers of host capabilities travel beside CapTP (./boundary.ts), on the link's channel, once it exists.
  let sendPlain: SendPlain = () => undefined;
  const boundary = makeBoundary((target, method, args) => callGuest(target, method, args), value => sendPlain(value));
  const { record, gate } = parts;
  const tier = spec.tier === 'worker' ? 'worker' : 'process';
  const kernel = tier === 'process' ? kernelStart(spec, context.kernel, { report: context.report }) : undefined;
  const started = kernel === undefined ? startWorker(spec) : startProcess(spec, kernel, context.pool as Pool<Forked> | undefined);
  const { link } = started;
  const { channel, captp } = link;
  let plainSent = 0;
  sendPlain = value => {
    const copy = plainCopy(value);
    if (copy === NOT_PLAIN) return undefined;
    plainSent += 1;
    // It leaves with CapTP's answer that names it, in one write (./channel.ts).
    const message = { cathedral: 'plain', id: plainSent, value: copy };
    if (channel.ahead === undefined) channel.send(message);
    else channel.ahead(message);
    return plainSent;
  };
  const timers = new Set<NodeJS.Timeout>();
  // The guest's CPU clock, and its reading once the guest had started.
  let cpu: { readonly clock: () => number | undefined; readonly base: number } | undefined;
  let unwatch = () => {};
  let endReason: string | undefined;
  const end = (reason: string) => {
    if (endReason !== undefined) return;
    endReason = reason;
    record.terminate(reason);
  };
  const ended = (operation: string) =>
    new RevokedError({ operation, realm: name, problem: `the realm ended (${endReason ?? 'terminated'})`, rule: 'an ended realm answers no calls', allow: 'spawn the realm again' });
  // Calls into the guest's own functions and objects the host received (./boundary.ts), as into exports.
  const callGuest: CallGuest = async (target, method, args) => {
    const operation = method === null ? 'call a guest function' : `call "${method}" of a guest object`;
    if (!gate.isLive()) throw ended(operation);
    let answer: unknown;
    try {
      const sent = args.map(arg => boundary.out(gate.wrap(arg, 'argument')));
      const remote = E(target) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>> & ((...a: unknown[]) => Promise<unknown>);
      answer = await (method === null ? remote(...sent) : remote[method]!(...sent));
    } catch (error) {
      if (!gate.isLive()) throw ended(operation);
      throw error;
    }
    const refusal = refusalOf(answer);
    if (refusal !== undefined) throw fromRefusal(refusal, name, operation, false);
    return copyOut(boundary.in(answer));
  };
  // The guest keeps the host's event loop alive only while the host waits
  // for one of its answers: CapTP questions and fast calls out, answers back.
  // It is let go once the microtasks of the turn that answered the last one
  // have run: a caller that calls again at once (a loop of awaited calls)
  // does not let go and take hold again for each call.
  let waitingFor = 0;
  let held: boolean | undefined;
  let releasing = false;
  const release = () => {
    releasing = false;
    if (waitingFor === 0 && held !== false && gate.isLive()) {
      held = false;
      started.hold(false);
    }
  };
  const waiting = (delta: 1 | -1) => {
    waitingFor += delta;
    if (!gate.isLive()) return;
    if (waitingFor > 0) {
      if (held !== true) {
        held = true;
        started.hold(true);
      }
    } else if (!releasing) {
      releasing = true;
      void afterAnswers.then(release);
    }
  };
  const fast = makeFastCaller(message => channel.send(message), waiting, problem => ({
    code: 'GUEST',
    message: problem,
    details: { problem: `the guest's answer cannot cross to the host: ${problem}`, rule: 'answers from a guest are plain data, capabilities or bytes, bounded in size and nesting' },
  }));
  // A guest's fast calls of the capabilities it holds (./fast-calls.ts):
  // checked as its CapTP calls are (./inbound.ts: only methods of what the
  // host exported), run through the boundary on the same capability
  // functions, so the gate checks, meters and copies them alike. An answer
  // that is not plain data waits here for the guest's `answers.take(id)`.
  const heldForGuest = new Map<number, unknown>();
  const noSuchMethod = () =>
    forGuest(
      makeError('GUEST', {
        operation: 'call into the host',
        realm: name,
        ...NO_SUCH_METHOD,
      }),
    );
  const serveGuest = serveFastCalls(
    message => channel.send(message),
    (message, args) => {
      const slot = message[1];
      const method = message[2];
      const exported = typeof slot === 'string' ? link.exported(slot) : undefined;
      // `answers` is true only of a value the boundary exported, by a method it has.
      if ((method !== null && typeof method !== 'string') || !boundary.answers(exported, method)) throw noSuchMethod();
      return boundary.invoke(exported as object, method, args);
    },
    thrown => boundary.refusal(thrown),
    (id, value) => {
      // Taken at once by a guest that follows the protocol; one that does not is not kept more for it.
      if (heldForGuest.size < MAX_HELD_FOR_GUEST) heldForGuest.set(id, value);
    },
    2,
  );
  const answers = Far('HeldAnswers', {
    take: (id: unknown) => {
      const key = typeof id === 'number' ? id : Number.NaN;
      if (!heldForGuest.has(key)) {
        throw forGuest(
          makeError('GUEST', {
            operation: 'take an answer',
            realm: name,
            problem: `no answer ${String(id).slice(0, 40)} is held for the guest`,
            rule: `an answer that is not plain data is taken once, and at most ${MAX_HELD_FOR_GUEST} wait at a time`,
          }),
        );
      }
      const value = heldForGuest.get(key);
      heldForGuest.delete(key);
      return value;
    },
  });
  // The warm child this realm took is replaced once the realm is done starting: after its first call, or its end.
  let refill = started.refill;
  const refilled = () => {
    const now = refill;
    refill = undefined;
    now?.();
  };
  parts.onEnd(reason => {
    refilled();
    endReason ??= reason;
    // Read before the stop: the guest's CPU time at the moment it is stopped.
    const now = firedNs ?? cpu?.clock();
    unwatch();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    captp.abort(new Error(`the realm ended (${reason})`));
    fast.rejectAll();
    heldForGuest.clear();
    started.stop();
    channel.close();
    publish({ event: 'ended', realm: name, tier, reason, ...(cpu === undefined || now === undefined ? {} : { cpuMs: (now - cpu.base) / 1e6 }) });
  });
  // A child the native watchdog killed dies of SIGKILL: its watchdog says whether it fired.
  let native: CpuWatchdog | undefined;
  /** The guest's CPU clock when the native watchdog fired (a killed child's clock cannot be read after). */
  let firedNs: number | undefined;
  started.onExit(reason => {
    const watchdog = native;
    if (watchdog === undefined || endReason !== undefined) return end(reason);
    const fallback = setTimeout(() => end(reason), 200);
    void watchdog.done.then(event => {
      clearTimeout(fallback);
      end(event.outcome === 'fired' ? 'budget: cpu' : reason);
    });
  });

  link.attach({
    realm: name,
    answers: boundary.answers,
    live: gate.isLive,
    violation: problem => end(`crashed: protocol error (${problem})`),
    fast: message => void fast.onReturn(message),
    call: message => {
      if (gate.isLive()) serveGuest(message);
    },
    waiting,
  });
  const ready = new Promise<ReadyInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the guest did not start in time')), READY_MS);
    timers.add(timer);
    parts.done.then(({ reason }) => reject(new Error(`the guest ended while starting (${reason})`)));
    void link.ready.then(info => {
      clearTimeout(timer);
      resolve(info);
    });
  });
  const refuseStart = (error: unknown): never => {
    end(endReason ?? 'crashed: did not start');
    throw makeError('GUEST', {
      operation: 'spawn',
      target: spec.main,
      realm: name,
      problem: `the ${spec.tier} did not start: ${error instanceof Error ? error.message : String(error)}`,
      rule: 'a realm runs only once its guest answered',
    });
  };
  const info = await ready.catch(refuseStart);
  publish({ event: 'started', realm: name, tier, ...(tier === 'worker' ? (info.tid === undefined ? {} : { tid: info.tid }) : info.pid === undefined ? {} : { pid: info.pid }) });

  // Budgets: the CPU baseline is taken after the guest's bootstrap (lockdown).
  const { cpuMs, wallMs } = spec.budget;
  // The kernel's CPU clock of the guest (the addon), else /proc's; the native
  // watchdog is a thread of its own that kills a child or notifies for a
  // worker, free of this event loop; without the addon, a poller on it.
  const id = tier === 'worker' ? info.tid : info.pid;
  const nativeClock = id === undefined || addon() === undefined ? undefined : tier === 'worker' ? () => threadCpuNs(id) : () => processCpuNs(id);
  const clock = nativeClock ?? started.clockFor(info);
  const base = clock?.();
  if (clock !== undefined && base !== undefined) cpu = { clock, base };
  let cpuEnforcedBy = 'not asked';
  if (cpuMs !== undefined) {
    if (clock === undefined || base === undefined) {
      end('budget: cpu unavailable');
      throw makeError('UNSUPPORTED', { operation: 'spawn', target: 'budget.cpuMs', realm: name, problem: 'no CPU clock for the guest on this machine', rule: 'a budget that cannot be enforced is refused, never pretended', allow: 'spawn without budget.cpuMs' });
    }
    const limitNs = Math.round(base + cpuMs * 1e6);
    if (nativeClock !== undefined && id !== undefined) {
      native = nativeWatch({ kind: tier === 'worker' ? 'thread' : 'process', id, limitNs, action: tier === 'worker' ? 'notify' : 'kill', onFire: cpuNs => {
        // A child was killed at this reading; a worker runs on until the host terminates it, read then.
        if (tier === 'process') firedNs = cpuNs;
        end('budget: cpu');
      } });
      const watchdog = native;
      unwatch = () => {
        watchdog.cancel();
      };
      cpuEnforcedBy = tier === 'worker' ? "native watchdog thread on the worker thread's CPU clock, then terminate" : "native watchdog thread on the child's CPU clock, SIGKILL from that thread";
    } else {
      unwatch = watchCpu(clock, limitNs, { parallelism: started.parallelism, minMs: POLL_MS }, () => end('budget: cpu'));
      cpuEnforcedBy = `host watchdog on the guest's CPU clock (/proc), every ${POLL_MS} ms near the limit (the kernel-native addon is not built)`;
    }
  }
  if (wallMs !== undefined) timers.add(setTimeout(() => end('budget: wall'), wallMs).unref());

  const sink = makeConsoleSink(name, spec.console ?? context.route, gate.isLive);
  const request = parts.endowments['request'] as (r: unknown) => Promise<unknown>;
  // A module read through the realm's own gate-wrapped root (so refused as
  // the guest's read would be), parsed by the host's warm cache: the guest
  // process evaluates the record, and never pays a first parse of its own.
  const precompile = async (specifier: string): Promise<{ record?: string; invalid?: string }> => {
    const { name: rootName, path } = parseUri('import', specifier, name);
    const root = parts.root(rootName) as { read(path: string): Promise<Uint8Array> } | undefined;
    if (root === undefined) return parts.resolve(specifier) as never; // the table's own refusal: an unknown name
    const bytes = await root.read(path);
    let parsed: object;
    try {
      parsed = context.sources.get(specifier, bytes, () => new TextDecoder().decode(bytes));
    } catch (error) {
      // The parser's own message (about the guest's own text), never its objects.
      return harden({ invalid: error instanceof Error ? String(error.message) : 'the module does not parse' });
    }
    return harden({ record: recordOf(parsed) });
  };
  // The main module travels with the start message (one round trip fewer);
  // a failure to read or parse it is met again, and refused, when the guest imports it.
  const main = spec.main.endsWith('.json') ? undefined : await precompile(spec.main).catch(() => undefined);
  const services = Far('RealmServices', {
    resolve: (uri: string) => parts.resolve(uri),
    // A module read through the realm's own gate-wrapped root (so refused as
    // the guest's read would be), parsed by the host's warm cache: the guest
    // process evaluates the record, and never pays a first parse of its own.
    precompiled: (specifier: string) => precompile(specifier),
    request: (req: unknown) => request(req),
    console: (level: unknown, line: unknown) => sink(level, line),
  });
  const { authority, request: _request, ...caps } = parts.endowments as Record<string, unknown>;
  void _request;
  const init = boundary.out(
    harden({
      name,
      main: spec.main,
      roots: Object.fromEntries(parts.roots),
      caps,
      services,
      answers,
      authority,
      ...(main?.record === undefined ? {} : { mainRecord: main.record }),
      ...(kernel?.lowered === true ? { lowered: true } : {}),
    }),
  );
  let guest: GuestBootstrap;
  let started_: { names: readonly string[]; values: Readonly<Record<string, unknown>> };
  try {
    guest = (await link.bootstrap) as GuestBootstrap;
    const answer = await E(guest).start(init);
    const refusal = refusalOf(answer);
    if (refusal !== undefined) throw fromRefusal(refusal, name, `import ${JSON.stringify(spec.main)}`);
    started_ = startAnswer(answer);
  } catch (error) {
    end(endReason ?? 'the main module failed to load');
    if (error instanceof Error && 'code' in error) throw error;
    const key = endReason === undefined ? undefined : budgetKeys[endReason];
    if (key !== undefined) {
      throw makeError('BUDGET_EXCEEDED', {
        operation: `import ${JSON.stringify(spec.main)}`,
        target: `budget.${key}`,
        realm: name,
        problem: `the realm ended (${endReason}) before its main module had loaded`,
        rule: 'a budget counts from the start of the guest, its main module included',
        allow: `raise budget.${key}, or do less at the main module's top level`,
      });
    }
    throw makeError('GUEST', {
      operation: `import ${JSON.stringify(spec.main)}`,
      realm: name,
      problem: `the guest failed to start: ${error instanceof Error ? error.message : String(error)}`,
      rule: 'a realm runs only once its main module loaded',
    });
  }

  const exports: Record<string, unknown> = {};
  const order = makeCapTPOrder();
  for (const [index, key] of started_.names.entries()) {
    const operation = `call "${key}"`;
    // What the host gets for an answer CapTP carried, or the error for a refusal (the guest's, or the host's of what it sent).
    const settle = async (answer: unknown): Promise<unknown> => {
      const refusal = refusalOf(answer);
      if (refusal !== undefined) throw fromRefusal(refusal, name, operation);
      return copyOut(boundary.in(answer));
    };
    const overCapTP = async (send: () => Promise<unknown>): Promise<unknown> => {
      let answer: unknown;
      try {
        answer = await send();
      } catch (error) {
        if (!gate.isLive()) throw ended(operation);
        throw error;
      }
      return settle(answer);
    };
    // Plain data both ways takes the fast path (./fast-calls.ts): its promise is the call's; anything else, or an answer that is not plain, CapTP's.
    const fastSettle = harden({
      other: (got: FastOther): Promise<unknown> => (got.kind === 'refusal' ? settle(encodeRefusal(got.refusal)) : overCapTP(() => E(guest).take(got.id))),
      ended: () => ended(operation),
    });
    // The export's head, and the target its calls keep their order on (./fast-calls.ts).
    const head = Object.freeze([index]);
    exports[key] = (...args: unknown[]): Promise<unknown> => {
      if (!gate.isLive()) return Promise.reject(ended(operation));
      const answered =
        (order.busy(head) ? undefined : fast.call(head, args, fastSettle)) ??
        order.through(head, () => overCapTP(() => E(guest).call(key, args.map(arg => boundary.out(gate.wrap(arg, 'argument'))))));
      // After this turn (./pool.ts): the caller's continuation runs first.
      if (refill !== undefined) void answered.then(refilled, refilled);
      return answered;
    };
  }
  for (const [key, value] of Object.entries(started_.values)) exports[key] = copyOut(boundary.in(value));
  const frozen = harden(exports);
  const realm: Realm = harden({
    name,
    tier: spec.tier,
    exports: frozen,
    call: callExport(name, frozen),
    done: parts.done,
    enforcedBy: harden({
      names: kernel?.lowered === true ? 'LOWERED FOR TESTS: the guest holds Node\'s process and require; only the kernel wall holds it' : `resolution table + SES compartment in a ${spec.tier === 'worker' ? 'worker thread' : 'child process'}`,
      ceiling: 'realm gate (every capability call, in the host)',
      cpuMs: cpuEnforcedBy,
      wallMs: wallMs === undefined ? 'not asked' : 'host timer',
      heapMb: spec.budget.heapMb === undefined ? 'not asked' : `V8 resourceLimits, on top of ${RUNTIME_HEAP_MB} MB for the guest runtime (ArrayBuffers not counted)`,
      ...kernel?.enforcedBy,
      hostSurvivesFatalError: spec.tier === 'process' ? 'yes' : 'no: a V8 fatal error in a worker ends the host',
    }),
    terminate: async () => {
      end('terminated');
    },
  });
  return { realm, record };
};

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
import { makeCapTP } from '@endo/captp';
import { E } from '@endo/far';
import { Far } from '@endo/pass-style';
import { GuestError, RevokedError, isErrorCode, makeError } from '@cathedral/sdk';
import { copyOut } from '../copy-out.js';
import { makeConsoleSink } from '../console.js';
import { type CallGuest, makeBoundary } from './boundary.js';
import { callExport, type Parent, type Realm, type RealmContext } from '../realm.js';
import { makeRealmParts } from '../realm-parts.js';
import type { RealmRecord } from '../registry.js';
import type { CheckedSpec } from '../spec.js';
import { type Channel, batching, childChannel, isControl, workerChannel } from './channel.js';
import { type Refusal, encodeRefusal, refusalOf } from './codec.js';
import { makeFastCaller } from './fast-calls.js';
import { processClock, threadClock, watchCpu } from './cpu-clock.js';
import { type KernelStart, RUNTIME_HEAP_MB, kernelStart } from './kernel.js';
import type { RealmCgroup } from '@cathedral/kernel-native';
import { parseUri } from '../uri.js';
import type { Pool, Poolable } from './pool.js';
import { type CpuWatchdog, addon, processCpuNs, threadCpuNs, watchCpu as nativeWatch } from '@cathedral/kernel-native';
import { makeInbound } from './inbound.js';

const guestMain = new URL('./guest-main.js', import.meta.url);
// Generous: a guest's start (lockdown, the parser) can take seconds on a loaded machine.
const READY_MS = 120_000;
const POLL_MS = 1;
/**
 * A parsed module's fields as plain data, made once per parse: the source
 * cache hands every realm of the same code the same `ModuleSource`, so a
 * warm spawn does not serialise its main module again.
 */
const records = new WeakMap<object, object>();
const recordOf = (parsed: object): object => {
  let record = records.get(parsed);
  if (record === undefined) {
    record = harden(JSON.parse(JSON.stringify(parsed)) as object);
    records.set(parsed, record);
  }
  return record;
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

interface Started {
  readonly channel: Channel;
  readonly stop: () => void;
  /** Whether the thread or process keeps the host's event loop alive (only while a call waits on it). */
  readonly hold: (held: boolean) => void;
  /** Calls back once with why the thread or process ended. */
  readonly onExit: (listener: (reason: string) => void) => void;
  readonly clockFor: (ready: { tid?: number; pid?: number }) => (() => number | undefined) | undefined;
  /** How many CPUs the clock's tasks can use at once. */
  readonly parallelism: number;
  /** A child taken from the warm pool has already said it is ready. */
  readonly readyInfo?: { readonly tid?: number; readonly pid?: number } | undefined;
}

const startWorker = (spec: CheckedSpec): Started => {
  const heapMb = spec.budget.heapMb;
  const worker = new Worker(guestMain, {
    env: {},
    ...(heapMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: RUNTIME_HEAP_MB + heapMb, maxYoungGenerationSizeMb: Math.max(1, Math.min(16, Math.floor(heapMb / 4))) } }),
  });
  let listener: (reason: string) => void = () => {};
  let why: string | undefined;
  worker.on('error', (error: Error & { code?: string }) => {
    why ??= error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfHeap(spec) : `crashed: ${error.code ?? error.name}`;
  });
  worker.on('exit', code => listener(why ?? (code === 0 ? 'exited' : `crashed: exit code ${code}`)));
  return {
    channel: workerChannel(worker),
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
  readonly ready: Promise<{ readonly tid?: number; readonly pid?: number }>;
  /** Set once the child said it is ready. */
  readonly info: () => { readonly tid?: number; readonly pid?: number } | undefined;
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
  const forked = forkGuest(kernel.execPath, kernel.argvFor(cgroup), cgroup, () => {
    adopted = true;
  });
  forked.child.once('exit', () => {
    if (!adopted) void kernel.release(cgroup);
  });
  return forked;
};

const forkGuest = (execPath: string | undefined, execArgv: readonly string[], cgroup: RealmCgroup | undefined, adopt: () => void): Forked => {
  const child = fork(guestMain, [], {
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
  let info: { tid?: number; pid?: number } | undefined;
  let exited = false;
  const ready = new Promise<{ tid?: number; pid?: number }>((resolve, reject) => {
    const onMessage = (message: unknown) => {
      // The guest batches what it sends per turn: `ready` may come alone or in a batch.
      const messages = isControl(message) && message.cathedral === 'batch' && Array.isArray(message['messages']) ? (message['messages'] as unknown[]) : [message];
      const found = messages.find(m => isControl(m) && m.cathedral === 'ready');
      if (found !== undefined) {
        child.off('message', onMessage);
        info = found as { tid?: number; pid?: number };
        resolve(info);
      }
    };
    child.on('message', onMessage);
    child.once('exit', () => {
      exited = true;
      reject(new Error('the guest process ended before it was ready'));
    });
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    info: () => info,
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
    channel: childChannel(child),
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
    ...(forked.info() === undefined ? {} : { readyInfo: forked.info() }),
  };
};

export const makeRemoteRealm = async (spec: CheckedSpec, context: RealmContext, parent: Parent): Promise<{ realm: Realm; record: RealmRecord }> => {
  const { name } = spec;
  const parts = makeRealmParts(spec, context, parent);
  const boundary = makeBoundary((target, method, args) => callGuest(target, method, args));
  const { record, gate } = parts;
  const tier = spec.tier === 'worker' ? 'worker' : 'process';
  const kernel = tier === 'process' ? kernelStart(spec, context.kernel, { report: context.report }) : undefined;
  const started = kernel === undefined ? startWorker(spec) : startProcess(spec, kernel, context.pool as Pool<Forked> | undefined);
  const channel = batching(started.channel);
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
  let captp: ReturnType<typeof makeCapTP> | undefined;
  // The guest keeps the host's event loop alive only while the host waits
  // for one of its answers: CapTP questions and fast calls out, answers back.
  let waitingFor = 0;
  const waiting = (delta: 1 | -1) => {
    waitingFor += delta;
    if (gate.isLive() && (waitingFor === 0 || (waitingFor === 1 && delta === 1))) started.hold(waitingFor > 0);
  };
  const fast = makeFastCaller(message => channel.send(message), waiting, problem => ({
    code: 'GUEST',
    message: problem,
    details: { problem: `the guest's answer cannot cross to the host: ${problem}`, rule: 'answers from a guest are plain data, capabilities or bytes, bounded in size and nesting' },
  }));
  parts.onEnd(reason => {
    endReason ??= reason;
    // Read before the stop: the guest's CPU time at the moment it is stopped.
    const now = firedNs ?? cpu?.clock();
    unwatch();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    captp?.abort(new Error(`the realm ended (${reason})`));
    fast.rejectAll(new Error(`the realm ended (${reason})`));
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

  const ready = new Promise<{ tid?: number; pid?: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the guest did not start in time')), READY_MS);
    timers.add(timer);
    parts.done.then(({ reason }) => reject(new Error(`the guest ended while starting (${reason})`)));
    const questions = new Set<unknown>();
    const exported = new Map<string, unknown>();
    captp = makeCapTP(
      `host:${name}`,
      message => {
        const { type, questionID } = message as { type?: string; questionID?: unknown };
        if ((type === 'CTP_CALL' || type === 'CTP_BOOTSTRAP') && questionID !== undefined) {
          if (!questions.has(questionID)) {
            questions.add(questionID);
            waiting(1);
          }
        }
        channel.send(message);
      },
      undefined,
      { onReject: () => {}, exportHook: (value, slot) => exported.set(slot, value) },
    );
    const dispatch = captp.dispatch;
    const inbound = makeInbound({ realm: name, exported: slot => exported.get(slot), answers: boundary.answers });
    const take = (message: unknown): void => {
      let verdict = inbound.check(message);
      if (verdict.kind === 'dispatch' && !dispatch(message) && gate.isLive()) verdict = inbound.afterFailedDispatch(message);
      if (verdict.kind === 'replace' && !dispatch(verdict.message) && gate.isLive()) verdict = { kind: 'violation', problem: 'a replaced answer CapTP could not take' };
      if (verdict.kind === 'refuse-call') channel.send(verdict.reply);
      if (verdict.kind === 'violation' && gate.isLive()) end(`crashed: protocol error (${verdict.problem})`);
    };
    if (started.readyInfo !== undefined) {
      clearTimeout(timer);
      resolve(started.readyInfo);
    }
    channel.onMessage(message => {
      if (isControl(message)) {
        if (message.cathedral === 'ready') {
          clearTimeout(timer);
          resolve(message as { tid?: number; pid?: number });
        } else if (message.cathedral === 'return') {
          fast.onReturn(message);
        }
        return;
      }
      take(message);
      const { type, answerID } = message as { type?: string; answerID?: unknown };
      if (type === 'CTP_RETURN' && questions.delete(answerID)) waiting(-1);
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
  const precompile = async (specifier: string): Promise<{ record?: object; invalid?: string }> => {
    const { name: rootName, path } = parseUri('import', specifier, name);
    const root = parts.roots.get(rootName) as { read(path: string): Promise<Uint8Array> } | undefined;
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
      authority,
      ...(main?.record === undefined ? {} : { mainRecord: main.record }),
      ...(kernel?.lowered === true ? { lowered: true } : {}),
    }),
  );
  const guest = (captp as ReturnType<typeof makeCapTP>).getBootstrap();
  let started_: { exports: object; names: string[]; values: Record<string, unknown>; pending: object };
  try {
    const answer = await E(guest as never as { start(i: unknown): Promise<unknown> }).start(init);
    const refusal = refusalOf(answer);
    if (refusal !== undefined) throw fromRefusal(refusal, name, `import ${JSON.stringify(spec.main)}`);
    started_ = answer as typeof started_;
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
  for (const key of started_.names) {
    exports[key] = async (...args: unknown[]) => {
      const operation = `call "${key}"`;
      if (!gate.isLive()) throw ended(operation);
      let answer: unknown;
      try {
        // Plain data both ways takes the fast path (./fast-calls.ts); anything else, or an answer that is not plain, CapTP's.
        const quick = fast.call(key, args);
        const got = quick === undefined ? undefined : await quick;
        if (got?.kind === 'value') return got.value;
        if (got?.kind === 'refusal') answer = encodeRefusal(got.refusal);
        else if (got?.kind === 'held') answer = await E(started_.pending as { take(id: number): Promise<unknown> }).take(got.id);
        else {
          const sent = args.map(arg => boundary.out(gate.wrap(arg, 'argument')));
          answer = await (E(started_.exports) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[key]!(...sent);
        }
      } catch (error) {
        if (!gate.isLive()) throw ended(operation);
        throw error;
      }
      const refusal = refusalOf(answer);
      if (refusal !== undefined) throw fromRefusal(refusal, name, operation);
      return copyOut(boundary.in(answer));
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

/**
 * The host's CapTP connection to one guest thread or process, made when the
 * guest is started: before any realm is its, for a child of the warm pool.
 *
 * The guest's bootstrap is asked for the moment the guest says it is ready,
 * so a warm child is handed to a realm with its bootstrap already answered,
 * and a realm's start is one round trip (the start call) instead of two.
 * Nothing realm-specific crosses before a realm attaches: the host exports
 * nothing to an unattached guest, and the only question it asks is the
 * bootstrap, whose answer carries no authority of the host's.
 *
 * Every message from the guest is checked (./inbound.ts) before CapTP sees
 * it, attached or not; before a realm attaches, a guest may call nothing
 * and a protocol violation stops the guest (its pool drops it). A realm
 * attaches its own rule of which exported methods a guest may call, its
 * liveness, what a violation does, where fast calls' answers and the guest's fast calls go, and `waiting`, told when a question to the guest starts
 * and is answered (so that the guest holds the host's event loop only while
 * the host waits on it).
 *
 * It does not start, stop or supervise the guest: ./remote-realm.ts does.
 */
import { makeCapTP } from '@endo/captp';
import { type Channel, batching, isControl } from './channel.js';
import { callerOf, isFast } from './fast-calls.js';
import { type Inbound, makeInbound } from './inbound.js';

/** What a guest says when it is ready: its OS identity (thread id, pid). */
export interface ReadyInfo {
  readonly tid?: number;
  readonly pid?: number;
}

export interface LinkHooks {
  /** The realm's name, for refusals. */
  readonly realm: string;
  /** Whether a guest may call `method` (`null`: as a function) on a value the host exported. */
  readonly answers: (exported: unknown, method: string | null) => boolean;
  /** Whether the realm still runs: nothing is answered or ended after it ended. */
  readonly live: () => boolean;
  /** The guest broke the protocol. */
  readonly violation: (problem: string) => void;
  /** A fast call's answer (./fast-calls.ts). */
  readonly fast: (message: readonly unknown[]) => void;
  /** A guest's fast call of a capability the host exported (./fast-calls.ts). */
  readonly call: (message: readonly unknown[]) => void;
  /** A question to the guest was asked (+1) or answered (-1). */
  readonly waiting: (delta: 1 | -1) => void;
}

export interface Link {
  /** The batching channel to the guest, for the supervisor's own messages (fast calls). */
  readonly channel: Channel;
  readonly captp: ReturnType<typeof makeCapTP>;
  /** Settles once the guest said it is ready. */
  readonly ready: Promise<ReadyInfo>;
  /** The guest's `ready` once it came. */
  readonly info: () => ReadyInfo | undefined;
  /** The guest's bootstrap (a presence), asked for as soon as the guest was ready. */
  readonly bootstrap: Promise<unknown>;
  /** What the host exported to the guest's CapTP at `slot` (as the host numbers it: `o+N`). */
  exported(slot: string): unknown;
  /** Makes the link a realm's; once only. */
  attach(hooks: LinkHooks): void;
}

/** Before a realm attaches: the guest may call nothing, and a violation stops it. */
const unattached = (label: string, stop: (problem: string) => void): LinkHooks => ({
  realm: label,
  answers: () => false,
  live: () => true,
  violation: stop,
  fast: () => {},
  call: () => stop('a fast call before a realm attached'),
  waiting: () => {},
});

/**
 * A link over `raw` (the worker's or child's own channel). `label` names the
 * host's CapTP (a realm's name, or `pool`); `stop` ends a guest that breaks
 * the protocol before a realm attached.
 */
export const makeLink = (raw: Channel, label: string, stop: (problem: string) => void): Link => {
  const channel = batching(raw);
  let hooks = unattached(label, stop);
  let attached = false;
  const questions = new Set<unknown>();
  const exported = new Map<string, unknown>();
  const captp = makeCapTP(
    `host:${label}`,
    message => {
      const { type, questionID } = message as { type?: string; questionID?: unknown };
      if ((type === 'CTP_CALL' || type === 'CTP_BOOTSTRAP') && questionID !== undefined && !questions.has(questionID)) {
        questions.add(questionID);
        hooks.waiting(1);
      }
      channel.send(message);
    },
    undefined,
    { onReject: () => {}, exportHook: (value, slot) => exported.set(slot, value) },
  );
  const { dispatch } = captp;
  let inbound = makeInbound({ realm: label, exported: slot => exported.get(slot), answers: (value, method) => hooks.answers(value, method) });
  const take = (message: unknown): void => {
    let verdict: Inbound = inbound.check(message);
    if (verdict.kind === 'dispatch' && !dispatch(message as never) && hooks.live()) verdict = inbound.afterFailedDispatch(message);
    if (verdict.kind === 'replace' && !dispatch(verdict.message as never) && hooks.live()) verdict = { kind: 'violation', problem: 'a replaced answer CapTP could not take' };
    if (verdict.kind === 'refuse-call') channel.send(verdict.reply);
    if (verdict.kind === 'violation' && hooks.live()) hooks.violation(verdict.problem);
  };

  let info: ReadyInfo | undefined;
  let onReady: (ready: ReadyInfo) => void = () => {};
  const ready = new Promise<ReadyInfo>(resolve => {
    onReady = resolve;
  });
  channel.onMessage(message => {
    if (isFast(message)) {
      if (callerOf(message) === 'guest') hooks.call(message);
      else hooks.fast(message);
      return;
    }
    if (isControl(message)) {
      if (message.cathedral === 'ready' && info === undefined) {
        const { tid, pid } = message as ReadyInfo;
        info = { ...(typeof tid === 'number' ? { tid } : {}), ...(typeof pid === 'number' ? { pid } : {}) };
        onReady(info);
      }
      return;
    }
    take(message);
    const { type, answerID } = message as { type?: string; answerID?: unknown };
    if (type === 'CTP_RETURN' && questions.delete(answerID)) hooks.waiting(-1);
  });
  const bootstrap = ready.then(() => captp.getBootstrap());
  bootstrap.catch(() => {});

  return {
    channel,
    captp,
    ready,
    info: () => info,
    bootstrap,
    exported: slot => exported.get(slot),
    attach: realm => {
      if (attached) throw new Error(`the guest link "${label}" is already a realm's`);
      attached = true;
      hooks = realm;
      inbound = makeInbound({ realm: realm.realm, exported: slot => exported.get(slot), answers: realm.answers });
      // Questions asked before (the bootstrap, when it is still unanswered) are waited on from now.
      for (const _ of questions) realm.waiting(1);
    },
  };
};

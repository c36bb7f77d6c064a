/**
 * The fast path of calls across a thread or process boundary, both ways:
 * the host's calls into a guest's exports, and a guest's calls of the host's
 * capabilities it holds. Plain data (./plain.ts) both ways as structured
 * clones, beside CapTP on the same channel, with no marshal, no presence
 * and no hardening of CapTP's own bookkeeping per call.
 *
 * Profiled (2,000 calls into a worker realm), a CapTP round trip spent
 * most of its time in `harden` (of each question's promise kit, handler
 * and message records), in marshalling, and in posting CapTP's records;
 * the call itself was a rounding error. Here a call is one message each
 * way, an array (CapTP's messages and the supervisor's control messages
 * are records, so the three never mix):
 *   host → guest  `[id, index, ...args]`     the export at `index` of the start's `names`
 *   guest → host  `[-id, slot, method, ...args]`  `method` (null: call it as a
 *                                            function) of the host's capability
 *                                            exported to the guest's CapTP at `slot`
 *   answers       `[id, value]`              plain data
 *                 `[id, refusal, 'refusal']` a thrown value, as a refusal record
 *                 `[id, null, 'held']`       an answer that is not plain data
 * The caller's side numbers its calls: the host's calls are positive, the
 * guest's negative, and an answer carries its call's number, so each end
 * tells a call to serve from an answer to take by the sign (`callerOf`).
 * Arrays, not records with named fields: Node's IPC serializer and the
 * structured clone pay per property name, which measured as a sixth of a
 * process-tier round trip on one CPU.
 *
 * A call whose arguments are not all plain data takes CapTP's path; an
 * answer that is not takes it too: the answering side holds it, and the
 * caller fetches it through CapTP (the host's `E(guest).take(id)`, the
 * guest's `E(answers).take(id)` on a capability the host gave it at start),
 * so capabilities and promises in answers keep CapTP's semantics. Each receiver checks what
 * arrived (`acceptPlain`, bounded in depth and size) and hardens it once.
 *
 * Messages are sent in order on the one channel; the guest starts calls in
 * the order they arrive, and answers an export that returned plain data at
 * once (in the same turn), one that returned a promise or any other object
 * once it settles. A held answer is kept under the call's id until the host
 * takes it. What this does not do: pipelining on a fast answer (host code
 * calls exports as async functions; `E()` pipelining between capabilities
 * still goes through CapTP).
 */
import type { Refusal } from './codec.js';
import { NOT_PLAIN, acceptPlain, acceptPlainList, ownPlain, plainCopy } from './plain.js';

/** What the host receives for a fast call that is not plain data: a refusal, or an answer the guest holds. */
export type FastOther = { readonly kind: 'refusal'; readonly refusal: Refusal } | { readonly kind: 'held'; readonly id: number };

/** What the caller of a fast call does with answers other than plain data, and with the realm's end. */
export interface FastSettle {
  /** What the call settles with for a refusal or a held answer (a promise the call follows). */
  readonly other: (answer: FastOther) => Promise<unknown>;
  /** Why the call rejects when the realm ends before it is answered. */
  readonly ended: () => unknown;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly settle: FastSettle;
}

export interface FastCaller {
  /**
   * Starts a call of what `head` names (the host's: `[index]` of an export;
   * the guest's: `[slot, method]`): a promise of its plain answer (hardened),
   * or of what `settle.other` makes of any other answer; or undefined when
   * its arguments are not plain data.
   */
  call(head: readonly unknown[], args: readonly unknown[], settle: FastSettle): Promise<unknown> | undefined;
  /** Takes an answer from the guest; false when it was not a valid answer to a call made. */
  onReturn(message: readonly unknown[]): boolean;
  /** Rejects every call still waiting (the realm ended), each with its `settle.ended()`. */
  rejectAll(): void;
}

const isRefusal = (value: unknown): value is Refusal => {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (typeof r['code'] !== 'string' || typeof r['message'] !== 'string' || typeof r['details'] !== 'object' || r['details'] === null) return false;
  return Object.values(r['details'] as object).every(v => v === undefined || typeof v === 'string');
};

/** A fast message: an array (what CapTP and the supervisor send are records). */
export const isFast = (message: unknown): message is readonly unknown[] => Array.isArray(message);

/**
 * Order across the two paths. A fast call runs as it arrives, a CapTP call
 * some turns later, so a fast call made after a CapTP call on the same
 * target could overtake it. So a caller sends through CapTP while a CapTP
 * call on the same target is unanswered (`busy`; `through` counts one):
 * calls on one target arrive in the order they were made, as at the
 * compartment tier. A target is any object standing for one (a presence,
 * an export's head).
 */
export const makeCapTPOrder = () => {
  const unanswered = new WeakMap<object, number>();
  return {
    busy: (target: object): boolean => unanswered.has(target),
    through: async (target: object, run: () => Promise<unknown>): Promise<unknown> => {
      unanswered.set(target, (unanswered.get(target) ?? 0) + 1);
      try {
        return await run();
      } finally {
        const left = (unanswered.get(target) ?? 1) - 1;
        if (left === 0) unanswered.delete(target);
        else unanswered.set(target, left);
      }
    },
  };
};

/** Which side made the call a fast message belongs to (a call, or its answer): the guest numbers its calls below zero. */
export const callerOf = (message: readonly unknown[]): 'host' | 'guest' => (typeof message[0] === 'number' && message[0] < 0 ? 'guest' : 'host');

/**
 * The caller's end: `caller` says which side this is (the guest's calls are
 * numbered below zero). `waiting(delta)` is told when a call starts (+1)
 * and ends (-1), so the host's supervisor holds its event loop only while
 * it waits.
 */
export const makeFastCaller = (
  send: (message: unknown) => void,
  waiting: (delta: 1 | -1) => void,
  tooBig: (problem: string) => Refusal,
  caller: 'host' | 'guest' = 'host',
): FastCaller => {
  const pending = new Map<number, Pending>();
  const step = caller === 'host' ? 1 : -1;
  let next = 0;

  const call = (head: readonly unknown[], args: readonly unknown[], settle: FastSettle): Promise<unknown> | undefined => {
    const message = plainCopy(args) as unknown[];
    if (message === NOT_PLAIN) return undefined;
    next += step;
    const id = next;
    const promise = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject, settle }));
    waiting(1);
    // The copy is this call's own fresh array: the message is made of it.
    if (head.length === 1) message.unshift(id, head[0]);
    else message.unshift(id, ...head);
    send(message);
    return promise;
  };

  const onReturn = (message: readonly unknown[]): boolean => {
    const id = message[0];
    const waiter = typeof id === 'number' ? pending.get(id) : undefined;
    if (waiter === undefined || typeof id !== 'number' || message.length < 2 || message.length > 3) return false;
    pending.delete(id);
    // Told after the answer settled the call, so that the caller's continuation is queued first.
    try {
      return settle(waiter, id, message[1], message.length === 2 ? 'value' : message[2]);
    } finally {
      waiting(-1);
    }
  };

  const refuse = (waiter: Pending, refusal: Refusal): void => waiter.resolve(waiter.settle.other({ kind: 'refusal', refusal }));

  const settle = (waiter: Pending, id: number, payload: unknown, kind: unknown): boolean => {
    switch (kind) {
      case 'value': {
        const problem = acceptPlain(payload);
        if (problem === undefined) waiter.resolve(ownPlain(payload));
        else refuse(waiter, tooBig(problem));
        return true;
      }
      case 'refusal':
        if (acceptPlain(payload) !== undefined || !isRefusal(payload)) {
          refuse(waiter, tooBig('the guest sent a malformed refusal'));
          return false;
        }
        refuse(waiter, payload);
        return true;
      case 'held':
        waiter.resolve(waiter.settle.other({ kind: 'held', id }));
        return true;
      default:
        refuse(waiter, tooBig('the guest sent a malformed answer'));
        return false;
    }
  };

  const rejectAll = (): void => {
    const all = [...pending.values()];
    for (const _ of all) waiting(-1);
    pending.clear();
    for (const waiter of all) waiter.reject(waiter.settle.ended());
  };

  return { call, onReturn, rejectAll };
};

/**
 * The answering end. `invoke(message, args)` runs what the call's head
 * names (the `headLength` elements after the id: the guest's `message[1]`,
 * an export's index; the host's `message[1]` and `message[2]`, a slot and a
 * method), with `args`, the rest, checked; it may throw, or answer a
 * promise, and a head that names nothing callable is its to refuse (by
 * throwing). `refuse(thrown)`
 * is the refusal record the caller should receive for a thrown value;
 * `hold(id, value)` keeps an answer that is not plain data for CapTP.
 */
export const serveFastCalls = (
  send: (message: unknown) => void,
  invoke: (message: readonly unknown[], args: unknown[]) => unknown,
  refuse: (thrown: unknown) => unknown,
  hold: (id: number, value: unknown) => void,
  headLength = 1,
) => {
  const answer = (id: number, value: unknown): void => {
    const copy = plainCopy(value);
    if (copy !== NOT_PLAIN) {
      send([id, copy]);
      return;
    }
    hold(id, value);
    send([id, null, 'held']);
  };
  const fail = (id: number, thrown: unknown): void => {
    send([id, refuse(thrown), 'refusal']);
  };

  return (message: readonly unknown[]): void => {
    const id = message[0];
    if (typeof id !== 'number' || message.length <= headLength) return;
    const args = message.slice(1 + headLength);
    if (acceptPlainList(args) !== undefined) return;
    let result: unknown;
    try {
      result = invoke(message, args);
    } catch (error) {
      fail(id, error);
      return;
    }
    // A primitive is answered in this turn; anything else is followed as `await` would (a thenable's `then` runs later, in a turn of its own).
    if ((typeof result !== 'object' && typeof result !== 'function') || result === null) answer(id, result);
    else
      Promise.resolve(result).then(
        value => answer(id, value),
        (error: unknown) => fail(id, error),
      );
  };
};

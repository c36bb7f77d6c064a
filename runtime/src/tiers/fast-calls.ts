/**
 * The fast path of calls from the host into a guest's exports: plain data
 * (./plain.ts) both ways as structured clones, beside CapTP on the same
 * channel, with no marshal, no presence and no hardening of CapTP's own
 * bookkeeping per call.
 *
 * Profiled (2,000 calls into a worker realm), a CapTP round trip spent
 * most of its time in `harden` (of each question's promise kit, handler
 * and message records), in marshalling, and in posting CapTP's records;
 * the call itself was a rounding error. Here a call is one message each
 * way:
 *   host → guest  `{ cathedral: 'call', id, name, args }`
 *   guest → host  `{ cathedral: 'return', id, value }`    plain data
 *                 `{ cathedral: 'return', id, refusal }`  a thrown value, as a refusal record
 *                 `{ cathedral: 'return', id, held: true }` an answer that is not plain data
 * A call whose arguments are not all plain data takes CapTP's path; an
 * answer that is not takes it too: the guest holds it, and the host fetches
 * it through CapTP (`E(pending).take(id)`), so capabilities, bytes and
 * promises in answers keep CapTP's semantics. Each receiver checks what
 * arrived (`acceptPlain`, bounded in depth and size) and hardens it once.
 *
 * Messages are sent in order on the one channel; the guest starts calls in
 * the order they arrive. A held answer is kept under the call's id until
 * the host takes it. What this does not do: pipelining on a fast answer
 * (host code calls exports as async functions; `E()` pipelining between
 * capabilities still goes through CapTP).
 */
import type { Refusal } from './codec.js';
import { NOT_PLAIN, acceptPlain, plainCopy } from './plain.js';

export type FastAnswer =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'refusal'; readonly refusal: Refusal }
  | { readonly kind: 'held'; readonly id: number };

interface Pending {
  readonly resolve: (answer: FastAnswer) => void;
  readonly reject: (error: unknown) => void;
}

export interface FastCaller {
  /** Starts a call, or answers undefined when its arguments are not plain data. */
  call(name: string, args: readonly unknown[]): Promise<FastAnswer> | undefined;
  /** Takes a `return` message from the guest; false when it was not a valid answer to a call made. */
  onReturn(message: Readonly<Record<string, unknown>>): boolean;
  /** Rejects every call still waiting (the realm ended). */
  rejectAll(reason: unknown): void;
}

const isRefusal = (value: unknown): value is Refusal => {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (typeof r['code'] !== 'string' || typeof r['message'] !== 'string' || typeof r['details'] !== 'object' || r['details'] === null) return false;
  return Object.values(r['details'] as object).every(v => v === undefined || typeof v === 'string');
};

/**
 * The host's end. `waiting(delta)` is told when a call starts (+1) and ends
 * (-1), so the supervisor holds the host's event loop only while it waits.
 */
export const makeFastCaller = (send: (message: unknown) => void, waiting: (delta: 1 | -1) => void, tooBig: (problem: string) => Refusal): FastCaller => {
  const pending = new Map<number, Pending>();
  let next = 0;

  const call = (name: string, args: readonly unknown[]): Promise<FastAnswer> | undefined => {
    const copy = plainCopy(args);
    if (copy === NOT_PLAIN) return undefined;
    next += 1;
    const id = next;
    const promise = new Promise<FastAnswer>((resolve, reject) => pending.set(id, { resolve, reject }));
    waiting(1);
    send({ cathedral: 'call', id, name, args: copy });
    return promise;
  };

  const onReturn = (message: Readonly<Record<string, unknown>>): boolean => {
    const id = message['id'];
    const waiter = typeof id === 'number' ? pending.get(id) : undefined;
    if (waiter === undefined || typeof id !== 'number') return false;
    pending.delete(id);
    waiting(-1);
    if (message['held'] === true) {
      waiter.resolve({ kind: 'held', id });
    } else if ('refusal' in message) {
      const refusal = message['refusal'];
      if (acceptPlain(refusal) !== undefined || !isRefusal(refusal)) {
        waiter.resolve({ kind: 'refusal', refusal: tooBig('the guest sent a malformed refusal') });
        return false;
      }
      waiter.resolve({ kind: 'refusal', refusal });
    } else {
      const value = message['value'];
      const problem = acceptPlain(value);
      waiter.resolve(problem === undefined ? { kind: 'value', value } : { kind: 'refusal', refusal: tooBig(problem) });
    }
    return true;
  };

  const rejectAll = (reason: unknown): void => {
    const all = [...pending.values()];
    for (const _ of all) waiting(-1);
    pending.clear();
    for (const waiter of all) waiter.reject(reason);
  };

  return { call, onReturn, rejectAll };
};

/**
 * The guest's end. `answer(name, args)` runs an export and answers what
 * the host should receive: plain data, a refusal, or a value to hold for
 * CapTP. Calls to names that are not exported functions are refusals.
 */
export const serveFastCalls = (
  send: (message: unknown) => void,
  run: (name: string, args: unknown[]) => Promise<{ readonly value: unknown } | { readonly refusal: unknown }>,
  hold: (id: number, value: unknown) => void,
) => {
  const reply = (id: number, result: { readonly value: unknown } | { readonly refusal: unknown }): void => {
    if ('refusal' in result) {
      send({ cathedral: 'return', id, refusal: result.refusal });
      return;
    }
    const copy = plainCopy(result.value);
    if (copy !== NOT_PLAIN) {
      send({ cathedral: 'return', id, value: copy });
      return;
    }
    hold(id, result.value);
    send({ cathedral: 'return', id, held: true });
  };

  return (message: Readonly<Record<string, unknown>>): void => {
    const { id, name, args } = message as { id?: unknown; name?: unknown; args?: unknown };
    if (typeof id !== 'number' || typeof name !== 'string' || !Array.isArray(args) || acceptPlain(args) !== undefined) return;
    void run(name, args).then(result => reply(id, result));
  };
};

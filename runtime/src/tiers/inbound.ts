/**
 * What the host's CapTP accepts from a guest, checked before CapTP sees it.
 *
 * A guest's message is the guest's own text: CapTP decodes it recursively
 * (a main-thread host's stack overflows near 2,000 levels, and CapTP's
 * `dispatch` then returns false with the question never answered), and
 * CapTP rejects, and so logs to the host's stdout, any call it cannot
 * deliver. So, before dispatch:
 *  - a message's encoded body is bounded in size (`MAX_BODY_CHARS`) and in
 *    nesting (`MAX_DEPTH`, counted on the JSON text, strings skipped);
 *  - a call is delivered only to an object the host exported, by a method
 *    it has (or as a function when it is one); calls on a pipelined answer
 *    or an exported promise, property reads, and symbol-named methods are
 *    answered by the host itself with a refusal, never passed to CapTP.
 * Anything refused becomes a refusal *answer* to the question it belongs
 * to, so every call settles with a typed error. A message that fits none of
 * CapTP's shapes is a protocol violation, for the supervisor to end the
 * realm over.
 *
 * It does not validate what the body means: CapTP's decoder does that, and
 * a `false` from `dispatch` is handled by the supervisor with the same
 * refusal answers (see `afterFailedDispatch`).
 */
import { makeMarshal } from '@endo/marshal';
import { encodeRefusal } from './codec.js';

/** The most characters one encoded body from a guest may have (UTF-16 units; 64 Mi). */
export const MAX_BODY_CHARS = 64 * 1024 * 1024;
/** The deepest nesting of one encoded body from a guest, in JSON levels (one level of data is one or two). */
export const MAX_DEPTH = 512;

interface CapData {
  readonly body: string;
  readonly slots: readonly unknown[];
}

/** Why a guest's call of what the host did not hand over, or by a method it lacks, is refused (here and on the fast path, ./remote-realm.ts). */
export const NO_SUCH_METHOD = Object.freeze({
  problem: 'no such method on a capability the host handed over',
  rule: 'a guest calls the methods of the capabilities it holds, and nothing else',
});

/** What to do with one message from the guest. */
export type Inbound =
  | { readonly kind: 'dispatch' }
  /** Answer the guest's question with a refusal, without dispatching. */
  | { readonly kind: 'refuse-call'; readonly reply: unknown }
  /** Dispatch this message instead: the same answer or resolution, as a refusal. */
  | { readonly kind: 'replace'; readonly message: unknown }
  | { readonly kind: 'violation'; readonly problem: string };

// Our own encoder of refusal answers: never logs (errorTagging off, no error is ever encoded here).
const { serialize } = makeMarshal(undefined, undefined, { serializeBodyFormat: 'capdata', errorTagging: 'off', marshalSaveError: () => {} });

const refusalData = (realm: string, operation: string, problem: string, rule: string): unknown =>
  serialize(encodeRefusal({ code: 'GUEST', message: `${operation} in realm "${realm}": ${problem}. Rule: ${rule}.`, details: { operation, realm, problem, rule } }) as never);

const isCapData = (value: unknown): value is CapData =>
  typeof value === 'object' && value !== null && typeof (value as CapData).body === 'string' && Array.isArray((value as CapData).slots);

/** The nesting depth of a JSON text, up to `limit + 1`. */
export const depthOf = (text: string, limit: number): number => {
  if (text.length <= limit) return 0; // cannot nest deeper than it is long
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return max;
};

/** Why a body is refused, or undefined when it is within bounds. */
const tooBig = (data: CapData): string | undefined => {
  if (data.body.length > MAX_BODY_CHARS) return `it is ${data.body.length} characters long, over the limit of ${MAX_BODY_CHARS}`;
  if (depthOf(data.body, MAX_DEPTH) > MAX_DEPTH) return `it nests deeper than ${MAX_DEPTH} levels`;
  return undefined;
};

// A method call's body is `[name, [args…]]` or `[null, [args…]]`; a property read has no argument list.
const METHOD = /^\[(null|"(?:[^"\\]|\\.)*"),\[/;

export interface InboundOptions {
  readonly realm: string;
  /** The object the host exported under its slot (`o+N`), if any. */
  readonly exported: (slot: string) => unknown;
  /** Whether a guest may call `method` (`null`: as a function) on an exported object. */
  readonly answers: (exported: unknown, method: string | null) => boolean;
}

export const makeInbound = ({ realm, exported, answers }: InboundOptions) => {
  const callRefusal = (message: { epoch?: unknown; questionID?: unknown }, problem: string, rule: string): Inbound => ({
    kind: 'refuse-call',
    reply: { type: 'CTP_RETURN', epoch: message.epoch ?? 0, answerID: message.questionID, result: refusalData(realm, 'call into the host', problem, rule) },
  });

  const check = (message: unknown): Inbound => {
    if (typeof message !== 'object' || message === null || typeof (message as { type?: unknown }).type !== 'string') {
      return { kind: 'violation', problem: 'a message that is not a CapTP message' };
    }
    const m = message as Record<string, unknown>;
    switch (m['type']) {
      case 'CTP_CALL': {
        if (typeof m['questionID'] !== 'string') return { kind: 'violation', problem: 'a call without a question' };
        const data = m['method'];
        if (!isCapData(data)) return callRefusal(m, 'the call is not encoded as CapTP encodes one', 'the host answers only well-formed calls');
        const size = tooBig(data);
        if (size !== undefined) return callRefusal(m, `its arguments are out of bounds: ${size}`, 'arguments from a guest are bounded in size and nesting');
        const target = m['target'];
        const slot = typeof target === 'string' && /^o-\d+$/.test(target) ? `o+${target.slice(2)}` : undefined;
        const object = slot === undefined ? undefined : exported(slot);
        const found = METHOD.exec(data.body);
        let method: string | null | undefined;
        try {
          method = found === null ? undefined : (JSON.parse(found[1]!) as string | null);
        } catch {
          method = undefined;
        }
        if (m['trap'] !== undefined || object === undefined || method === undefined || !answers(object, method)) {
          return callRefusal(m, NO_SUCH_METHOD.problem, NO_SUCH_METHOD.rule);
        }
        return { kind: 'dispatch' };
      }
      case 'CTP_RETURN': {
        const data = m['result'] ?? m['exception'];
        const size = isCapData(data) ? tooBig(data) : 'it is not encoded as CapTP encodes one';
        if (size === undefined) return { kind: 'dispatch' };
        return { kind: 'replace', message: answerRefusal(m, `the guest's answer is out of bounds: ${size}`) };
      }
      case 'CTP_RESOLVE': {
        const data = m['res'] ?? m['rej'];
        const size = isCapData(data) ? tooBig(data) : 'it is not encoded as CapTP encodes one';
        if (size === undefined) return { kind: 'dispatch' };
        return { kind: 'replace', message: resolveRefusal(m, `the guest's resolution is out of bounds: ${size}`) };
      }
      case 'CTP_BOOTSTRAP':
      case 'CTP_DROP':
        return { kind: 'dispatch' };
      default:
        return { kind: 'violation', problem: `a message of type ${JSON.stringify(String(m['type'])).slice(0, 40)}` };
    }
  };

  const answerRefusal = (m: Record<string, unknown>, problem: string): unknown => ({
    type: 'CTP_RETURN',
    epoch: m['epoch'] ?? 0,
    answerID: m['answerID'],
    result: refusalData(realm, 'receive an answer', problem, 'answers from a guest are bounded in size and nesting, and must decode'),
  });

  const resolveRefusal = (m: Record<string, unknown>, problem: string): unknown => ({
    type: 'CTP_RESOLVE',
    epoch: m['epoch'] ?? 0,
    promiseID: m['promiseID'],
    res: refusalData(realm, 'receive a resolution', problem, 'values from a guest are bounded in size and nesting, and must decode'),
  });

  /**
   * What to do when CapTP's `dispatch` returned false for a message the
   * checks let through: a call gets a refusal answer (CapTP recorded no
   * answer for it). An answer or a resolution cannot be given again (CapTP
   * forgets the question before decoding), so it is a violation: the
   * supervisor ends the realm, and every call waiting on it settles.
   */
  const afterFailedDispatch = (message: unknown): Inbound => {
    const m = message as Record<string, unknown>;
    if (m['type'] === 'CTP_CALL') return callRefusal(m, 'the call could not be decoded', 'the host answers only calls it can decode');
    return { kind: 'violation', problem: `a ${String(m['type']).slice(0, 40)} message CapTP could not take` };
  };

  return { check, afterFailedDispatch };
};

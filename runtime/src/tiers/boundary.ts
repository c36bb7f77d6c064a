/**
 * The host's side of a thread or process boundary: what it exports over
 * CapTP in place of its own capabilities.
 *
 * Host code keeps calling gate wrappers directly and sees plain values and
 * thrown refusals; only here, at the boundary, do values take their
 * travelling form. Each capability crossing out gets a facet (a `Far` with
 * the same methods) that decodes arguments, encodes answers (tagged bytes),
 * turns a guest-facing refusal into a `refusal` record, and gives every
 * capability in an answer its own facet. A facet coming back from the guest
 * is turned into the capability it stands for, so provenance (the mint
 * rule) sees the host's own wrapper, never the facet. A guest's own
 * function or Far object arrives as a tagged stand-in with its method names
 * (a presence carries none) and becomes a host capability over it, which
 * calls the guest through the supervisor (`CallGuest`): it refuses once the
 * realm ended, like an export.
 *
 * An answer that is an object of plain data (records, arrays, bytes:
 * ./plain.ts) is sent beside CapTP, on the same channel and before CapTP's
 * answer, as a structured clone; CapTP's answer is a tag naming it. A
 * guest's call whose arguments are all plain data does not take CapTP at
 * all (./fast-calls.ts): the supervisor checks it with `answers` and runs
 * it with `invoke`, the same capability function a facet calls.
 *
 * Invariant: nothing the host sends over CapTP is a rejection or an error.
 * `@endo/marshal` logs every error it serializes to the host's stdout (its
 * default `marshalSaveError`, which CapTP gives no way to replace), and the
 * text of such an error may be the guest's. So a facet method never rejects
 * (any failure becomes a refusal record), an error inside an answer travels
 * as a tagged `error` record, a promise in an answer is one that fulfils
 * with the decoded answer or a refusal record, and an answer CapTP could not
 * pass becomes a refusal. Calls CapTP itself would reject (a missing method,
 * a pipelined target) are answered before CapTP sees them (./inbound.ts).
 */
import { Far, getInterfaceOf, passStyleOf } from '@endo/pass-style';
import { isGuestFacing } from '../guest-error.js';
import { type Refusal, decodeValue, encodeErrorValue, encodePlainRef, encodeRefusal, encodeValue, remotableOf } from './codec.js';

export interface Boundary {
  /** A value as it leaves for the guest. */
  out(value: unknown): unknown;
  /** A value as it arrives from the guest. */
  in(value: unknown): unknown;
  /** A thrown value as it leaves for the guest: a refusal record. */
  fail(error: unknown): unknown;
  /** Whether a guest may call `method` (`null`: call it as a function) on a value this boundary exported. */
  answers(exported: unknown, method: string | null): boolean;
  /**
   * A guest's fast call (./fast-calls.ts) of `method` on a value this
   * boundary exported, one `answers` allowed: the capability's own answer,
   * neither encoded nor settled; `args` are plain data the receiver checked
   * and hardened, so they need no decoding.
   */
  invoke(exported: object, method: string | null, args: readonly unknown[]): unknown;
  /** A thrown value as the guest's fast call receives it: the refusal `fail` would encode. */
  refusal(error: unknown): Refusal;
}

/** A guest-facing error's code and details; anything else (a host failure, never shown to a guest) as a generic one. */
const refusalOf = (error: unknown): Refusal => {
  if (!isGuestFacing(error)) {
    return { code: 'IO', message: 'the host could not complete the operation', details: { problem: 'the host could not complete the operation', rule: 'host failures are reported to the host, not to the guest' } };
  }
  const facing = error as unknown as Record<string, unknown>;
  const pick = (key: string) => (typeof facing[key] === 'string' ? (facing[key] as string) : undefined);
  return {
    code: String(facing['code']),
    message: String(facing['message']),
    details: { operation: pick('operation'), target: pick('target'), realm: pick('realm'), problem: pick('problem'), rule: pick('rule'), allow: pick('allow') },
  };
};

const refusalRecord = (error: unknown): unknown => encodeRefusal(refusalOf(error));

const { then } = Promise.prototype;

/** An answer CapTP can pass, or the refusal it gets instead: CapTP would otherwise send (and log) a serialization error. */
const passable = (value: unknown): unknown => {
  try {
    (passStyleOf as (v: unknown) => string)(value);
    return value;
  } catch {
    return refusalRecord(undefined);
  }
};

/**
 * Calls a guest function (`method` null) or a guest object's method over
 * CapTP, and answers what the host should get (or throws the host error for
 * a guest's throw, and a `RevokedError` once the realm ended): the
 * supervisor's to do (./remote-realm.ts), as it is for exports.
 */
export type CallGuest = (target: object, method: string | null, args: readonly unknown[]) => Promise<unknown>;

/**
 * Sends an answer beside CapTP when it is plain data (./plain.ts) and
 * answers the number it travels under; undefined when it is not plain data.
 * The message must reach the guest before CapTP's answer does (one channel,
 * in order).
 */
export type SendPlain = (value: unknown) => number | undefined;

export const makeBoundary = (callGuest: CallGuest, sendPlain?: SendPlain): Boundary => {
  const facets = new WeakMap<object, object>();
  const originals = new WeakMap<object, object>();
  // The host's capabilities over the guest's own functions and objects, one per guest stand-in.
  const guestCaps = new WeakMap<object, object>();

  const guestCap = (target: object, methods: readonly string[] | null): object => {
    const known = guestCaps.get(target);
    if (known !== undefined) return known;
    let made: object;
    if (methods === null) {
      made = harden((...args: unknown[]) => callGuest(target, null, args));
    } else {
      const record: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      // Never a `then`: a guest object must not make itself a thenable the host's `await` would call.
      for (const method of methods) {
        if (method !== 'then') Object.defineProperty(record, method, { value: (...args: unknown[]) => callGuest(target, method, args), enumerable: true });
      }
      made = Far((getInterfaceOf(target) ?? 'Alleged: Object').replace(/^Alleged: /, ''), record);
    }
    guestCaps.set(target, made);
    return made;
  };

  const fromGuest = (value: unknown): unknown =>
    decodeValue(value, other => {
      const remotable = remotableOf(other);
      if (remotable !== undefined) return guestCap(remotable.target, remotable.methods);
      return originals.get(other) ?? other;
    });

  const settle = async (run: () => unknown): Promise<unknown> => {
    try {
      const value = await run();
      // An object of plain data (a read's bytes, a response) travels as a
      // structured clone beside CapTP, and CapTP carries only a tag: its
      // marshal of records and base64 bytes was most of such a call.
      const id = typeof value === 'object' && value !== null ? sendPlain?.(value) : undefined;
      return id === undefined ? passable(toGuest(value)) : encodePlainRef(id);
    } catch (error) {
      return refusalRecord(error);
    }
  };

  // Each facet's methods as the capability's own functions (`null`: the capability called as one), for fast calls.
  const own = new WeakMap<object, ReadonlyMap<string | null, (...args: unknown[]) => unknown>>();

  const facetOf = (target: object): object => {
    const known = facets.get(target);
    if (known !== undefined) return known;
    let facet: object;
    const calls = new Map<string | null, (...args: unknown[]) => unknown>();
    // A facet's method is the capability's own function over decoded arguments, its answer settled for CapTP.
    const viaCapTP = (raw: (...args: unknown[]) => unknown) => (...args: unknown[]) => settle(() => raw(...args.map(fromGuest)));
    if (typeof target === 'function') {
      const raw = (...args: unknown[]) => Reflect.apply(target, undefined, args);
      calls.set(null, raw);
      facet = Far('Function', viaCapTP(raw));
    } else {
      const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      for (const key of Reflect.ownKeys(target)) {
        if (typeof key !== 'string') continue;
        const method = (target as Record<string, unknown>)[key];
        if (typeof method !== 'function') continue;
        const raw = (...args: unknown[]) => Reflect.apply(method, target, args);
        calls.set(key, raw);
        methods[key] = viaCapTP(raw);
      }
      facet = Far((getInterfaceOf(target) ?? 'Alleged: Object').replace(/^Alleged: /, ''), methods);
    }
    facets.set(target, facet);
    originals.set(facet, target);
    own.set(facet, calls);
    return facet;
  };

  const toGuest = (value: unknown): unknown =>
    encodeValue(value, other => {
      if (other instanceof Error) return encodeErrorValue(refusalOf(other));
      if (other instanceof Promise) {
        const followed = Reflect.apply(then, other, [(v: unknown) => passable(toGuest(v)), refusalRecord]) as Promise<unknown>;
        return harden(followed);
      }
      return typeof other === 'function' || getInterfaceOf(other) !== undefined ? facetOf(other) : other;
    });

  const answers = (exported: unknown, method: string | null): boolean => {
    if ((typeof exported !== 'object' && typeof exported !== 'function') || exported === null || !originals.has(exported)) return false;
    if (method === null) return typeof exported === 'function';
    const desc = Object.getOwnPropertyDescriptor(exported, method);
    return desc !== undefined && typeof desc.value === 'function';
  };

  const invoke = (exported: object, method: string | null, args: readonly unknown[]): unknown => {
    const call = own.get(exported)?.get(method);
    if (call === undefined) throw new TypeError('not a method of an exported capability'); // `answers` said no first
    return call(...args);
  };

  return { out: toGuest, in: fromGuest, fail: refusalRecord, answers, invoke, refusal: refusalOf };
};

/**
 * The guest side of a boundary: presences of host capabilities made to look
 * like local ones, so guest code calls `node.readText()` at every tier.
 *
 * An adapter is a Proxy over a frozen arrow function with no own properties —
 * it holds no host object, only the CapTP presence in a private map. Any
 * method call becomes `E(presence)[method](...)`, a call of the adapter
 * itself `E(presence)(...)`; arguments are encoded (bytes tagged, adapters
 * back to their presences, the guest's own functions and Far objects as
 * tagged stand-ins the host turns into capabilities), answers decoded
 * (tagged bytes to fresh `Uint8Array`s, presences to adapters, arrays and
 * records to hardened ones, promises to promises of decoded answers, tagged
 * errors to error values), and a refusal answer is thrown as a guest-facing
 * error with its code and details. A call whose arguments are all plain
 * data may skip CapTP (`fastCall`, ./fast-calls.ts) and answer the same. An answer the host sent beside CapTP as
 * plain data arrives as a tag naming it (`takePlain`, ./boundary.ts). `then` is never a method, so an adapter
 * is not a thenable. Each method is made once per adapter and key, and
 * hardened: `node.read === node.read`, and nothing a guest reads off an
 * adapter is mutable. The target has no own property, so the `get` trap
 * keeps every Proxy invariant whatever key it answers.
 */
import { E } from '@endo/far';
import { Far, getInterfaceOf, passStyleOf } from '@endo/pass-style';
import { ErrorCodes } from '@cathedral/sdk';
import { type Refusal, decodeValue, encodeRemotable, encodeValue, errorValueOf, plainRefOf, refusalOf } from './codec.js';
import { makeCapTPOrder } from './fast-calls.js';

export interface Adapters {
  /** A local stand-in for a presence (or the value itself when it is data). */
  adapt(value: unknown): unknown;
  /** A value as it travels to the host. */
  outgoing(value: unknown): unknown;
  /** An answer from the host: decoded, or thrown if it is a refusal. */
  incoming(answer: unknown): unknown;
  /** A value from the host that is not an answer (an endowment): decoded, a record of capabilities into a record of adapters. */
  decode(value: unknown): unknown;
}

const refusals = new WeakSet<object>();

/** True for an error `refusalError` made: a refusal the host really sent. */
export const isRefusal = (error: unknown): boolean => typeof error === 'object' && error !== null && refusals.has(error);

/** A refusal as the error a guest catches: a plain Error with code and details as own data. */
export const refusalError = (refusal: Refusal): Error => {
  const error = new Error(refusal.message);
  const code = refusal.code as keyof typeof ErrorCodes;
  const props: PropertyDescriptorMap = {
    name: { value: ErrorCodes[code] ?? 'Error', enumerable: false },
    code: { value: refusal.code, enumerable: true },
  };
  for (const [key, value] of Object.entries(refusal.details)) props[key] = { value, enumerable: true };
  Object.defineProperties(error, props);
  refusals.add(error);
  return harden(error);
};

/**
 * `answerFor(run)` runs a guest function the host called (a callback, a method
 * of a guest object) and answers what travels back: the encoded result, or
 * a refusal record for what it threw (./guest-main.ts knows how).
 */
/**
 * A fast call of a host capability (./fast-calls.ts): the promise of its
 * answer as the guest receives it (plain data hardened, a refusal thrown),
 * or undefined to take CapTP's path (the arguments are not plain data, or
 * the presence or method is not one the fast path serves).
 */
export type FastCall = (presence: object, method: string | undefined, args: readonly unknown[]) => Promise<unknown> | undefined;

export const makeAdapters = (
  answerFor: (run: () => unknown) => Promise<unknown>,
  takePlain: (id: number) => unknown = () => undefined,
  fastCall: FastCall = () => undefined,
): Adapters => {
  const presenceOf = new WeakMap<object, object>();
  const adapterOf = new WeakMap<object, object>();

  const isRemotable = (value: object): boolean => {
    try {
      return (passStyleOf as (v: unknown) => string)(value) === 'remotable';
    } catch {
      return false;
    }
  };

  // A guest function or Far object travels as a `Far` of this module's over
  // it (made once per guest object), tagged with its method names: the host
  // makes a capability over it. The `Far` decodes what the host passes and
  // answers through `answerFor` (encoded, or a refusal for a throw), like an
  // export. `Far` on the guest's own object would harden it, and fail for one
  // already frozen (an adapter's method).
  const stands = new WeakMap<object, unknown>();
  const standIn = (guest: object): unknown => {
    const known = stands.get(guest);
    if (known !== undefined) return known;
    let made: unknown;
    if (typeof guest === 'function') {
      made = encodeRemotable(Far('callback', (...args: unknown[]) => answerFor(() => Reflect.apply(guest, undefined, args.map(incoming)))), null);
    } else {
      const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      for (const key of Reflect.ownKeys(guest)) {
        if (typeof key !== 'string') continue;
        const method = (guest as Record<string, unknown>)[key];
        if (typeof method === 'function') methods[key] = (...args: unknown[]) => answerFor(() => Reflect.apply(method, guest, args.map(incoming)));
      }
      const iface = (getInterfaceOf(guest) ?? 'Alleged: Object').replace(/^Alleged: /, '');
      made = encodeRemotable(Far(iface, methods), Object.keys(methods));
    }
    stands.set(guest, made);
    return made;
  };

  const outgoing = (value: unknown): unknown =>
    encodeValue(value, other => {
      const presence = presenceOf.get(other);
      if (presence !== undefined) return presence;
      if (adapterOf.has(other)) return other; // a presence of the host's own: it goes back as itself
      if (typeof other === 'function' && getInterfaceOf(other) === undefined) return standIn(other);
      if (typeof other === 'object' && isRemotable(other)) return standIn(other);
      return other;
    });

  const { then } = Promise.prototype;
  // What decoding does with anything but plain data and bytes.
  const other = (value: object): unknown => {
    if (value instanceof Promise) return Reflect.apply(then, value, [incoming]) as Promise<unknown>;
    const error = errorValueOf(value);
    if (error !== undefined) return refusalError(error);
    return adapt(value);
  };

  const decode = (value: unknown): unknown => decodeValue(value, other);

  const incoming = (answer: unknown): unknown => {
    // An answer the host sent beside CapTP as plain data, already checked and hardened on arrival.
    const plain = plainRefOf(answer);
    if (plain !== undefined) return takePlain(plain);
    const refusal = refusalOf(answer);
    if (refusal !== undefined) throw refusalError(refusal);
    return decode(answer);
  };

  // Calls on one presence keep their order across the two paths (./fast-calls.ts).
  const order = makeCapTPOrder();

  const call = (presence: object, method: string | undefined, args: unknown[]): Promise<unknown> =>
    (order.busy(presence) ? undefined : fastCall(presence, method, args)) ?? order.through(presence, () => overCapTP(presence, method, args));

  const overCapTP = async (presence: object, method: string | undefined, args: unknown[]): Promise<unknown> => {
    const sent = args.map(outgoing);
    const target = E(presence) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>> & ((...a: unknown[]) => Promise<unknown>);
    const answer = await (method === undefined ? target(...sent) : target[method]!(...sent));
    return incoming(answer);
  };

  const adapt = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null || !isRemotable(value)) return value;
    const known = adapterOf.get(value);
    if (known !== undefined) return known;
    const presence = value;
    // An arrow function has no `prototype`; without `name` and `length` it has
    // no own property at all, so the `get` trap can answer every name.
    const target = () => {};
    delete (target as { name?: string }).name;
    delete (target as { length?: number }).length;
    const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    const methodOf = (key: string) => {
      let method = methods.get(key);
      if (method === undefined) {
        method = harden((...args: unknown[]) => call(presence, key, args));
        methods.set(key, method);
      }
      return method;
    };
    const adapter = new Proxy(Object.freeze(target), {
      get: (_target, key) => (typeof key !== 'string' || key === 'then' ? undefined : methodOf(key)),
      apply: (_target, _this, args: unknown[]) => call(presence, undefined, args),
    });
    adapterOf.set(presence, adapter);
    presenceOf.set(adapter, presence);
    return adapter;
  };

  return { adapt, outgoing, incoming, decode };
};

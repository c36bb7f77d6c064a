/**
 * The guest side of a boundary: presences of host capabilities made to look
 * like local ones, so guest code calls `node.readText()` at every tier.
 *
 * An adapter is a Proxy over a frozen arrow function with no own properties —
 * it holds no host object, only the CapTP presence in a private map. Any
 * method call becomes `E(presence)[method](...)`, a call of the adapter
 * itself `E(presence)(...)`; arguments are encoded (bytes tagged, adapters
 * back to their presences, guest functions made `Far`), answers decoded
 * (tagged bytes to fresh `Uint8Array`s, presences to adapters), and a
 * refusal answer is thrown as a guest-facing error with its code and
 * details. `then` is never a method, so an adapter is not a thenable.
 */
import { E } from '@endo/far';
import { Far, getInterfaceOf, passStyleOf } from '@endo/pass-style';
import { ErrorCodes } from '@cathedral/sdk';
import { type Refusal, decodeValue, encodeValue, refusalOf } from './codec.js';

export interface Adapters {
  /** A local stand-in for a presence (or the value itself when it is data). */
  adapt(value: unknown): unknown;
  /** A value as it travels to the host. */
  outgoing(value: unknown): unknown;
  /** An answer from the host: decoded, or thrown if it is a refusal. */
  incoming(answer: unknown): unknown;
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

export const makeAdapters = (): Adapters => {
  const presenceOf = new WeakMap<object, object>();
  const adapterOf = new WeakMap<object, object>();

  const isRemotable = (value: object): boolean => {
    try {
      return (passStyleOf as (v: unknown) => string)(value) === 'remotable';
    } catch {
      return false;
    }
  };

  const outgoing = (value: unknown): unknown =>
    encodeValue(value, other => {
      const presence = presenceOf.get(other);
      if (presence !== undefined) return presence;
      if (typeof other === 'function' && getInterfaceOf(other) === undefined) return Far('callback', other as (...args: unknown[]) => unknown);
      return other;
    });

  const incoming = (answer: unknown): unknown => {
    const refusal = refusalOf(answer);
    if (refusal !== undefined) throw refusalError(refusal);
    return decodeValue(answer, adapt);
  };

  const call = async (presence: object, method: string | undefined, args: unknown[]): Promise<unknown> => {
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
    const adapter = new Proxy(Object.freeze(target), {
      get: (_target, key) =>
        typeof key !== 'string' || key === 'then' ? undefined : (...args: unknown[]) => call(presence, key, args),
      apply: (_target, _this, args: unknown[]) => call(presence, undefined, args),
    });
    adapterOf.set(presence, adapter);
    presenceOf.set(adapter, presence);
    return adapter;
  };

  return { adapt, outgoing, incoming };
};

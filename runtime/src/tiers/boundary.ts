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
 * rule) sees the host's own wrapper, never the facet.
 */
import { Far, getInterfaceOf } from '@endo/pass-style';
import { isGuestFacing } from '../guest-error.js';
import { decodeValue, encodeRefusal, encodeValue } from './codec.js';

export interface Boundary {
  /** A value as it leaves for the guest. */
  out(value: unknown): unknown;
  /** A value as it arrives from the guest. */
  in(value: unknown): unknown;
  /** A thrown value as it leaves for the guest: a refusal record, or rethrown. */
  fail(error: unknown): unknown;
}

const refusalRecord = (error: unknown): unknown => {
  if (!isGuestFacing(error)) throw error;
  const facing = error as unknown as Record<string, unknown>;
  const pick = (key: string) => (typeof facing[key] === 'string' ? (facing[key] as string) : undefined);
  return encodeRefusal({
    code: String(facing['code']),
    message: String(facing['message']),
    details: { operation: pick('operation'), target: pick('target'), realm: pick('realm'), problem: pick('problem'), rule: pick('rule'), allow: pick('allow') },
  });
};

export const makeBoundary = (): Boundary => {
  const facets = new WeakMap<object, object>();
  const originals = new WeakMap<object, object>();

  const fromGuest = (value: unknown): unknown =>
    decodeValue(value, other => originals.get(other) ?? other);

  const settle = async (run: () => unknown): Promise<unknown> => {
    try {
      return toGuest(await run());
    } catch (error) {
      return refusalRecord(error);
    }
  };

  const facetOf = (target: object): object => {
    const known = facets.get(target);
    if (known !== undefined) return known;
    let facet: object;
    if (typeof target === 'function') {
      facet = Far('Function', (...args: unknown[]) => settle(() => Reflect.apply(target, undefined, args.map(fromGuest))));
    } else {
      const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      for (const key of Reflect.ownKeys(target)) {
        if (typeof key !== 'string') continue;
        const method = (target as Record<string, unknown>)[key];
        if (typeof method !== 'function') continue;
        methods[key] = (...args: unknown[]) => settle(() => Reflect.apply(method, target, args.map(fromGuest)));
      }
      facet = Far((getInterfaceOf(target) ?? 'Alleged: Object').replace(/^Alleged: /, ''), methods);
    }
    facets.set(target, facet);
    originals.set(facet, target);
    return facet;
  };

  const toGuest = (value: unknown): unknown =>
    encodeValue(value, other => (typeof other === 'function' || getInterfaceOf(other) !== undefined ? facetOf(other) : other));

  return { out: toGuest, in: fromGuest, fail: refusalRecord };
};

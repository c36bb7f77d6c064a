/**
 * Data a host capability answers, as its realm's guest receives it: the
 * data half of the gate's walk (./gate.ts), the mirror of ./copy-out.ts.
 *
 *  - a plain record (of `Object.prototype` or `null`, hence no remotable) is
 *    copied: its own enumerable data properties, each read from its
 *    descriptor, so no getter runs; a name the copy would inherit
 *    (`__proto__`, `constructor`) is defined as the own property it was;
 *  - an array is copied item by item;
 *  - bytes (a real `Uint8Array`, by its internal slot) are copied;
 *  - anything else that is an object — a promise, a capability, an error,
 *    what cannot cross — is the caller's (`other`).
 * Data is copied afresh on every answer, never kept: a host record that
 * changed since is never answered stale. Within one answer, `copies` maps
 * each original container to its copy, so data shared within it stays
 * shared (no blow-up on a DAG) and a cycle is copied as a cycle.
 *
 * A record of `Object.prototype` or `null` is never a remotable: @endo/pass-style
 * requires a remotable to inherit from a tag record ("Remotables must be
 * explicitly declared"), so its `getInterfaceOf` answers undefined for any
 * such record, whatever it carries. The walk therefore does not ask it:
 * its look-up of the pass-style symbol up a fresh record's prototype chain
 * cost ~3 µs of a ~10 µs copy of a fetch answer, measured between loopback
 * requests. A test pins the rule.
 *
 * Invariant: everything the walk answers is already hardened in effect —
 * frozen through and through, its prototypes hardened intrinsics — provided
 * `other` answers so too. A copied record or array is therefore hardened by
 * freezing it alone, and bytes, a fresh `Uint8Array` whose only own
 * properties are its indices (which nothing can freeze), by making them
 * non-extensible: all `harden` would do. `harden` itself is never called on
 * a copy: its walk enumerates every index of a byte array (about 3 s for
 * 1 MiB here) and costs microseconds even on a small record, per answer.
 */
import { isUint8Array, ownBytes } from '@cathedral/sdk';
import { setOwn } from './copy-out.js';

/** Copies made within one answer, by original. */
export type Copies = Map<object, unknown>;

/** What the walk does with an object (or function) that is not data. */
export type Other<C> = (value: object, context: C, label: string, copies: Copies | undefined) => unknown;

/** The walk: `value` found at `label` (`net.fetch().headers`), `context` passed on to `other` unchanged. */
export type CopyIn<C> = (value: unknown, context: C, label: string, copies?: Copies) => unknown;

const { freeze, getOwnPropertyDescriptor, getPrototypeOf, keys } = Object;

export const makeCopyIn = <C>(other: Other<C>): CopyIn<C> => {
  const copy: CopyIn<C> = (value, context, label, copies) => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return value;
    const copied = copies?.get(value);
    if (copied !== undefined) return copied;
    const proto: unknown = getPrototypeOf(value);
    if (typeof value === 'object' && (proto === Object.prototype || proto === null)) {
      const out: Record<string, unknown> = {};
      // Known to `seen` before any nested value is walked; a flat answer needs no `seen` at all.
      let seen = copies;
      seen?.set(value, out);
      let known = seen !== undefined;
      for (const key of keys(value)) {
        const desc = getOwnPropertyDescriptor(value, key);
        if (desc === undefined || desc.enumerable !== true || !('value' in desc)) continue;
        let item: unknown = desc.value;
        if ((typeof item === 'object' && item !== null) || typeof item === 'function') {
          if (!known) {
            seen ??= new Map<object, unknown>();
            seen.set(value, out);
            known = true;
          }
          item = copy(item, context, `${label}.${key}`, seen);
        }
        setOwn(out, key, item);
      }
      return freeze(out);
    }
    if (isUint8Array(value)) return ownBytes(value);
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      const seen = copies ?? new Map<object, unknown>();
      seen.set(value, items);
      for (let i = 0; i < value.length; i += 1) items.push(copy(value[i], context, label, seen));
      return freeze(items);
    }
    return other(value, context, label, copies);
  };
  return copy;
};

/**
 * `isUint8Array(value)`: whether a value is a real `Uint8Array`, decided by
 * its internal slot (the intrinsic `%TypedArray%.prototype[@@toStringTag]`
 * getter), never by its prototype chain. `instanceof` asks the value's
 * prototype — for a guest's array whose prototype is a Proxy, that runs
 * guest code (a `getPrototypeOf` trap) in the host. Copy what passes with
 * `new Uint8Array(value)`, which also reads only internal slots.
 */
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, Symbol.toStringTag)?.get as (this: unknown) => unknown;

export const isUint8Array = (value: unknown): value is Uint8Array =>
  ArrayBuffer.isView(value) && Reflect.apply(typedArrayTag, value, []) === 'Uint8Array';

/**
 * A copy of `bytes` in a buffer of its own, made non-extensible: hardened in
 * effect, as far as bytes can be (nothing can freeze their indices), without
 * `harden`'s walk of every index (seconds for a MiB). The copy reads only
 * internal slots.
 */
export const ownBytes = (bytes: Uint8Array): Uint8Array => Object.preventExtensions(new Uint8Array(bytes));

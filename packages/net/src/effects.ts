/**
 * What each method of a network capability needs in a realm's effect
 * ceiling, declared on every capability this package makes
 * (`declareEffects`), so a realm's gate refuses the call outside its ceiling
 * however the capability reached the realm.
 */
import type { EffectKind } from '@cathedral/sdk';

export const netEffects = harden({
  Net: { connect: 'net.connect', fetch: 'net.connect', listen: 'net.listen' },
  NetStream: { read: 'net.connect', write: 'net.connect', end: 'net.connect' },
  NetListener: { accept: 'net.listen' },
} as const satisfies Readonly<Record<string, Readonly<Record<string, EffectKind>>>>);

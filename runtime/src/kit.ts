/**
 * The guest kit: the powerless helpers every realm's globals are made from —
 * the console factory and the text codecs — evaluated once in a compartment
 * of their own whose global object is then frozen, so realms that share the
 * kit share nothing they could write to.
 */
import { guestConsoleSource } from './console.js';
import { RealmCompartment } from './compartment.js';
import type { GuestKit } from './realm.js';
import { textCodecSource } from './text-codec.js';

export const makeGuestKit = (): GuestKit => {
  const kit = new RealmCompartment();
  const codecs = kit.evaluate(textCodecSource) as { TextEncoder: unknown; TextDecoder: unknown };
  const makeConsole = kit.evaluate(guestConsoleSource) as GuestKit['makeConsole'];
  harden(kit.globalThis);
  return harden({ makeConsole, TextEncoder: codecs.TextEncoder, TextDecoder: codecs.TextDecoder });
};

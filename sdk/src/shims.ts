/**
 * The first import of every Cathedral package: SES, `HandledPromise` for
 * `E()`, and the lockdown itself (see ./lockdown-now.ts).
 *
 * Lockdown happens on import because Endo's own modules harden their
 * exports as they load: a lockdown that waited for `createHost()` would come
 * after some `harden`, and SES would refuse it.
 */
import './lockdown-now.js';

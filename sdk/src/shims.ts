/**
 * The globals Endo needs before anything else loads: SES's `lockdown`,
 * `harden` and `Compartment`, and `HandledPromise` for `E()`. Imported first
 * by every package's entry point; importing it twice is harmless.
 */
import 'ses';
import '@endo/eventual-send/shim.js';

/**
 * A stand-in for the process's global `console`, installed at the outermost
 * edge (./main.ts): whatever a library prints through it goes to stderr,
 * each line prefixed and made printable, so stdout carries this app's
 * report and nothing else.
 *
 * Why: at the worker and process tiers the runtime's CapTP connection once
 * logged every error it sent to a guest with the global `console.log` (the
 * default `marshalSaveError` of @endo/marshal), on stdout, with guest-chosen
 * text in it (a method name a plugin made up). The runtime now sends no
 * error over CapTP at all (runtime/src/tiers/boundary.ts), and the tests
 * check that nothing reaches this console; it stays as a backstop, so that
 * whatever a library prints can never forge lines of the report.
 *
 * Deliberately not done: deciding what is noise. Every line is kept.
 */
import { printable } from './guest-data.js';

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'dirxml', 'table', 'group', 'groupCollapsed', 'groupEnd', 'assert', 'count', 'countReset', 'time', 'timeEnd', 'timeLog'] as const;

/** A console whose every method writes `stray console: <line>` lines through `write`; `format` renders the arguments. */
export const makeStrayConsole = (write: (line: string) => void, format: (...args: unknown[]) => string): Console => {
  const print = (...args: unknown[]) => {
    let text: string;
    try {
      // Hardened errors format as `{}`: keep their name and message.
      text = format(...args.map(arg => (arg instanceof Error ? `${arg.name}: ${arg.message}` : arg)));
    } catch {
      text = '[unprintable]';
    }
    for (const line of text.split('\n')) write(`stray console: ${printable(line, 400)}`);
  };
  return Object.freeze(Object.fromEntries(METHODS.map(method => [method, print]))) as unknown as Console;
};

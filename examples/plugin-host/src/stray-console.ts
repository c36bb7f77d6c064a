/**
 * A stand-in for the process's global `console`, installed at the outermost
 * edge (./main.ts): whatever a library prints through it goes to stderr,
 * each line prefixed and made printable, so stdout carries this app's
 * report and nothing else.
 *
 * Why: at the worker and process tiers the runtime's CapTP connection logs
 * every error it sends to a guest with the global `console.log` (the default
 * `marshalSaveError` of @endo/marshal: "Temporary logging of sent error"),
 * on stdout, with guest-chosen text in it: a plugin that calls a method its
 * capability lacks, named "\n\u001b[2Jok ...", gets that name printed raw on
 * the host's terminal. This is a runtime bug (reported); remove this module
 * once the runtime routes those logs itself.
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

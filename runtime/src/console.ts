/**
 * The guest's `console`, and how its output reaches the host.
 *
 * The formatter is evaluated inside the realm's compartment: a guest value is
 * turned into a string by guest-realm code, so no guest object (Proxy,
 * getter, toString) ever reaches the host's formatter. The host side only
 * accepts strings, bounds their length and neutralises terminal control
 * characters before routing a line to the host's `onConsole`.
 */

export type ConsoleLevel = 'log' | 'info' | 'warn' | 'error' | 'debug';

/** Receives every line a guest prints, already a safe string. */
export type ConsoleRoute = (realm: string, level: ConsoleLevel, line: string) => void;

export const MAX_CONSOLE_LINE = 16 * 1024;

/** Evaluates to `(sink) => ({ console, format })` inside a compartment. */
export const guestConsoleSource = `(sink) => {
  const seen = new WeakSet();
  const show = (value, depth) => {
    switch (typeof value) {
      case 'string': return depth === 0 ? value : JSON.stringify(value);
      case 'number': case 'boolean': case 'undefined': case 'bigint': return String(value) + (typeof value === 'bigint' ? 'n' : '');
      case 'symbol': return value.toString();
      case 'function': return '[Function ' + (value.name || 'anonymous') + ']';
      default: break;
    }
    if (value === null) return 'null';
    if (seen.has(value)) return '[Circular]';
    if (value instanceof Error) return value.name + ': ' + value.message;
    if (depth > 3) return Array.isArray(value) ? '[Array]' : '[Object]';
    seen.add(value);
    try {
      if (Array.isArray(value)) return '[ ' + value.slice(0, 100).map(v => show(v, depth + 1)).join(', ') + (value.length > 100 ? ', …' : '') + ' ]';
      const keys = Object.keys(value).slice(0, 100);
      if (keys.length === 0) return '{}';
      return '{ ' + keys.map(k => k + ': ' + show(value[k], depth + 1)).join(', ') + ' }';
    } finally {
      seen.delete(value);
    }
  };
  const format = (args) => {
    try {
      return args.map(a => show(a, 0)).join(' ');
    } catch (e) {
      return '[unprintable]';
    }
  };
  // Every object made here per realm is an arrow of this (frozen, shared)
  // compartment or a record of them: an arrow's only reachable object is
  // the frozen intrinsic Function.prototype, so freezing each one and the
  // records is all harden would do, without its walk (a spawn's cost).
  const level = (name) => Object.freeze((...args) => { sink(name, format(args)); });
  const console = Object.freeze({
    log: level('log'), info: level('info'), warn: level('warn'), error: level('error'), debug: level('debug'),
  });
  return Object.freeze({ console, format: Object.freeze((value) => format([value])) });
}`;

// Keep tabs and newlines; neutralise every other C0/C1 control and DEL, so
// guest output cannot move the host's cursor or rewrite its terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Makes a guest line safe to print on the host's terminal. */
export const neutralise = (line: string): string => {
  const bounded = line.length > MAX_CONSOLE_LINE ? `${line.slice(0, MAX_CONSOLE_LINE)}… (truncated)` : line;
  return bounded.replace(CONTROL, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
};

const levels: ReadonlySet<string> = new Set(['log', 'info', 'warn', 'error', 'debug']);

/** The host end of a guest console: accepts only strings, never throws into the guest. */
export const makeConsoleSink =
  (realm: string, route: ConsoleRoute, isLive: () => boolean) =>
  (level: unknown, line: unknown): void => {
    if (!isLive() || typeof level !== 'string' || !levels.has(level) || typeof line !== 'string') return;
    route(realm, level as ConsoleLevel, neutralise(line));
  };

/** The default route: one prefixed line on the host's stdout or stderr. */
export const defaultConsoleRoute: ConsoleRoute = (realm, level, line) => {
  const out = level === 'error' || level === 'warn' ? process.stderr : process.stdout;
  // Every line of a guest's output carries its realm, so no guest can print
  // a line that looks like another realm's.
  out.write(`[${realm}] ${line.split('\n').join(`\n[${realm}] `)}\n`);
};

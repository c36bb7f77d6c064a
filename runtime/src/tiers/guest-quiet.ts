/**
 * The first module of a guest's thread or process: it gives that thread or
 * process a silent `console` before SES's lockdown wraps whatever `console`
 * is there.
 *
 * In the guest's thread, Endo's marshal logs every error it sends
 * (`console.log('Temporary logging of sent error', …)`) and CapTP may log
 * rejections; a worker thread shares the host's stdout and stderr, so such
 * a line, whose text the guest chooses, would reach the host outside the
 * realm's console route. The realm's own console (./guest-realm.ts) sends
 * its lines to the host as data and never uses this one; V8's own fatal
 * reports do not go through `console` and still reach the supervisor.
 *
 * It imports nothing: it must run before the first `harden`.
 */
const nothing = (): void => {};
const loud = globalThis.console as unknown as Record<string, unknown>;
const silent: Record<string, unknown> = {};
for (const key of Object.keys(loud)) silent[key] = typeof loud[key] === 'function' ? nothing : loud[key];
// A constructor of consoles over streams the caller names (some modules make their own): it prints nothing by itself.
silent['Console'] = loud['Console'];
for (const key of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table', 'group', 'groupEnd', 'time', 'timeEnd', 'assert', 'count']) silent[key] = nothing;
(globalThis as { console: unknown }).console = silent;

export {};

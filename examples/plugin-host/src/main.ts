/**
 * The plugin host as a program: `node examples/plugin-host/dist/src/main.js`
 * (or `npm start` from the repository root).
 *
 * Runs the plugins shipped in examples/plugin-host/plugins with the shared
 * examples/plugin-host/sysroot and the user data in
 * examples/plugin-host/userdata, prints what each did, and exits 0 when
 * every plugin behaved as expected, 1 when an escape attempt succeeded, a
 * plugin failed, a host check failed or the system root changed, 2 when the
 * host itself could not run. Paths come from this file's URL, so the working
 * directory does not matter.
 *
 * This is the outermost edge, the one place that touches `process` and the
 * global `console`.
 */
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { runPluginHost } from './host-app.js';
import { makeStrayConsole } from './stray-console.js';

// Output piped into `head` and closed early is not an error of this program.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// stdout is the report; anything a library prints goes to stderr, printable (see stray-console.ts).
globalThis.console = makeStrayConsole(line => process.stderr.write(`${line}\n`), format);

// dist/src/main.js → the example's folder
const example = new URL('../../', import.meta.url);

try {
  const result = await runPluginHost({
    pluginsDir: fileURLToPath(new URL('plugins/', example)),
    systemDir: fileURLToPath(new URL('sysroot/', example)),
    userDir: fileURLToPath(new URL('userdata/', example)),
    log: line => process.stdout.write(`${line}\n`),
  });
  process.exitCode = result.ok ? 0 : 1;
} catch (error) {
  process.stderr.write(`plugin host: could not run: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}

/**
 * The plugin host as a program: `node examples/plugin-host/dist/src/main.js`
 * (or `npm start` from the repository root).
 *
 * Runs the plugins shipped in examples/plugin-host/plugins with the shared
 * examples/plugin-host/sysroot, prints what each did, and exits 0 when every
 * plugin behaved as expected, 1 when an escape attempt succeeded, a plugin
 * failed or the system root changed, 2 when the host itself could not run.
 * Paths come from this file's URL, so the working directory does not matter.
 *
 * This is the outermost edge, the one place that touches `process`.
 */
import { fileURLToPath } from 'node:url';
import { runPluginHost } from './host-app.js';

// Output piped into `head` and closed early is not an error of this program.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// dist/src/main.js → the example's folder
const example = new URL('../../', import.meta.url);

try {
  const result = await runPluginHost({
    pluginsDir: fileURLToPath(new URL('plugins/', example)),
    systemDir: fileURLToPath(new URL('sysroot/', example)),
    log: line => process.stdout.write(`${line}\n`),
  });
  process.exitCode = result.ok ? 0 : 1;
} catch (error) {
  process.stderr.write(`plugin host: could not run: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}

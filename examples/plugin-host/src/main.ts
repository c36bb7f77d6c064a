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
 * Every plugin is spawned with its lock from examples/plugin-host/
 * plugins.lock.json, verified by the runtime at spawn (a plugin whose files
 * changed is refused with LOCK_MISMATCH). `--record-lock` records that file
 * again from the plugins as they are now, and runs nothing.
 *
 * This is the outermost edge, the one place that touches `process` and the
 * global `console`.
 */
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { hostDir } from '@cathedral/powerbox';
import { LOCK_FILE, readLocks, recordPluginLocks, runPluginHost, writeLocks } from './host-app.js';
import { makeStrayConsole } from './stray-console.js';

// Output piped into `head` and closed early is not an error of this program.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// stdout is the report; anything a library prints goes to stderr, printable (see stray-console.ts).
globalThis.console = makeStrayConsole(line => process.stderr.write(`${line}\n`), format);

// dist/src/main.js → the example's folder
const example = new URL('../../', import.meta.url);

const folders = {
  pluginsDir: fileURLToPath(new URL('plugins/', example)),
  systemDir: fileURLToPath(new URL('sysroot/', example)),
  userDir: fileURLToPath(new URL('userdata/', example)),
};
// The example's own folder, where the lock file lives (read and written atomically through a root).
const home = hostDir(fileURLToPath(example));

try {
  if (process.argv.includes('--record-lock')) {
    const locks = await recordPluginLocks(folders);
    await writeLocks(home, locks);
    process.stdout.write(`recorded ${LOCK_FILE}: ${Object.keys(locks).join(', ')}\n`);
  } else {
    const locks = await readLocks(home);
    if (locks === undefined) process.stdout.write(`no ${LOCK_FILE}: plugins run unlocked (record it with --record-lock)\n`);
    const result = await runPluginHost({ ...folders, ...(locks === undefined ? {} : { locks }), log: line => process.stdout.write(`${line}\n`) });
    process.exitCode = result.ok ? 0 : 1;
  }
} catch (error) {
  process.stderr.write(`plugin host: could not run: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}

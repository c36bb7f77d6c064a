// Builds the addon and the launcher with node-gyp against the headers of the
// Node that runs this script (never downloads them). A failed build is not an
// error of the install: everything else works, and `doctor()` reports the
// kernel wall as absent. Set CATHEDRAL_REQUIRE_KERNEL=1 to make it one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const nodedir = dirname(dirname(process.execPath));
const required = process.env.CATHEDRAL_REQUIRE_KERNEL === '1';
const fail = why => {
  console.error(`kernel-native: not built (${why}); the kernel wall is absent, doctor() will say so`);
  process.exit(required ? 1 : 0);
};
if (process.platform !== 'linux') fail(`platform ${process.platform}`);
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) fail(`no Node headers under ${join(nodedir, 'include', 'node')}`);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed');
}
const result = spawnSync(process.execPath, [gyp, 'rebuild', '--release', `--nodedir=${nodedir}`, '-j', '2'], {
  cwd: here,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (result.status !== 0) {
  process.stderr.write(result.stdout.slice(-4000) + result.stderr.slice(-4000));
  fail(`node-gyp exited with ${result.status ?? result.signal}`);
}
console.log('kernel-native: built build/Release/kernel_native.node and build/Release/cathedral-launch');

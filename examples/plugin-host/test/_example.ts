/**
 * Test helpers: where the example's folders are, a plugins folder made on
 * the fly, and running the compiled program as a child process. Paths come
 * from this file's URL (dist/test/_example.js), never the working directory.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const example = new URL('../../', import.meta.url);

export const pluginsDir = fileURLToPath(new URL('plugins/', example));
export const systemDir = fileURLToPath(new URL('sysroot/', example));
export const userDir = fileURLToPath(new URL('userdata/', example));
export const mainJs = fileURLToPath(new URL('dist/src/main.js', example));
export const lockFile = fileURLToPath(new URL('plugins.lock.json', example));

/** A fresh plugins folder: name → main.js source. Remove it with the returned function. */
export const makePlugins = async (plugins: Readonly<Record<string, string>>): Promise<{ dir: string; remove: () => Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), 'plugin-host-test-'));
  for (const [name, source] of Object.entries(plugins)) {
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'main.js'), source);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
};

export interface Exit {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/src/main.js` from an unrelated working directory (it spawns eleven processes: allow time). */
export const runMain = (): Promise<Exit> =>
  new Promise(done => {
    execFile(process.execPath, [mainJs], { cwd: tmpdir(), timeout: 100_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stdout, stderr });
    });
  });

/**
 * Host-side helpers of ./kernel-wall.test.ts: the scratch directory, servers
 * that count what reaches them, the process table and cgroup lookups the
 * test reads to see that the host is intact, and the unwalled control (the
 * same attacks by uid 65534 with no wall, which must succeed for a refusal
 * to mean anything).
 *
 * They observe and set up; nothing here attacks or repairs.
 */
import type { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unwalledProgram } from './_kernel-wall-guest.js';

/** The uid and gid the launcher drops a root host's children to. */
export const NOBODY = 65534;
export const root = process.getuid?.() === 0;

/** What the guest answers per attack. */
export type Outcome = { readonly ok: true; readonly value?: unknown } | { readonly ok: false; readonly code: string };

/**
 * The control: the same attacks by a plain node running as the child's uid
 * with no wall. Each must succeed, or the wall's refusal proves nothing.
 */
export const unwalled = (t: ExecutionContext, names: readonly string[], options: Readonly<Record<string, unknown>> = {}): Record<string, Outcome> => {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', unwalledProgram, JSON.stringify(names), JSON.stringify(options)], {
    uid: NOBODY,
    gid: NOBODY,
    env: {},
    cwd: '/',
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.is(out.status, 0, out.stderr);
  return JSON.parse(out.stdout) as Record<string, Outcome>;
};

/** Each named attack succeeded without the wall. */
export const allowedWithout = (t: ExecutionContext, r: Record<string, Outcome>, names: readonly string[]): void => {
  for (const name of names) t.true(r[name]?.ok, `control: uid ${NOBODY} without the wall: ${name} ${JSON.stringify(r[name])}`);
};

/** Whether a process exists (signal 0 from the root host). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Pids of the processes whose parent is `pid`. */
export const childrenOf = (pid: number): number[] =>
  readdirSync('/proc')
    .filter(entry => /^\d+$/.test(entry))
    .filter(entry => {
      try {
        // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);

/**
 * A scratch directory the child's uid could change if only the permission
 * bits stood in its way: 0777 without the sticky bit, a 0666 file of the
 * host's, a 0666 file owned by the child's uid, a subdirectory.
 */
export const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cathedral-kernel-wall-'));
  chmodSync(dir, 0o777);
  const hostFile = join(dir, 'host-file.txt');
  writeFileSync(hostFile, 'host data\n');
  chmodSync(hostFile, 0o666);
  const ownedFile = join(dir, 'owned-by-nobody.txt');
  writeFileSync(ownedFile, 'the child uid owns this\n');
  chmodSync(ownedFile, 0o666);
  if (root) chownSync(ownedFile, NOBODY, NOBODY);
  const subdir = join(dir, 'subdir');
  mkdirSync(subdir);
  chmodSync(subdir, 0o777);
  const forkScript = join(dir, 'fork.js');
  writeFileSync(forkScript, `require('fs').writeFileSync(${JSON.stringify(join(dir, 'forked'))}, 'x');\n`);
  chmodSync(forkScript, 0o644);
  /** What the test compares before and after: names, contents and metadata. */
  const snapshot = () =>
    readdirSync(dir)
      .sort()
      .map(name => {
        const s = statSync(join(dir, name));
        return { name, mode: s.mode, uid: s.uid, gid: s.gid, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, content: s.isFile() ? readFileSync(join(dir, name), 'utf8') : null };
      });
  return { dir, hostFile, ownedFile, subdir, forkScript, marker: join(dir, 'marker'), snapshot, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

/** A loopback TCP (or pathname Unix) server counting the connections it accepts. */
export const listening = (where: { port: 0 } | { path: string }): Promise<{ server: Server; port: number; accepted: () => number }> =>
  new Promise((resolve, reject) => {
    let count = 0;
    const server = createServer(socket => {
      count++;
      socket.destroy();
    });
    server.once('error', reject);
    const ready = () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0, accepted: () => count });
    };
    if ('path' in where) server.listen(where.path, ready);
    else server.listen(0, '127.0.0.1', ready);
  });

export const close = (server: Server): Promise<void> => new Promise(resolve => server.close(() => resolve()));

/** The directory of the cgroup holding `pid` in `controller`'s hierarchy (v1), or in the unified one (v2) when `controller` is undefined; found from /proc/<pid>/cgroup and the mount table. */
export const cgroupDirOf = (pid: number | 'self', controller: string | undefined): string | undefined => {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => {
      const [left = '', right = ''] = line.split(' - ');
      const fields = left.split(' ');
      const [fstype = '', , options = ''] = right.split(' ');
      return { root: fields[3] ?? '/', point: fields[4] ?? '', fstype, options: options.split(',') };
    });
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean)) {
    const [, controllers = '', path = ''] = line.split(/:(.*?):/);
    const v2 = controllers === '';
    if (controller === undefined ? !v2 : !controllers.split(',').includes(controller)) continue;
    const mount = mounts.find(m => (v2 ? m.fstype === 'cgroup2' : m.fstype === 'cgroup' && m.options.includes(controller!)));
    if (mount === undefined) continue;
    const relative = mount.root !== '/' && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
    return join(mount.point, relative);
  }
  return undefined;
};

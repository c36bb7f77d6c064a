import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type DirNode, type ErrorCode, isCathedralError } from '@cathedral/sdk';
import { hostDir } from '../src/index.js';
// Internal, to run the same scenarios against the fallback used where /proc is missing.
import { makeHostDir } from '../src/roots/host-dir.js';
import { checkedPathOpener, nativeOpener } from '../src/roots/host-dir-walk.js';
import { FAST_READ_MAX, type NativeResolver, useNativeOpener } from '../src/roots/host-dir-native.js';
import { fromHost } from '../src/roots/host-dir-errors.js';
import { fuzz } from './_fuzz.js';
import { _native, _nativeMissing } from './_native.js';

const SECRET = 'TOP SECRET: outside the root';

type _Make = (path: string) => DirNode;
const _openers: readonly (readonly [string, _Make])[] = [
  ['default opener', hostDir],
  ['checked-path opener', path => makeHostDir(path, checkedPathOpener)],
  ...(_native === undefined ? [] : [['openat2 opener', ((native: typeof _native) => (path: string) => makeHostDir(path, nativeOpener(native)))(_native)] as const]),
];
if (_nativeMissing !== undefined) {
  if (process.env.CATHEDRAL_REQUIRE_KERNEL === '1') test('hostDir (openat2 opener) - is available', t => t.fail(_nativeMissing));
  else test.skip(`hostDir (openat2 opener) - hostile paths and properties (skipped: ${_nativeMissing})`, () => undefined);
}

const _bases: string[] = [];
const _servers: Server[] = [];
test.after.always(async () => {
  await Promise.all(_servers.map(s => new Promise(resolve => s.close(resolve))));
  await Promise.all(_bases.map(b => fs.rm(b, { recursive: true, force: true })));
});

interface _World {
  readonly base: string;
  readonly root: string;
  readonly outside: string;
  readonly node: DirNode;
}

/** base/root is the hostDir; base/outside holds what a guest must never reach. */
const _world = async (make: _Make = hostDir): Promise<_World> => {
  const base = await fs.realpath(await fs.mkdtemp(join(tmpdir(), 'cathedral-hd-')));
  _bases.push(base);
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await fs.mkdir(join(outside, 'sub'), { recursive: true });
  await fs.writeFile(join(outside, 'secret.txt'), SECRET);
  await fs.writeFile(join(outside, 'sub', 'secret.txt'), SECRET);
  await fs.writeFile(join(outside, 'hard.txt'), SECRET);
  await fs.mkdir(join(root, 'd'), { recursive: true });
  await fs.writeFile(join(root, 'a.txt'), 'hello');
  await fs.writeFile(join(root, 'd', 'inner.txt'), 'inner');
  await fs.writeFile(join(root, 'scratch.txt'), 'scratch');
  return { base, root, outside, node: make(root) };
};

/** Everything under base except root, with content: proves nothing outside changed. */
const _snapshot = async (w: _World): Promise<string> => {
  const lines: string[] = [];
  const walkDir = async (dir: string): Promise<void> => {
    for (const name of (await fs.readdir(dir)).sort()) {
      const path = join(dir, name);
      if (path === w.root) continue;
      const st = await fs.lstat(path);
      if (st.isSymbolicLink()) lines.push(`L ${path} -> ${await fs.readlink(path)}`);
      else if (st.isDirectory()) {
        lines.push(`D ${path} ${st.mode}`);
        await walkDir(path);
      } else if (st.isFile()) lines.push(`F ${path} ${st.mode} ${st.nlink} ${await fs.readFile(path, 'utf8')}`);
      else lines.push(`S ${path}`);
    }
  };
  await walkDir(w.base);
  return lines.join('\n');
};

const _attempt = async (fn: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> => {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
};

/** A Cathedral error of `code`, naming no host path and carrying no cause. */
const _assertRefusal = (
  t: ExecutionContext,
  w: _World,
  error: unknown,
  code: ErrorCode,
  label: string,
  guestWrote?: unknown,
): void => {
  if (!isCathedralError(error)) {
    t.fail(`${label}: expected ${code}, got ${String(error)}`);
    return;
  }
  t.is(error.code, code, `${label}: ${error.message}`);
  // A guest that writes a host path gets it echoed back; nothing more.
  const message = typeof guestWrote === 'string' ? error.message.split(guestWrote).join('') : error.message;
  t.false(message.includes(w.root), `${label}: the message names the host root`);
  t.false(message.includes(w.base), `${label}: the message names a host path`);
  t.is(error.cause, undefined, `${label}: a cause travels with the error`);
};

const _refuses = async (t: ExecutionContext, w: _World, fn: () => unknown, code: ErrorCode, label: string = code) => {
  const outcome = await _attempt(fn);
  if (outcome.ok) t.fail(`${label}: expected ${code}, but it succeeded`);
  else _assertRefusal(t, w, outcome.error, code, label);
};

// ---------------------------------------------------------------------------
// Hostile paths, table-driven, against every operation and both openers.

type _Op = 'read' | 'stat' | 'list' | 'resolve' | 'write' | 'mkdir' | 'renameTo' | 'renameFrom' | 'remove';
const _ops: readonly _Op[] = ['read', 'stat', 'list', 'resolve', 'write', 'mkdir', 'renameTo', 'renameFrom', 'remove'];

const _run = (node: DirNode, op: _Op, path: unknown): Promise<unknown> => {
  const p = path as string;
  switch (op) {
    case 'read': return node.read(p);
    case 'stat': return node.stat(p);
    case 'list': return node.list(p);
    case 'resolve': return node.resolve(p);
    case 'write': return node.write(p, 'pwned');
    case 'mkdir': return node.mkdir(p);
    case 'renameTo': return node.rename('scratch.txt', p);
    case 'renameFrom': return node.rename(p, 'moved-away');
    case 'remove': return node.remove(p);
  }
};

/** Puts the root back after an operation that was expected to succeed inside it. */
const _undo = async (t: ExecutionContext, w: _World, op: _Op, path: string): Promise<void> => {
  const inside = join(w.root, path);
  switch (op) {
    case 'write':
      t.true((await fs.lstat(inside)).isFile(), `write ${path} created a file inside the root`);
      return fs.rm(inside);
    case 'mkdir':
      t.true((await fs.lstat(inside)).isDirectory(), `mkdir ${path} created a directory inside the root`);
      return fs.rmdir(inside);
    case 'renameTo':
      return fs.rename(inside, join(w.root, 'scratch.txt'));
    case 'renameFrom':
      return fs.rename(join(w.root, 'moved-away'), inside);
    case 'remove':
      t.is(await fs.readFile(join(w.outside, 'hard.txt'), 'utf8'), SECRET);
      return fs.link(join(w.outside, 'hard.txt'), inside);
    default:
      t.fail(`${op} was not expected to succeed`);
  }
};

interface _Case {
  readonly what: string;
  readonly path: unknown;
  /** The code every operation refuses with, unless `except` says otherwise ('ok': succeeds inside the root). */
  readonly code: ErrorCode;
  readonly except?: Partial<Record<_Op, ErrorCode | 'ok'>>;
}

const _toStringCalls = { count: 0 };
const _sneaky = { toString: () => { _toStringCalls.count += 1; return '../outside/secret.txt'; } };
const _createsInside = { write: 'ok', mkdir: 'ok', renameTo: 'ok' } as const;

const _cases = (w: _World, devices: boolean): readonly _Case[] => [
  // Lexical escapes, refused by the path check before the store is touched.
  { what: 'dot-dot', path: '..', code: 'PATH_ESCAPE' },
  { what: 'dot-dot then a name', path: '../x', code: 'PATH_ESCAPE' },
  { what: 'dot-dot to the outside sibling', path: '../outside/secret.txt', code: 'PATH_ESCAPE' },
  { what: 'dot-dot after a name', path: 'a/../../x', code: 'PATH_ESCAPE' },
  { what: 'dot-dot hidden behind dots', path: './.././x', code: 'PATH_ESCAPE' },
  { what: 'dot-dot at the end', path: 'd/..', code: 'PATH_ESCAPE' },
  { what: 'absolute path', path: '/etc/passwd', code: 'PATH_ESCAPE' },
  { what: 'double-slash absolute path', path: '//etc/passwd', code: 'PATH_ESCAPE' },
  { what: 'absolute host path of the outside', path: join(w.outside, 'secret.txt'), code: 'PATH_ESCAPE' },
  { what: 'NUL byte', path: 'a.txt\0/../../x', code: 'PATH_ESCAPE' },
  { what: 'backslash', path: '..\\outside\\secret.txt', code: 'PATH_ESCAPE' },
  { what: 'drive letter', path: 'C:\\Windows', code: 'PATH_ESCAPE' },
  { what: 'percent-encoded dot-dot-slash', path: '%2e%2e%2fsecret.txt', code: 'PATH_ESCAPE' },
  { what: 'percent-encoded slash, upper case', path: 'd%2Finner.txt', code: 'PATH_ESCAPE' },
  { what: 'dot-dot then encoded slash', path: '..%2fx', code: 'PATH_ESCAPE' },
  { what: 'percent-encoded backslash', path: '..%5cx', code: 'PATH_ESCAPE' },
  { what: 'percent-encoded NUL', path: 'a.txt%00', code: 'PATH_ESCAPE' },
  // Symlinks, at any depth, wherever they point.
  { what: 'symlink to /etc', path: 'etc-link', code: 'PATH_ESCAPE' },
  { what: 'a file below a symlink to /etc', path: 'etc-link/passwd', code: 'PATH_ESCAPE' },
  { what: 'symlink to a file in an outside sibling', path: 'sibling-link', code: 'PATH_ESCAPE' },
  { what: 'relative symlink ../../', path: `rel-link/${basename(w.base)}/outside/secret.txt`, code: 'PATH_ESCAPE' },
  { what: 'symlink in a middle component', path: 'd/mid-link/secret.txt', code: 'PATH_ESCAPE' },
  { what: 'symlink pointing inside', path: 'inside-link', code: 'PATH_ESCAPE' },
  { what: 'symlink to a directory inside', path: 'dir-link/inner.txt', code: 'PATH_ESCAPE' },
  { what: 'symlink to the root itself', path: 'self-link/a.txt', code: 'PATH_ESCAPE' },
  { what: 'dangling symlink', path: 'dangling', code: 'PATH_ESCAPE' },
  { what: 'symlink loop', path: 'loop1', code: 'PATH_ESCAPE' },
  { what: 'below a symlink loop', path: 'loop1/x', code: 'PATH_ESCAPE' },
  { what: '/dev/null through a symlink', path: 'null-link', code: 'PATH_ESCAPE' },
  { what: '/dev/zero through a symlink', path: 'zero-link', code: 'PATH_ESCAPE' },
  // Hard links: the name is inside, the content is shared with the outside.
  {
    what: 'hard link to an outside file',
    path: 'hardlink',
    code: 'PATH_ESCAPE',
    except: { list: 'WRONG_KIND', mkdir: 'EXISTS', renameFrom: 'ok', remove: 'ok' },
  },
  // FIFOs, sockets, devices: refused, never opened in a way that blocks.
  { what: 'FIFO', path: 'fifo', code: 'WRONG_KIND', except: { mkdir: 'EXISTS' } },
  { what: 'unix socket', path: 'sock', code: 'WRONG_KIND', except: { mkdir: 'EXISTS' } },
  ...(devices ? [{ what: 'character device', path: 'chardev', code: 'WRONG_KIND', except: { mkdir: 'EXISTS' } } as const] : []),
  // A file used as a directory.
  { what: 'a name below a file', path: 'a.txt/x', code: 'WRONG_KIND' },
  // Sizes and characters the path check refuses.
  { what: 'a name over 255 bytes', path: 'x'.repeat(256), code: 'INVALID_ARGUMENT' },
  { what: 'a name of 128 two-byte characters', path: 'é'.repeat(128), code: 'INVALID_ARGUMENT' },
  { what: 'a path over 4096 bytes', path: 'a/'.repeat(2049), code: 'INVALID_ARGUMENT' },
  { what: 'a long path of missing directories', path: 'x/'.repeat(2000), code: 'NOT_FOUND' },
  { what: 'control character', path: 'a\u0001b', code: 'INVALID_ARGUMENT' },
  { what: 'newline', path: 'a.txt\n../x', code: 'INVALID_ARGUMENT' },
  { what: 'DEL', path: '\u007f', code: 'INVALID_ARGUMENT' },
  { what: 'a lone surrogate, which the host would alias to U+FFFD', path: 'x\ud800', code: 'INVALID_ARGUMENT' },
  // Not strings: refused without calling anything on them.
  { what: 'a number', path: 42, code: 'INVALID_ARGUMENT' },
  { what: 'an object with toString', path: _sneaky, code: 'INVALID_ARGUMENT' },
  { what: 'a String object', path: Object('..') as unknown, code: 'INVALID_ARGUMENT' },
  { what: 'an array', path: ['..', 'outside'], code: 'INVALID_ARGUMENT' },
  { what: 'a Symbol', path: Symbol('..'), code: 'INVALID_ARGUMENT' },
  { what: 'null', path: null, code: 'INVALID_ARGUMENT' },
  // Unicode look-alikes are plain names: they reach nothing, or are created inside.
  { what: 'fullwidth dots', path: '\uff0e\uff0e/outside', code: 'NOT_FOUND' },
  { what: 'fullwidth dot-dot-slash as one name', path: '\uff0e\uff0e\uff0f', code: 'NOT_FOUND', except: _createsInside },
  { what: 'one-dot leaders', path: '\u2024\u2024', code: 'NOT_FOUND', except: _createsInside },
  // Invisible and reordering characters are refused by the path check.
  { what: 'dot-dot with a zero-width space', path: '..\u200b', code: 'INVALID_ARGUMENT' },
  { what: 'right-to-left override', path: '\u202e..', code: 'INVALID_ARGUMENT' },
  { what: 'decomposed é when the composed one exists', path: 'e\u0301', code: 'NOT_FOUND', except: _createsInside },
  { what: 'three dots', path: '...', code: 'NOT_FOUND', except: _createsInside },
  { what: 'double-encoded dot-dot', path: '%252e%252e', code: 'NOT_FOUND', except: _createsInside },
  { what: 'a file URL', path: 'file:///etc/passwd', code: 'NOT_FOUND' },
  { what: 'a home directory', path: '~/secret.txt', code: 'NOT_FOUND' },
  // Temp files of atomic writes do not exist for guests, even when present.
  { what: 'an existing temp file', path: '.cathedral-tmp-x', code: 'NOT_FOUND' },
  { what: 'below an existing temp directory', path: '.cathedral-tmp-dir/file', code: 'NOT_FOUND' },
  { what: 'a temp name in a directory', path: 'd/.cathedral-tmp-new', code: 'NOT_FOUND' },
];

/** The hostile fixtures inside the root; true when a character device could be made. */
const _furnish = async (w: _World): Promise<boolean> => {
  const at = (name: string) => join(w.root, name);
  await fs.symlink('/etc', at('etc-link'));
  await fs.symlink(join(w.outside, 'secret.txt'), at('sibling-link'));
  await fs.symlink('../../', at('rel-link'));
  await fs.symlink('../../outside', join(w.root, 'd', 'mid-link'));
  await fs.symlink('a.txt', at('inside-link'));
  await fs.symlink('d', at('dir-link'));
  await fs.symlink('.', at('self-link'));
  await fs.symlink('nowhere', at('dangling'));
  await fs.symlink('loop2', at('loop1'));
  await fs.symlink('loop1', at('loop2'));
  await fs.symlink('/dev/null', at('null-link'));
  await fs.symlink('/dev/zero', at('zero-link'));
  await fs.link(join(w.outside, 'hard.txt'), at('hardlink'));
  execFileSync('mkfifo', [at('fifo')]);
  const server = createServer();
  _servers.push(server);
  await new Promise<void>(resolve => server.listen(at('sock'), resolve));
  await fs.writeFile(at('.cathedral-tmp-x'), SECRET);
  await fs.mkdir(at('.cathedral-tmp-dir'));
  await fs.writeFile(at('.cathedral-tmp-dir/file'), SECRET);
  await fs.writeFile(at('\u00e9'), 'composed');
  try {
    execFileSync('mknod', [at('chardev'), 'c', '1', '3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

for (const [opener, make] of _openers) {
  test(`hostDir (${opener}) - every hostile path is refused with its exact code and nothing outside changes`, async t => {
    const w = await _world(make);
    const devices = await _furnish(w);
    if (!devices) t.log('mknod is not permitted here: the character-device row is skipped');
    const before = await _snapshot(w);
    const cases = _cases(w, devices);
    t.true(cases.length >= 30);
    for (const c of cases) {
      for (const op of _ops) {
        const expected = c.except?.[op] ?? c.code;
        const label = `${op} ${c.what}`;
        const outcome = await _attempt(() => _run(w.node, op, c.path));
        if (expected === 'ok') {
          if (outcome.ok) await _undo(t, w, op, c.path as string);
          else t.fail(`${label}: expected success inside the root, got ${String(outcome.error)}`);
        } else if (outcome.ok) {
          t.fail(`${label}: expected ${expected}, but it succeeded with ${String(outcome.value)}`);
        } else {
          _assertRefusal(t, w, outcome.error, expected, label, c.path);
        }
        t.is(await _snapshot(w), before, `${label}: something outside the root changed`);
      }
    }
    t.is(_toStringCalls.count, 0, 'toString of a guest object was called');
    t.is(await fs.readFile(join(w.outside, 'hard.txt'), 'utf8'), SECRET);
  });
}

// ---------------------------------------------------------------------------
// Ordinary behaviour.

test('hostDir - files and directories round-trip through write, read, list, stat, rename and remove', async t => {
  const { node, root } = await _world();
  await node.write('new/deep/file.txt', 'data', { parents: true });
  t.is(await node.readText('new/deep/file.txt'), 'data');
  t.is(await fs.readFile(join(root, 'new/deep/file.txt'), 'utf8'), 'data');
  await node.write('a.txt', new Uint8Array([1, 2, 3]));
  t.deepEqual(await node.read('a.txt'), new Uint8Array([1, 2, 3]));
  t.deepEqual(await node.list(), [
    { name: 'a.txt', kind: 'file' },
    { name: 'd', kind: 'dir' },
    { name: 'new', kind: 'dir' },
    { name: 'scratch.txt', kind: 'file' },
  ]);
  t.deepEqual(await node.stat('a.txt'), { kind: 'file', size: 3 });
  t.deepEqual(await node.stat(), { kind: 'dir', size: 4 });
  t.deepEqual(await node.stat('new/deep'), { kind: 'dir', size: 1 });
  await node.mkdir('m');
  await node.mkdir('m', { recursive: true });
  await node.mkdir('p/q/r', { recursive: true });
  t.deepEqual(await node.list('p/q'), [{ name: 'r', kind: 'dir' }]);
  await node.rename('new/deep/file.txt', 'm/moved.txt');
  t.is(await node.readText('m/moved.txt'), 'data');
  await node.rename('m', 'p/q/m');
  t.is(await node.readText('p/q/m/moved.txt'), 'data');
  await node.remove('p', { recursive: true });
  await node.remove('scratch.txt');
  t.deepEqual((await node.list()).map(e => e.name), ['a.txt', 'd', 'new']);
  const file = await node.resolve('d/inner.txt');
  t.is(await (file as { readText(): Promise<string> }).readText(), 'inner');
});

test('hostDir - refusals name the guest path and the rule, never the host path', async t => {
  const w = await _world();
  const { node } = w;
  await _refuses(t, w, () => node.read('missing/file.txt'), 'NOT_FOUND');
  await _refuses(t, w, () => node.write('d', 'x'), 'WRONG_KIND', 'write where a directory is');
  await _refuses(t, w, () => node.write('missing/file.txt', 'x'), 'NOT_FOUND', 'write without parents');
  await _refuses(t, w, () => node.write('a.txt/x', 'x', { parents: true }), 'WRONG_KIND', 'parents through a file');
  await _refuses(t, w, () => node.read('d'), 'WRONG_KIND', 'read a directory');
  await _refuses(t, w, () => node.read(''), 'WRONG_KIND', 'read the root');
  await _refuses(t, w, () => node.list('a.txt'), 'WRONG_KIND', 'list a file');
  await _refuses(t, w, () => node.mkdir('d'), 'EXISTS');
  await _refuses(t, w, () => node.mkdir('a.txt', { recursive: true }), 'EXISTS', 'mkdir -p over a file');
  await _refuses(t, w, () => node.mkdir('x/y'), 'NOT_FOUND', 'mkdir without recursive');
  await _refuses(t, w, () => node.remove('d'), 'NOT_EMPTY');
  await _refuses(t, w, () => node.remove(''), 'INVALID_ARGUMENT', 'remove the root');
  await _refuses(t, w, () => node.rename('d', 'd/sub'), 'INVALID_ARGUMENT', 'move a directory inside itself');
  await _refuses(t, w, () => node.rename('a.txt', 'd'), 'WRONG_KIND', 'rename a file over a directory');
  await _refuses(t, w, () => node.rename('d', 'a.txt'), 'WRONG_KIND', 'rename a directory over a file');
  await node.mkdir('full');
  await node.write('full/x', 'x');
  await node.mkdir('empty');
  await _refuses(t, w, () => node.rename('empty', 'full'), 'NOT_EMPTY', 'rename a directory over a non-empty one');
  await node.remove('full/x');
  await node.rename('empty', 'full');
  const error = await _attempt(() => node.read('missing/file.txt'));
  t.false(error.ok);
  if (!error.ok && isCathedralError(error.error)) {
    t.is(error.error.target, 'missing/file.txt');
    t.regex(error.error.message, /^read "missing\/file\.txt": no such file or directory\. Rule: /);
  }
});

test('hostDir - list omits symlinks, FIFOs, sockets, devices, temp files and unaddressable names', async t => {
  const w = await _world();
  await _furnish(w);
  await fs.writeFile(join(w.root, 'back\\slash'), 'x');
  await fs.writeFile(join(w.root, 'pct%2e'), 'x');
  await fs.writeFile(join(w.root, 'ctl\u0001'), 'x');
  t.deepEqual(await w.node.list(), [
    { name: 'a.txt', kind: 'file' },
    { name: 'd', kind: 'dir' },
    { name: 'hardlink', kind: 'file' },
    { name: 'scratch.txt', kind: 'file' },
    { name: '\u00e9', kind: 'file' },
  ]);
  t.deepEqual(await w.node.stat(''), { kind: 'dir', size: 5 });
  t.deepEqual(await w.node.list('d'), [{ name: 'inner.txt', kind: 'file' }]);
});

test('hostDir - reading a FIFO is refused at once and never blocks', async t => {
  const w = await _world();
  execFileSync('mkfifo', [join(w.root, 'pipe')]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<'hung'>(resolve => {
    timer = setTimeout(() => resolve('hung'), 2000);
  });
  const started = Date.now();
  const outcome = await Promise.race([_attempt(() => w.node.read('pipe')), hung]);
  clearTimeout(timer);
  t.not(outcome, 'hung');
  t.true(Date.now() - started < 1000);
  if (outcome !== 'hung') {
    t.false(outcome.ok);
    if (!outcome.ok) _assertRefusal(t, w, outcome.error, 'WRONG_KIND', 'read a FIFO');
  }
  await _refuses(t, w, () => w.node.write('pipe', 'x'), 'WRONG_KIND', 'write a FIFO');
});

test('hostDir - hard-linked files are refused for read and write and the outside file is untouched', async t => {
  const w = await _world();
  await fs.link(join(w.outside, 'hard.txt'), join(w.root, 'inner-link'));
  await _refuses(t, w, () => w.node.read('inner-link'), 'PATH_ESCAPE', 'read');
  await _refuses(t, w, () => w.node.write('inner-link', 'overwritten'), 'PATH_ESCAPE', 'write');
  t.is(await fs.readFile(join(w.outside, 'hard.txt'), 'utf8'), SECRET);
  const outcome = await _attempt(() => w.node.read('inner-link'));
  if (!outcome.ok && isCathedralError(outcome.error)) t.regex(outcome.error.rule, /hard-linked files are refused/);
});

test('hostDir - a recursive remove unlinks symlinks inside the tree and never follows them', async t => {
  const w = await _world();
  const before = await _snapshot(w);
  await fs.mkdir(join(w.root, 'tree/sub'), { recursive: true });
  await fs.writeFile(join(w.root, 'tree/sub/file.txt'), 'x');
  await fs.symlink(w.outside, join(w.root, 'tree/out-dir'));
  await fs.symlink(join(w.outside, 'secret.txt'), join(w.root, 'tree/sub/out-file'));
  await fs.symlink('../../outside/sub', join(w.root, 'tree/rel-out'));
  execFileSync('mkfifo', [join(w.root, 'tree/sub/fifo')]);
  await _refuses(t, w, () => w.node.remove('tree'), 'NOT_EMPTY');
  await w.node.remove('tree', { recursive: true });
  t.deepEqual((await fs.readdir(w.root)).sort(), ['a.txt', 'd', 'scratch.txt']);
  t.is(await _snapshot(w), before);
});

test('hostDir - temp files are invisible, unreachable, and never left behind by writes', async t => {
  const w = await _world();
  await fs.writeFile(join(w.root, '.cathedral-tmp-stale'), 'half-written');
  await w.node.write('a.txt', 'new');
  await w.node.write('d/x.txt', 'new');
  t.deepEqual((await w.node.list()).map(e => e.name), ['a.txt', 'd', 'scratch.txt']);
  await _refuses(t, w, () => w.node.read('.cathedral-tmp-stale'), 'NOT_FOUND');
  await _refuses(t, w, () => w.node.write('.cathedral-tmp-stale', 'x'), 'NOT_FOUND', 'write a temp name');
  t.deepEqual((await fs.readdir(join(w.root, 'd'))).sort(), ['inner.txt', 'x.txt']);
  t.deepEqual((await fs.readdir(w.root)).filter(n => n.startsWith('.cathedral-tmp-')), ['.cathedral-tmp-stale']);
});

test('hostDir - replacing a file keeps its permission bits', async t => {
  const w = await _world();
  await fs.chmod(join(w.root, 'a.txt'), 0o600);
  await w.node.write('a.txt', 'private');
  t.is((await fs.stat(join(w.root, 'a.txt'))).mode & 0o777, 0o600);
});

test('hostDir - every host errno becomes a typed error that keeps nothing of the Node error', t => {
  const hostPath = '/srv/host/secret/place';
  const table: readonly (readonly [string, ErrorCode])[] = [
    ['ENOENT', 'NOT_FOUND'],
    ['ENOTDIR', 'WRONG_KIND'],
    ['EISDIR', 'WRONG_KIND'],
    ['EEXIST', 'EXISTS'],
    ['ENOTEMPTY', 'NOT_EMPTY'],
    ['ELOOP', 'PATH_ESCAPE'],
    ['ENAMETOOLONG', 'INVALID_ARGUMENT'],
    ['EINVAL', 'INVALID_ARGUMENT'],
    ['EACCES', 'IO'],
    ['EPERM', 'IO'],
    ['EXDEV', 'IO'],
    ['ENOSPC', 'IO'],
    ['EROFS', 'IO'],
    ['EMFILE', 'IO'],
    ['EIO', 'IO'],
    [`${hostPath} is not a code`, 'IO'],
  ];
  for (const [errno, code] of table) {
    const nodeError = Object.assign(new Error(`${errno}: failed, open '${hostPath}'`), { code: errno, path: hostPath });
    const error = fromHost('read', 'guest/path.txt', nodeError);
    t.is(error.code, code, errno);
    t.is(error.target, 'guest/path.txt');
    t.false(error.message.includes(hostPath), errno);
    t.is(error.cause, undefined);
  }
});

test('hostDir - creation refuses a missing path, a file, and a non-string', t => {
  const check = (fn: () => unknown, code: ErrorCode) => {
    const error = t.throws(fn);
    t.true(isCathedralError(error, code), String(error));
  };
  const missing = join(tmpdir(), 'cathedral-hd-definitely-missing');
  check(() => hostDir(missing), 'NOT_FOUND');
  check(() => hostDir(join(process.cwd(), 'package.json')), 'WRONG_KIND');
  check(() => hostDir(42 as unknown as string), 'INVALID_ARGUMENT');
});

test('hostDir - a root made through a symlink is bound to the real directory once', async t => {
  const w = await _world();
  const link = join(w.base, 'root-link');
  await fs.symlink(w.root, link);
  const node = hostDir(link);
  await fs.unlink(link);
  await fs.symlink(w.outside, link);
  t.is(await node.readText('a.txt'), 'hello');
  await _refuses(t, w, () => node.read('secret.txt'), 'NOT_FOUND');
});

test('hostDir - a root moved away or replaced on the host is refused, not followed', async t => {
  const w = await _world();
  t.is(await w.node.readText('a.txt'), 'hello');
  await fs.rename(w.root, join(w.base, 'moved-root'));
  await fs.symlink(w.outside, w.root);
  await _refuses(t, w, () => w.node.read('secret.txt'), 'IO', 'root swapped for a symlink');
  await fs.unlink(w.root);
  await fs.mkdir(w.root);
  await fs.writeFile(join(w.root, 'a.txt'), 'impostor');
  await _refuses(t, w, () => w.node.read('a.txt'), 'IO', 'root replaced by another directory');
});

// ---------------------------------------------------------------------------
// Races.

const _race = async (t: ExecutionContext, w: _World, swap: () => Promise<void>, read: () => Promise<string>) => {
  let stop = false;
  let swaps = 0;
  const swapper = (async () => {
    while (!stop) {
      await swap();
      swaps += 1;
      // Let readers run with the real entry in place too, not only mid-swap.
      await new Promise(resolve => setTimeout(resolve, 1));
    }
  })();
  const seen = { ok: 0, refused: 0, leaked: 0 };
  const codes = new Set<string>();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 500; i += 1) {
        const outcome = await _attempt(read);
        // A native read completes without turning the event loop: let the swapper's I/O progress.
        await new Promise(resolve => setImmediate(resolve));
        if (outcome.ok) {
          if (outcome.value === SECRET) seen.leaked += 1;
          else seen.ok += 1;
        } else {
          if (isCathedralError(outcome.error)) codes.add(outcome.error.code);
          else t.fail(`not a Cathedral error: ${String(outcome.error)}`);
          _assertRefusal(t, w, outcome.error, isCathedralError(outcome.error) ? outcome.error.code : 'IO', 'racing read');
          seen.refused += 1;
        }
      }
    }),
  );
  stop = true;
  await swapper;
  t.log(`swaps: ${swaps}, reads: ${JSON.stringify(seen)}, refusals: ${[...codes].join(', ')}`);
  t.is(seen.leaked, 0);
  // Both states were met: the race was run, not avoided.
  t.true(seen.ok > 0 && seen.refused > 0);
  t.true(swaps > 10);
};

// The checked-path opener's known swap-and-swap-back window is documented in host-dir.ts; these races run against the others.
const _raceOpeners = _openers.filter(([name]) => name !== 'checked-path opener');

for (const [opener, make] of _raceOpeners) {
test(`hostDir${opener === 'default opener' ? '' : ` (${opener})`} - a directory swapped with a symlink to the outside mid-walk never yields outside content`, async t => {
  const w = await _world(make);
  const d = join(w.root, 'd');
  const real = join(w.root, 'd-real');
  await fs.writeFile(join(d, 'secret.txt'), 'inside');
  await _race(
    t,
    w,
    async () => {
      await fs.rename(d, real);
      await fs.symlink(w.outside, d);
      await new Promise(resolve => setImmediate(resolve));
      await fs.unlink(d);
      await fs.rename(real, d);
    },
    () => w.node.readText('d/secret.txt'),
  );
});

test(`hostDir${opener === 'default opener' ? '' : ` (${opener})`} - a file swapped with a symlink to an outside file never yields outside content`, async t => {
  const w = await _world(make);
  const f = join(w.root, 'f.txt');
  const real = join(w.root, 'f-real');
  await fs.writeFile(f, 'inside');
  await _race(
    t,
    w,
    async () => {
      await fs.rename(f, real);
      await fs.symlink(join(w.outside, 'secret.txt'), f);
      await new Promise(resolve => setImmediate(resolve));
      await fs.unlink(f);
      await fs.rename(real, f);
    },
    () => w.node.readText('f.txt'),
  );
});
}

test('hostDir - concurrent writes are atomic: every read sees one whole version', async t => {
  const { node, root } = await _world();
  const size = 256 * 1024;
  const versions = Array.from({ length: 8 }, (_, i) => String.fromCharCode(65 + i).repeat(size));
  await node.write('big.txt', 'initial');
  let torn = 0;
  let reads = 0;
  const isWhole = (text: string) => text === 'initial' || versions.includes(text);
  await Promise.all([
    ...versions.map(async v => {
      for (let i = 0; i < 4; i += 1) await node.write('big.txt', v);
    }),
    ...Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 40; i += 1) {
        reads += 1;
        if (!isWhole(await node.readText('big.txt'))) torn += 1;
      }
    }),
  ]);
  t.is(torn, 0, `${torn} of ${reads} reads saw a torn file`);
  t.true(versions.includes(await node.readText('big.txt')));
  t.deepEqual((await fs.readdir(root)).filter(n => n.startsWith('.cathedral-tmp-')), []);
});

// ---------------------------------------------------------------------------
// Property: whatever the path, an operation is refused with a Cathedral error
// or acts inside the root; it never returns or touches anything outside.

// Hazards and plain names, weighted so that some paths are plain enough to succeed.
const _token = fc.oneof(
  { arbitrary: fc.constantFrom('..', '.', '\\', '%2e', '%2f'), weight: 1 },
  { arbitrary: fc.constantFrom('/', 'link'), weight: 1 },
  { arbitrary: fc.constantFrom('a', 'd', 'f.txt'), weight: 4 },
);
// Mostly one token per segment, so that many paths name entries that exist.
const _segment = fc.array(_token, { minLength: 1, maxLength: 2 }).map(tokens => tokens.join(''));
const _pathArb = fc.array(_segment, { maxLength: 4 }).map(segments => segments.join('/'));
const _opArb = fc.constantFrom('read', 'stat', 'list', 'write', 'mkdir', 'remove', 'rename', 'resolve');

/** The root's fixture: 'link' (and 'd/link') lead outside, where every name holds the secret. */
const _reset = async (w: _World) => {
  // Empty the root, never replace it: a hostDir stays bound to the directory it was made for.
  for (const name of await fs.readdir(w.root)) await fs.rm(join(w.root, name), { recursive: true, force: true });
  await fs.mkdir(join(w.root, 'd'));
  await fs.writeFile(join(w.root, 'a'), 'a');
  await fs.writeFile(join(w.root, 'f.txt'), 'f');
  await fs.writeFile(join(w.root, 'd', 'f.txt'), 'df');
  await fs.symlink(w.outside, join(w.root, 'link'));
  await fs.symlink(join(w.outside, 'f.txt'), join(w.root, 'd', 'link'));
};

for (const [opener, make] of _openers) {
  test(`hostDir (${opener}) - property: every operation on any generated path is refused or stays inside`, async t => {
    const w = await _world(make);
    for (const name of ['a', 'f.txt', 'link']) await fs.writeFile(join(w.outside, name), SECRET);
    await fs.mkdir(join(w.outside, 'd'));
    await fs.writeFile(join(w.outside, 'd', 'f.txt'), SECRET);
    const before = await _snapshot(w);
    let refused = 0;
    let succeeded = 0;
    const codes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(_opArb, _pathArb, _pathArb, async (op, path, other) => {
        await _reset(w);
        const outcome = await _attempt((): Promise<unknown> => {
          switch (op) {
            case 'read': return w.node.readText(path);
            case 'stat': return w.node.stat(path);
            case 'list': return w.node.list(path);
            case 'write': return w.node.write(path, 'guest', { parents: true });
            case 'mkdir': return w.node.mkdir(path, { recursive: true });
            case 'remove': return w.node.remove(path, { recursive: true });
            case 'rename': return w.node.rename(path, other);
            case 'resolve': return w.node.resolve(path);
          }
        });
        if (outcome.ok) {
          succeeded += 1;
          const shown = JSON.stringify(outcome.value) ?? '';
          if (shown.includes('SECRET') || shown.includes('secret')) return false;
        } else {
          refused += 1;
          const e = outcome.error;
          const key = `${op} ${isCathedralError(e) ? e.code : '?'}`;
          codes[key] = (codes[key] ?? 0) + 1;
          if (!isCathedralError(e)) return false;
          if (e.message.includes(w.base) || e.cause !== undefined) return false;
        }
        return (await _snapshot(w)) === before;
      }),
      fuzz(300),
    );
    t.log(`refused ${refused}, succeeded ${succeeded}`, JSON.stringify(codes));
    t.true(refused > 0 && succeeded > 30);
  });
}

// ---------------------------------------------------------------------------
// The native opener (openat2 through @cathedral/kernel-native).

if (_native !== undefined) {
  const native = _native;
  test('hostDir (openat2 opener) - a small plain file is read in one native call; every refusal comes from the JavaScript path', async t => {
    const calls = { walks: 0, reads: 0, readsOk: 0 };
    const counting: NativeResolver = Object.freeze({
      ...native,
      openat2: (dirfd: number, path: string, flags: number, resolve: number) => {
        calls.walks += 1;
        return native.openat2(dirfd, path, flags, resolve);
      },
      readBeneath: (dirfd: number, path: string, max: number) => {
        calls.reads += 1;
        const out = native.readBeneath(dirfd, path, max);
        if (typeof out !== 'string') calls.readsOk += 1;
        return out;
      },
    });
    const w = await _world(path => makeHostDir(path, nativeOpener(counting)));
    await fs.mkdir(join(w.root, 'n'));
    await fs.writeFile(join(w.root, 'n', 'f.txt'), 'inside');
    await fs.writeFile(join(w.root, 'big.bin'), new Uint8Array(FAST_READ_MAX + 1));
    await fs.symlink(join(w.outside, 'secret.txt'), join(w.root, 'n', 'link'));
    t.is(await w.node.readText('n/f.txt'), 'inside');
    t.deepEqual(calls, { walks: 0, reads: 1, readsOk: 1 });
    t.is((await w.node.read('big.bin')).length, FAST_READ_MAX + 1);
    t.is(calls.readsOk, 1);
    await t.throwsAsync(w.node.read('n/link'), { code: 'PATH_ESCAPE', message: /"link" is a symbolic link/ } as never);
    t.deepEqual(await w.node.list('n'), [{ name: 'f.txt', kind: 'file' }]);
    t.true(calls.walks >= 1);
  });

  // Serial: the registration is process-wide, and ava runs serial tests before the others.
  test.serial('useNativeOpener - hostDirs made afterwards resolve with openat2; a bad resolver is refused; undefined restores the JavaScript walk', async t => {
    t.throws(() => useNativeOpener({ openDir: () => 1 } as unknown as NativeResolver), { code: 'INVALID_ARGUMENT' } as never);
    let used = 0;
    const before = useNativeOpener({ ...native, readBeneath: (fd: number, p: string, m: number) => (used += 1, native.readBeneath(fd, p, m)) });
    try {
      const w = await _world(hostDir);
      await fs.writeFile(join(w.root, 'a.txt'), 'a');
      t.is(await w.node.readText('a.txt'), 'a');
      t.is(used, 1);
    } finally {
      useNativeOpener(before);
    }
    const w = await _world(hostDir);
    await fs.writeFile(join(w.root, 'a.txt'), 'a');
    t.is(await w.node.readText('a.txt'), 'a');
    t.is(used, 1);
  });
}

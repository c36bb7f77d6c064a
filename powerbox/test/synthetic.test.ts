import test from 'ava';
import type { DirEntry, DirNode, FileNode, Stat } from '@cathedral/sdk';
import { NotFoundError, isCathedralError } from '@cathedral/sdk';
import { readOnly } from '../src/attenuate/read-only.js';
import { revocable } from '../src/attenuate/revocable.js';
import { subtree } from '../src/attenuate/subtree.js';
import { filter } from '../src/attenuate/filter.js';
import { quota } from '../src/attenuate/quota.js';
import { describeNode } from '../src/lineage.js';
import { type Provider, synthetic } from '../src/roots/synthetic.js';
import { codeOf as _codeOf } from './_code-of.js';

const _errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (isCathedralError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

/** A `proc:`-like provider: one directory per fake process, with `cmdline` and `status` files. */
const _proc = (): Provider => {
  const processes = new Map([
    ['1', { cmdline: '/sbin/init', state: 'S (sleeping)' }],
    ['42', { cmdline: 'node server.js', state: 'R (running)' }],
    ['77', { cmdline: 'bash', state: 'S (sleeping)' }],
  ]);
  const missing = (path: string) => new NotFoundError({ operation: 'proc', target: path, problem: 'no such process', rule: 'proc' });
  const fileOf = (path: string): string => {
    const [pid, name, ...rest] = path.split('/');
    const p = processes.get(pid ?? '');
    if (p === undefined || rest.length > 0) throw missing(path);
    if (name === 'cmdline') return p.cmdline;
    if (name === 'status') return `Pid: ${pid}\nState: ${p.state}\n`;
    throw missing(path);
  };
  return {
    list: (path: string): DirEntry[] => {
      if (path === '') return [...processes.keys()].map(name => ({ name, kind: 'dir' }));
      if (processes.has(path)) return [{ name: 'cmdline', kind: 'file' }, { name: 'status', kind: 'file' }];
      throw missing(path);
    },
    stat: async (path: string): Promise<Stat> => {
      if (path === '') return { kind: 'dir', size: processes.size };
      if (processes.has(path)) return { kind: 'dir', size: 2 };
      return { kind: 'file', size: new TextEncoder().encode(fileOf(path)).byteLength };
    },
    read: (path: string) => fileOf(path),
    remove: (path: string) => {
      // "kill": only whole processes can go
      if (!processes.delete(path)) throw missing(path);
    },
  };
};

test('synthetic - a proc-like provider is served as an ordinary root', async t => {
  const proc = synthetic(_proc());
  t.deepEqual(await proc.list(), [
    { name: '1', kind: 'dir' },
    { name: '42', kind: 'dir' },
    { name: '77', kind: 'dir' },
  ]);
  t.is(await proc.readText('42/cmdline'), 'node server.js');
  t.deepEqual(await proc.stat('42/status'), { kind: 'file', size: 'Pid: 42\nState: R (running)\n'.length });
  const p = (await proc.resolve('42')) as DirNode;
  t.regex(await p.readText('status'), /State: R/);
  const file = (await proc.resolve('1/cmdline')) as FileNode;
  t.is(await file.readText(), '/sbin/init');
  t.is(await _codeOf(proc.read('999/cmdline')), 'NOT_FOUND');
  await proc.remove('77');
  t.deepEqual((await proc.list()).map(e => e.name), ['1', '42']);
  t.is(describeNode(proc), 'synthetic');
});

test('synthetic - a method the provider lacks is refused with UnsupportedError', async t => {
  const proc = synthetic(_proc());
  for (const attempt of [proc.write('1/cmdline', 'x'), proc.mkdir('2'), proc.rename('1', '2')]) {
    t.is(await _codeOf(attempt), 'UNSUPPORTED');
  }
  const listOnly = synthetic({ list: () => [] });
  const e = await _errorOf(listOnly.read('x'));
  t.is(e.code, 'UNSUPPORTED');
  t.regex(e.message, /does not implement read/);
  t.is(await _codeOf(listOnly.resolve('x')), 'UNSUPPORTED');
});

test('synthetic - a provider whose methods are not functions is refused when the root is made', t => {
  const error = t.throws(() => synthetic({ list: 5 } as unknown as Provider));
  t.true(isCathedralError(error, 'INVALID_ARGUMENT'));
  t.true(isCathedralError(t.throws(() => synthetic(null as unknown as Provider)), 'INVALID_ARGUMENT'));
});

/** Serves `answer` for every method, to test validation. */
const _answering = (answer: () => unknown, options = {}) =>
  synthetic(
    { list: answer, stat: answer, read: answer, write: answer, mkdir: answer, remove: answer, rename: answer } as unknown as Provider,
    options,
  );

test('synthetic - malformed listings become IoError naming the fault', async t => {
  const cases: [string, unknown, RegExp][] = [
    ['not an array', { length: 1, 0: { name: 'a', kind: 'file' } }, /not an array/],
    ['a name with a slash', [{ name: 'a/b', kind: 'file' }], /not one plain name/],
    ['a name that is ..', [{ name: '..', kind: 'dir' }], /not one plain name/],
    ['an empty name', [{ name: '', kind: 'dir' }], /not one plain name/],
    ['a NUL in a name', [{ name: 'a\0b', kind: 'dir' }], /not one plain name/],
    ['a non-string name', [{ name: 7, kind: 'file' }], /not one plain name/],
    ['a duplicate', [{ name: 'a', kind: 'file' }, { name: 'a', kind: 'dir' }], /same name twice/],
    ['an unknown kind', [{ name: 'a', kind: 'symlink' }], /kind other than/],
    ['a null entry', [null], /not an object/],
  ];
  for (const [what, answer, message] of cases) {
    const e = await _errorOf(_answering(() => answer).list());
    t.is(e.code, 'IO', what);
    t.regex(e.message, message, what);
    t.regex(e.message, /^list "": the provider answered with/, what);
  }
});

test('synthetic - malformed stats and contents become IoError', async t => {
  for (const [answer, message] of [
    [{ kind: 'file', size: -1 }, /size/],
    [{ kind: 'file', size: Number.NaN }, /size/],
    [{ kind: 'file', size: 1.5 }, /size/],
    [{ kind: 'file', size: '3' }, /size/],
    [{ kind: 'pipe', size: 0 }, /kind/],
    [42, /not an object/],
  ] as const) {
    const e = await _errorOf(_answering(() => answer).stat('x'));
    t.is(e.code, 'IO');
    t.regex(e.message, message);
  }
  for (const answer of [42, null, {}, [1, 2], new Uint16Array(2), new ArrayBuffer(2)]) {
    const e = await _errorOf(_answering(() => answer).read('x'));
    t.is(e.code, 'IO');
    t.regex(e.message, /neither a string nor a Uint8Array/);
  }
});

test('synthetic - a provider that throws, or throws a non-error, becomes IoError without its message', async t => {
  const secret = 'internal detail at /srv/provider/db.sqlite';
  for (const thrown of [new Error(secret), secret, 42, undefined, { message: secret }]) {
    const e = await _errorOf(_answering(() => {
      throw thrown;
    }).read('x'));
    t.is(e.code, 'IO');
    t.false(e.message.includes(secret));
    t.regex(e.message, /the provider threw/);
    t.is(e.cause, undefined);
  }
  const rejected = await _errorOf(_answering(() => Promise.reject(new TypeError(secret))).list());
  t.is(rejected.code, 'IO');
  t.false(rejected.message.includes(secret));
});

test('synthetic - a provider error with a known code is restated as the matching Cathedral error', async t => {
  const cases: [unknown, string][] = [
    [new NotFoundError({ operation: 'x', problem: 'secret text', rule: 'r' }), 'NOT_FOUND'],
    [Object.assign(new Error('ENOENT: /srv/x'), { code: 'ENOENT' }), 'NOT_FOUND'],
    [Object.assign(new Error('x'), { code: 'EEXIST' }), 'EXISTS'],
    [Object.assign(new Error('x'), { code: 'ENOTEMPTY' }), 'NOT_EMPTY'],
    [Object.assign(new Error('x'), { code: 'EISDIR' }), 'WRONG_KIND'],
    [Object.assign(new Error('x'), { code: 'EACCES' }), 'IO'],
  ];
  for (const [thrown, code] of cases) {
    const e = await _errorOf(_answering(() => {
      throw thrown;
    }).read('a/b'));
    t.is(e.code as string, code);
    t.is(e.target, 'a/b');
    t.false(e.message.includes('secret') || e.message.includes('/srv'));
  }
  // A getter named `code` does not run.
  let ran = false;
  const sly = {
    get code() {
      ran = true;
      return 'ENOENT';
    },
  };
  t.is((await _errorOf(_answering(() => Promise.reject(sly)).read('x'))).code, 'IO');
  t.false(ran);
});

test('synthetic - a call that never settles is refused with IoError after the timeout', async t => {
  const node = _answering(() => new Promise(() => undefined), { timeoutMs: 30 });
  const started = performance.now();
  const e = await _errorOf(node.list());
  t.is(e.code, 'IO');
  t.regex(e.message, /did not answer within 30 ms/);
  t.true(performance.now() - started < 2000);
  // A thenable whose then never calls back is bounded the same way.
  t.is(await _codeOf(_answering(() => ({ then: () => undefined }), { timeoutMs: 30 }).read('x')), 'IO');
  t.true(isCathedralError(t.throws(() => _answering(() => [], { timeoutMs: -1 })), 'INVALID_ARGUMENT'));
});

test('synthetic - reads are capped at maxBytes', async t => {
  const node = _answering(() => new Uint8Array(11), { maxBytes: 10 });
  const e = await _errorOf(node.read('x'));
  t.is(e.code, 'IO');
  t.regex(e.message, /more than 10 bytes/);
  t.is(await _codeOf(_answering(() => 'x'.repeat(11), { maxBytes: 10 }).read('x')), 'IO');
  t.is(await _codeOf(_answering(() => 'é'.repeat(6), { maxBytes: 10 }).read('x')), 'IO');
  t.deepEqual([...(await _answering(() => new Uint8Array(10), { maxBytes: 10 }).read('x'))], new Array(10).fill(0));
  // A shadowed byteLength does not fool the cap.
  const liar = new Uint8Array(64);
  Object.defineProperty(liar, 'byteLength', { value: 1 });
  Object.defineProperty(liar, 'length', { value: 1 });
  t.is(await _codeOf(_answering(() => liar, { maxBytes: 10 }).read('x')), 'IO');
});

test('synthetic - bytes are copied out of the provider and into it: no buffer is shared', async t => {
  const held = new Uint8Array([1, 2, 3]);
  let written: Uint8Array | undefined;
  const node = synthetic({
    read: () => held,
    write: (_path: string, bytes: Uint8Array) => {
      written = bytes;
    },
    stat: () => ({ kind: 'file', size: 3 }),
  });
  const out = await node.read('f');
  out[0] = 9;
  t.deepEqual([...held], [1, 2, 3]);
  held[1] = 8;
  t.deepEqual([...out], [9, 2, 3]);
  const input = new Uint8Array([4, 5]);
  await node.write('f', input);
  written![0] = 0;
  t.deepEqual([...input], [4, 5]);
  t.not(written!.buffer, input.buffer);
});

test('synthetic - an answer that is a Proxy is read once and copied; its traps cannot change what was checked', async t => {
  let reads = 0;
  const entry = new Proxy(
    {},
    {
      get: (_target, key) => {
        if (key === 'name') reads += 1;
        // First read looks fine; any later read would try to smuggle a path.
        return key === 'name' ? (reads === 1 ? 'ok' : '../etc') : key === 'kind' ? 'file' : undefined;
      },
    },
  );
  const entries = await _answering(() => new Proxy([entry], {})).list();
  t.deepEqual(entries, [{ name: 'ok', kind: 'file' }]);
  t.is(reads, 1);
  t.is(Object.getPrototypeOf(entries[0]), Object.prototype);
  // Traps that throw, and a revoked Proxy, are the provider's fault.
  const throwing = new Proxy({}, {
    get: () => {
      throw new Error('trap');
    },
  });
  const e = await _errorOf(_answering(() => [throwing]).list());
  t.is(e.code, 'IO');
  t.regex(e.message, /answered with a value that throws when read/);
  // Awaiting the answer reads its `then`: a trap that throws there is a throw of the provider.
  t.regex((await _errorOf(_answering(() => throwing).list())).message, /the provider threw/);
  const { proxy, revoke } = Proxy.revocable({ kind: 'file', size: 1 }, {});
  revoke();
  t.is(await _codeOf(_answering(() => proxy).stat('x')), 'IO');
  // A Proxy over bytes is not a Uint8Array.
  t.is(await _codeOf(_answering(() => new Proxy(new Uint8Array(2), {})).read('x')), 'IO');
});

test('synthetic - paths reach the provider as plain checked strings', async t => {
  const seen: unknown[] = [];
  const node = synthetic({
    stat: (...args: unknown[]) => {
      seen.push(...args);
      return { kind: 'dir', size: 0 };
    },
  } as Provider);
  await node.stat('a/./b//c');
  t.deepEqual(seen, ['a/b/c']);
  t.is(await _codeOf(node.stat('../x')), 'PATH_ESCAPE');
  t.deepEqual(seen, ['a/b/c']);
});

test('synthetic - composes with readOnly, revocable, subtree, filter and quota in any order', async t => {
  const ro = readOnly(synthetic(_proc()));
  t.is(await ro.readText('1/cmdline'), '/sbin/init');
  t.is(await _codeOf(ro.remove('1')), 'CEILING');

  const r = revocable(synthetic(_proc()));
  t.is(await r.node.readText('1/cmdline'), '/sbin/init');
  r.revoke();
  t.is(await _codeOf(r.node.list()), 'REVOKED');

  const p42 = await subtree(synthetic(_proc()), '42');
  t.deepEqual((await p42.list()).map(e => e.name), ['cmdline', 'status']);
  t.is(await _codeOf(p42.read('../1/cmdline')), 'PATH_ESCAPE');

  const cmdlines = filter(synthetic(_proc()), ['*/cmdline']);
  t.deepEqual((await cmdlines.list('42')).map(e => e.name), ['cmdline']);
  t.is(await _codeOf(cmdlines.read('42/status')), 'NOT_FOUND');
  t.deepEqual(await cmdlines.stat('42'), { kind: 'dir', size: 1 });
  const roFiltered = readOnly(await subtree(filter(synthetic(_proc()), ['*/cmdline']), '1'));
  t.is(await roFiltered.readText('cmdline'), '/sbin/init');
  t.is(await _codeOf(roFiltered.read('status')), 'NOT_FOUND');

  const q = quota(synthetic(_proc()), { entries: 10 });
  await q.node.remove('77');
  // Net usage: the process directory and its two files, 'bash' and its status, are gone.
  t.deepEqual(q.usage(), { bytes: -('bash'.length + 'Pid: 77\nState: S (sleeping)\n'.length), entries: -3 });
  t.is(await _codeOf(q.node.mkdir('2')), 'UNSUPPORTED');
  t.deepEqual(q.usage().entries, -3);
});

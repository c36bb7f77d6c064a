import test from 'ava';
import { memory } from '../src/index.js';
import { codeOf } from './_code-of.js';

test('memory - a tree literal becomes directories and files', async t => {
  const root = memory({ etc: { 'app.json': '{"a":1}' }, 'bin.dat': new Uint8Array([1, 2, 3]) });
  t.deepEqual(await root.list(), [
    { name: 'bin.dat', kind: 'file' },
    { name: 'etc', kind: 'dir' },
  ]);
  t.is(await root.readText('etc/app.json'), '{"a":1}');
  t.deepEqual([...(await root.read('bin.dat'))], [1, 2, 3]);
  t.deepEqual(await root.stat('etc'), { kind: 'dir', size: 1 });
  t.deepEqual(await root.stat('bin.dat'), { kind: 'file', size: 3 });
});

test('memory - resolve returns a file or directory node scoped to its path', async t => {
  const root = memory({ a: { b: { 'c.txt': 'deep' } } });
  const b = await root.resolve('a/b');
  t.deepEqual(await (b as { list(): Promise<unknown> }).list(), [{ name: 'c.txt', kind: 'file' }]);
  const c = await root.resolve('a/b/c.txt');
  t.is(await (c as { readText(): Promise<string> }).readText(), 'deep');
  await (c as { write(d: string): Promise<void> }).write('changed');
  t.is(await root.readText('a/b/c.txt'), 'changed');
});

test('memory - bytes handed in or out are copies, never shared', async t => {
  const input = new Uint8Array([1, 2, 3]);
  const root = memory();
  await root.write('f', input);
  input[0] = 9;
  const out = await root.read('f');
  out[1] = 9;
  t.deepEqual([...(await root.read('f'))], [1, 2, 3]);
});

test('memory - write, mkdir, remove and rename follow their rules', async t => {
  const root = memory({ d: { 'x.txt': 'x' } });
  t.is(await codeOf(root.write('missing/f.txt', 'a')), 'NOT_FOUND');
  await root.write('missing/f.txt', 'a', { parents: true });
  t.is(await root.readText('missing/f.txt'), 'a');
  t.is(await codeOf(root.write('d', 'a')), 'WRONG_KIND');
  t.is(await codeOf(root.mkdir('d')), 'EXISTS');
  await root.mkdir('d', { recursive: true });
  t.is(await codeOf(root.remove('d')), 'NOT_EMPTY');
  await root.rename('d/x.txt', 'y.txt');
  t.is(await root.readText('y.txt'), 'x');
  t.is(await codeOf(root.rename('d', 'd/inner')), 'INVALID_ARGUMENT');
  await root.remove('d');
  t.is(await codeOf(root.stat('d')), 'NOT_FOUND');
  await root.remove('missing', { recursive: true });
  t.deepEqual((await root.list()).map(e => e.name), ['y.txt']);
});

test('memory - bad data and bad options are typed refusals, and getters are not run twice', async t => {
  const root = memory();
  t.is(await codeOf(root.write('f', 42 as never)), 'INVALID_ARGUMENT');
  t.is(await codeOf(root.write('f', new Proxy(new Uint8Array(2), {}) as never)), 'INVALID_ARGUMENT');
  let reads = 0;
  const options = {
    get parents() {
      reads += 1;
      return true;
    },
  };
  t.is(await codeOf(root.write('a/b', 'x', options)), 'INVALID_ARGUMENT');
  t.is(reads, 0);
});

test('memory - hostile paths are refused before the store is touched', async t => {
  const root = memory({ 'ok.txt': 'ok' });
  const cases: Array<[unknown, string]> = [
    ['../ok.txt', 'PATH_ESCAPE'],
    ['/ok.txt', 'PATH_ESCAPE'],
    ['a/../../ok.txt', 'PATH_ESCAPE'],
    ['ok.txt\0', 'PATH_ESCAPE'],
    ['a\\b', 'PATH_ESCAPE'],
    ['%2e%2e/ok.txt', 'PATH_ESCAPE'],
    ['x%2Fy', 'PATH_ESCAPE'],
    ['\u0007bell', 'INVALID_ARGUMENT'],
    [`${'a'.repeat(256)}`, 'INVALID_ARGUMENT'],
    [42, 'INVALID_ARGUMENT'],
    [{ toString: () => 'ok.txt' }, 'INVALID_ARGUMENT'],
  ];
  for (const [path, code] of cases) {
    t.is(await codeOf(root.read(path as string)), code, String(path));
  }
});

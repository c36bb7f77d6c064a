import test from 'ava';
import fc from 'fast-check';
import { type Data, type DirNode, type FileNode, type MkdirOptions, type Node, type RemoveOptions, type TreeLiteral, type WriteOptions, isCathedralError, mutatingOperations } from '@cathedral/sdk';
import { Far } from '@endo/far';
import { getInterfaceOf } from '@endo/pass-style';
import { memory } from '../src/roots/memory.js';
import { describeNode } from '../src/lineage.js';
import { attenuate } from '../src/attenuate/forward.js';
import { readOnly } from '../src/attenuate/read-only.js';
import { overlay } from '../src/attenuate/overlay.js';
import { fuzz } from './_fuzz.js';
import { codeOf } from './_code-of.js';

const errorOf = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await p;
  } catch (error) {
    if (isCathedralError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
};

const isDir = (node: Node): node is DirNode => getInterfaceOf(node) === 'Alleged: Dir';

/** Every path below `dir` with `dir/` or its bytes, in a stable order. */
const snapshot = async (dir: DirNode, at = ''): Promise<string[]> => {
  const out: string[] = [];
  for (const { name, kind } of await dir.list(at)) {
    const path = at === '' ? name : `${at}/${name}`;
    if (kind === 'dir') {
      out.push(`${path}/`);
      out.push(...(await snapshot(dir, path)));
    } else {
      out.push(`${path} = ${[...(await dir.read(path))].join(',')}`);
    }
  }
  return out;
};

const names = async (dir: DirNode, path = '') => (await dir.list(path)).map(e => `${e.name}${e.kind === 'dir' ? '/' : ''}`);

const LOWER: TreeLiteral = {
  'readme.txt': 'lower readme',
  etc: { 'app.json': '{"a":1}', 'hosts': 'localhost' },
  lib: { core: { 'x.js': 'x', 'y.js': 'y' } },
};

const setup = (tree: TreeLiteral = LOWER) => {
  const lower = memory(tree);
  const upper = memory();
  return { lower, upper, ...overlay(upper, lower) };
};

test('overlay - reads, stats, lists and resolves fall through to lower', async t => {
  const { node } = setup();
  t.is(await node.readText('etc/app.json'), '{"a":1}');
  t.deepEqual([...(await node.read('lib/core/x.js'))], [120]);
  t.deepEqual(await node.stat('etc'), { kind: 'dir', size: 2 });
  t.deepEqual(await node.stat('readme.txt'), { kind: 'file', size: 12 });
  t.deepEqual(await names(node), ['etc/', 'lib/', 'readme.txt']);
  const core = (await node.resolve('lib/core')) as DirNode;
  t.deepEqual(await names(core), ['x.js', 'y.js']);
  const hosts = (await node.resolve('etc/hosts')) as FileNode;
  t.is(await hosts.readText(), 'localhost');
  t.is(await codeOf(node.read('missing')), 'NOT_FOUND');
  t.is(await codeOf(node.read('etc')), 'WRONG_KIND');
  t.is(await codeOf(node.list('readme.txt')), 'WRONG_KIND');
});

test('overlay - writes land in upper only, with parent directories copied up', async t => {
  const { node, upper, lower } = setup();
  const before = await snapshot(lower);
  await node.write('etc/app.json', '{"a":2}');
  await node.write('readme.txt', 'new readme');
  await node.mkdir('lib/core/sub');
  await node.write('var/log/x.log', 'log', { parents: true });
  t.is(await node.readText('etc/app.json'), '{"a":2}');
  t.is(await node.readText('var/log/x.log'), 'log');
  t.deepEqual(await names(node, 'etc'), ['app.json', 'hosts']);
  t.deepEqual(await names(node, 'lib/core'), ['sub/', 'x.js', 'y.js']);
  t.deepEqual(await snapshot(upper), [
    'etc/',
    'etc/app.json = 123,34,97,34,58,50,125',
    'lib/',
    'lib/core/',
    'lib/core/sub/',
    'readme.txt = 110,101,119,32,114,101,97,100,109,101',
    'var/',
    'var/log/',
    'var/log/x.log = 108,111,103',
  ]);
  t.deepEqual(await snapshot(lower), before);
});

test('overlay - a file node reached through resolve writes to upper too', async t => {
  const { node, lower } = setup();
  const file = (await node.resolve('etc/hosts')) as FileNode;
  await file.write('example.com');
  t.is(await node.readText('etc/hosts'), 'example.com');
  t.is(await lower.readText('etc/hosts'), 'localhost');
});

test('overlay - a whiteout hides a lower entry from read, stat, resolve and list, like a missing one', async t => {
  const { node, lower } = setup();
  await node.remove('etc/hosts');
  t.is(await codeOf(node.read('etc/hosts')), 'NOT_FOUND');
  t.is(await codeOf(node.readText('etc/hosts')), 'NOT_FOUND');
  t.is(await codeOf(node.stat('etc/hosts')), 'NOT_FOUND');
  t.is(await codeOf(node.resolve('etc/hosts')), 'NOT_FOUND');
  t.is(await codeOf(node.remove('etc/hosts')), 'NOT_FOUND');
  t.is(await codeOf(node.rename('etc/hosts', 'h')), 'NOT_FOUND');
  t.deepEqual(await names(node, 'etc'), ['app.json']);
  t.deepEqual(await node.stat('etc'), { kind: 'dir', size: 1 });
  const { message } = await errorOf(node.read('etc/hosts'));
  t.is(message, (await errorOf(node.read('etc/never'))).message.replace('etc/never', 'etc/hosts'));
  t.is(await lower.readText('etc/hosts'), 'localhost');
});

test('overlay - a file written at a whited-out path clears the whiteout', async t => {
  const { node, control } = setup();
  await node.remove('etc/hosts');
  await node.write('etc/hosts', 'again');
  t.is(await node.readText('etc/hosts'), 'again');
  t.deepEqual(await control.diff(), [{ path: 'etc/hosts', change: 'write' }]);
});

test('overlay - removing a directory hides everything below it, and a new one in its place is empty', async t => {
  const { node, lower, control } = setup();
  t.is(await codeOf(node.remove('lib')), 'NOT_EMPTY');
  await node.remove('lib', { recursive: true });
  t.is(await codeOf(node.stat('lib')), 'NOT_FOUND');
  t.is(await codeOf(node.read('lib/core/x.js')), 'NOT_FOUND');
  t.is(await codeOf(node.list('lib/core')), 'NOT_FOUND');
  t.deepEqual(await names(node), ['etc/', 'readme.txt']);
  await node.write('lib/core/z.js', 'z', { parents: true });
  t.deepEqual(await names(node, 'lib'), ['core/']);
  t.deepEqual(await names(node, 'lib/core'), ['z.js']);
  t.is(await codeOf(node.read('lib/core/x.js')), 'NOT_FOUND');
  t.deepEqual(await control.diff(), [
    { path: 'lib/core/x.js', change: 'remove' },
    { path: 'lib/core/y.js', change: 'remove' },
    { path: 'lib/core/z.js', change: 'write' },
  ]);
  t.deepEqual(await names(lower, 'lib/core'), ['x.js', 'y.js']);
});

test('overlay - renaming a lower file copies it up and whites out the source', async t => {
  const { node, lower, upper } = setup();
  await node.rename('etc/hosts', 'hosts.bak');
  t.is(await node.readText('hosts.bak'), 'localhost');
  t.is(await codeOf(node.stat('etc/hosts')), 'NOT_FOUND');
  t.is(await upper.readText('hosts.bak'), 'localhost');
  t.is(await lower.readText('etc/hosts'), 'localhost');
  await node.rename('hosts.bak', 'etc/hosts');
  t.is(await node.readText('etc/hosts'), 'localhost');
  t.is(await codeOf(node.stat('hosts.bak')), 'NOT_FOUND');
});

test('overlay - renaming a lower directory copies up its whole subtree, upper changes included', async t => {
  const { node, lower } = setup();
  const before = await snapshot(lower);
  await node.write('lib/core/x.js', 'changed');
  await node.remove('lib/core/y.js');
  await node.rename('lib', 'vendor');
  t.deepEqual(await names(node), ['etc/', 'readme.txt', 'vendor/']);
  t.deepEqual(await names(node, 'vendor/core'), ['x.js']);
  t.is(await node.readText('vendor/core/x.js'), 'changed');
  t.is(await codeOf(node.list('lib')), 'NOT_FOUND');
  t.is(await codeOf(node.rename('vendor', 'vendor/core/inner')), 'INVALID_ARGUMENT');
  t.deepEqual(await snapshot(lower), before);
});

test('overlay - renaming over a lower file or empty directory replaces it, with the memory store’s refusals', async t => {
  const { node } = setup({ a: 'a', b: 'b', d: {}, full: { f: 'f' } });
  await node.rename('a', 'b');
  t.is(await node.readText('b'), 'a');
  t.is(await codeOf(node.rename('b', 'full')), 'WRONG_KIND');
  t.is(await codeOf(node.rename('d', 'full')), 'NOT_EMPTY');
  t.is(await codeOf(node.rename('', 'x')), 'INVALID_ARGUMENT');
  await node.rename('full', 'd');
  t.deepEqual(await names(node), ['b', 'd/']);
  t.is(await node.readText('d/f'), 'f');
  await node.rename('b', 'b');
  t.is(await node.readText('b'), 'a');
});

test('overlay - operations run in call order, so calls made during a directory rename see it whole', async t => {
  const { node } = setup();
  const [, top, core] = await Promise.all([node.rename('lib', 'vendor'), names(node), names(node, 'vendor/core')]);
  t.deepEqual(top, ['etc/', 'readme.txt', 'vendor/']);
  t.deepEqual(core, ['x.js', 'y.js']);
});

test('overlay - diff lists changes over lower in tree order, a replacement as remove then create', async t => {
  const { node, control } = setup();
  t.deepEqual(await control.diff(), []);
  await node.remove('readme.txt');
  await node.mkdir('readme.txt');
  await node.write('etc/hosts', 'changed');
  await node.write('new/deep/f', 'f', { parents: true });
  await node.remove('lib/core/y.js');
  t.deepEqual(await control.diff(), [
    { path: 'etc/hosts', change: 'write' },
    { path: 'lib/core/y.js', change: 'remove' },
    { path: 'new', change: 'mkdir' },
    { path: 'new/deep', change: 'mkdir' },
    { path: 'new/deep/f', change: 'write' },
    { path: 'readme.txt', change: 'remove' },
    { path: 'readme.txt', change: 'mkdir' },
  ]);
});

test('overlay - commit applies the diff to lower, then the overlay is empty and shows lower', async t => {
  const { node, control, lower, upper } = setup();
  await node.remove('readme.txt');
  await node.write('readme.txt/inner', 'now a directory', { parents: true });
  await node.rename('lib/core', 'core');
  await node.write('etc/hosts', 'changed');
  const view = await snapshot(node);
  const applied = await control.commit();
  t.true(applied.length > 0);
  t.true(Object.isFrozen(applied));
  t.deepEqual(await snapshot(lower), view);
  t.deepEqual(await snapshot(node), view);
  t.deepEqual(await snapshot(upper), []);
  t.deepEqual(await control.diff(), []);
  t.deepEqual(await control.commit(), []);
});

test('overlay - discard forgets upper and the whiteouts, so the node shows lower again', async t => {
  const { node, control, lower, upper } = setup();
  await node.remove('etc', { recursive: true });
  await node.write('x', 'x');
  await control.discard();
  t.deepEqual(await snapshot(node), await snapshot(lower));
  t.deepEqual(await snapshot(upper), []);
  t.deepEqual(await control.diff(), []);
});

test('overlay - over a readOnly lower writes still land in upper, and commit is refused with CEILING leaving all intact', async t => {
  const lower = memory(LOWER);
  const upper = memory();
  const { node, control } = overlay(upper, readOnly(lower));
  await node.write('etc/hosts', 'changed');
  await node.remove('lib', { recursive: true });
  t.is(await node.readText('etc/hosts'), 'changed');
  const lowerBefore = await snapshot(lower);
  const viewBefore = await snapshot(node);
  const diffBefore = await control.diff();
  const { code, message } = await errorOf(control.commit());
  t.is(code, 'CEILING');
  t.regex(message, /^commit: lower refuses changes: it is not writable: held through readOnly ← memory/);
  t.regex(message, /nothing was applied to lower/);
  t.deepEqual(await snapshot(lower), lowerBefore);
  t.deepEqual(await snapshot(node), viewBefore);
  t.deepEqual(await control.diff(), diffBefore);
});

test('overlay - a commit that fails midway names what was applied, removes nothing, and can be retried', async t => {
  const lower = memory(LOWER);
  let allowed = 2;
  const flaky = attenuate(lower, {
    label: 'flaky',
    check: operation => {
      if (!mutatingOperations.has(operation)) return;
      if (allowed <= 0) throw new Error('disk full');
      allowed -= 1;
    },
  });
  const { node, control } = overlay(memory(), flaky);
  await node.remove('readme.txt');
  await node.write('a', 'a');
  await node.write('b', 'b');
  const view = await snapshot(node);
  const { code, message } = await errorOf(control.commit());
  t.is(code, 'IO');
  t.regex(message, /^commit "b": write in lower failed \(Error: disk full\)/);
  t.regex(message, /1 of 3 changes were applied to lower before it \(write "a"\)/);
  t.is(await lower.readText('a'), 'a');
  t.is(await lower.readText('readme.txt'), 'lower readme');
  t.deepEqual(await snapshot(node), view);
  allowed = 10;
  await control.commit();
  t.deepEqual(await snapshot(lower), view);
});

test('overlay - under readOnly every change is refused with CEILING naming the route', async t => {
  const { node, upper, lower } = setup();
  const guarded = readOnly(node);
  const { code, message } = await errorOf(guarded.write('etc/hosts', 'x'));
  t.is(code, 'CEILING');
  t.regex(message, /readOnly ← overlay ← memory/);
  t.is(await codeOf(guarded.remove('readme.txt')), 'CEILING');
  t.is(await codeOf(guarded.mkdir('d')), 'CEILING');
  t.is(await codeOf(guarded.rename('readme.txt', 'r')), 'CEILING');
  t.is(await guarded.readText('etc/hosts'), 'localhost');
  t.deepEqual(await snapshot(upper), []);
  t.is(await lower.readText('etc/hosts'), 'localhost');
});

test('overlay - describeNode shows the overlay over lower’s route, for resolved nodes too', async t => {
  const { node } = overlay(memory(), readOnly(memory(LOWER)));
  t.is(describeNode(node), 'overlay ← readOnly ← memory');
  t.is(describeNode(await node.resolve('etc')), 'overlay ← readOnly ← memory');
  t.is(describeNode(await node.resolve('etc/hosts')), 'overlay ← readOnly ← memory');
});

test('overlay - the node exposes only the Dir methods; the control facet is a separate frozen record', async t => {
  const { node, control } = setup();
  t.deepEqual(Object.keys(node).sort(), ['list', 'mkdir', 'read', 'readText', 'remove', 'rename', 'resolve', 'stat', 'write']);
  t.true(Object.isFrozen(control));
  t.deepEqual(Object.keys(control).sort(), ['commit', 'diff', 'discard']);
});

test('overlay - hostile paths are refused before either node is touched, and upper cannot be lower', async t => {
  const { node } = setup();
  t.is(await codeOf(node.read('../etc/hosts')), 'PATH_ESCAPE');
  t.is(await codeOf(node.write('/abs', 'x')), 'PATH_ESCAPE');
  t.is(await codeOf(node.rename('etc/hosts', 'a/../../b')), 'PATH_ESCAPE');
  t.is(await codeOf(node.write('f', 42 as never)), 'INVALID_ARGUMENT');
  const same = memory();
  t.throws(() => overlay(same, same), { message: /same node/ });
});

// ---- property: the overlay behaves like a plain memory tree, and lower never changes ----

type Op =
  | { readonly op: 'write'; readonly path: string; readonly data: string; readonly parents: boolean }
  | { readonly op: 'mkdir'; readonly path: string; readonly recursive: boolean }
  | { readonly op: 'remove'; readonly path: string; readonly recursive: boolean }
  | { readonly op: 'rename'; readonly path: string; readonly to: string }
  | { readonly op: 'read' | 'list' | 'stat' | 'resolve'; readonly path: string };

// Few names and shallow paths, so operations often meet each other and lower's entries.
const segment = fc.constantFrom('a', 'b', 'c');
const smallPath = fc.oneof(
  { arbitrary: fc.constant(''), weight: 1 },
  { arbitrary: fc.array(segment, { minLength: 1, maxLength: 1 }), weight: 4 },
  { arbitrary: fc.array(segment, { minLength: 2, maxLength: 2 }), weight: 4 },
  { arbitrary: fc.array(segment, { minLength: 3, maxLength: 3 }), weight: 2 },
).map(s => (typeof s === 'string' ? s : s.join('/')));
const content = fc.constantFrom('', '1', '22', 'three');

const treeArb: fc.Arbitrary<TreeLiteral> = fc.letrec<{ dir: TreeLiteral; entry: TreeLiteral | string }>(tie => ({
  dir: fc.dictionary(segment, tie('entry'), { minKeys: 1, maxKeys: 3 }),
  entry: fc.oneof({ maxDepth: 3 }, content, tie('dir')),
})).dir;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('write' as const), path: smallPath, data: content, parents: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('mkdir' as const), path: smallPath, recursive: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('remove' as const), path: smallPath, recursive: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('rename' as const), path: smallPath, to: smallPath }), weight: 4 },
  {
    arbitrary: fc.record({ op: fc.constantFrom('read' as const, 'list' as const, 'stat' as const, 'resolve' as const), path: smallPath }),
    weight: 3,
  },
);

const outcome = async (run: () => Promise<unknown>): Promise<string> => {
  try {
    return `ok ${JSON.stringify(await run())}`;
  } catch (error) {
    return isCathedralError(error) ? `error ${error.code}` : `foreign ${String(error)}`;
  }
};

const perform = (dir: DirNode, op: Op): Promise<string> => {
  switch (op.op) {
    case 'write':
      return outcome(() => dir.write(op.path, op.data, { parents: op.parents }));
    case 'mkdir':
      return outcome(() => dir.mkdir(op.path, { recursive: op.recursive }));
    case 'remove':
      return outcome(() => dir.remove(op.path, { recursive: op.recursive }));
    case 'rename':
      return outcome(() => dir.rename(op.path, op.to));
    case 'read':
      return outcome(() => dir.readText(op.path));
    case 'list':
      return outcome(() => dir.list(op.path));
    case 'stat':
      return outcome(() => dir.stat(op.path));
    case 'resolve':
      return outcome(async () => {
        const found = await dir.resolve(op.path);
        return isDir(found) ? found.list() : found.readText();
      });
    default:
      return op satisfies never;
  }
};

/**
 * `dir` behind a record the powerbox did not make: the overlay must then
 * reach it through its public methods (no checked-path face, ../src/direct.ts).
 */
const foreign = (dir: DirNode): DirNode =>
  Far('Dir', {
    resolve: (p: string) => dir.resolve(p),
    list: (p?: string) => dir.list(p),
    stat: (p?: string) => dir.stat(p),
    read: (p: string) => dir.read(p),
    readText: (p: string) => dir.readText(p),
    write: (p: string, d: Data, o?: WriteOptions) => dir.write(p, d, o),
    mkdir: (p: string, o?: MkdirOptions) => dir.mkdir(p, o),
    remove: (p: string, o?: RemoveOptions) => dir.remove(p, o),
    rename: (a: string, b: string) => dir.rename(a, b),
  });

for (const [kind, wrap] of [['powerbox nodes', (d: DirNode) => d], ['foreign nodes', foreign]] as const)
test(`overlay - random operations give the same results as a plain memory tree, lower stays byte-identical, and commit makes lower equal (property, ${kind})`, async t => {
  const outcomes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(treeArb, fc.array(opArb, { minLength: 10, maxLength: 50 }), async (tree, ops) => {
      const model = memory(tree);
      const lower = memory(tree);
      const { node, control } = overlay(wrap(memory()), wrap(lower));
      const lowerBefore = await snapshot(lower);
      for (const [i, op] of ops.entries()) {
        const expected = await perform(model, op);
        const actual = await perform(node, op);
        const key = `${op.op} ${actual.split(' ').slice(0, 2).join(' ').replace(/^ok .*/, 'ok')}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (actual !== expected) throw new Error(`op ${i} ${JSON.stringify(op)}: overlay ${actual}, memory ${expected}`);
      }
      const view = await snapshot(node);
      const modelView = await snapshot(model);
      if (JSON.stringify(view) !== JSON.stringify(modelView)) throw new Error(`trees differ: ${JSON.stringify({ view, modelView })}`);
      if (JSON.stringify(await snapshot(lower)) !== JSON.stringify(lowerBefore)) throw new Error('lower changed');
      await control.commit();
      if (JSON.stringify(await snapshot(lower)) !== JSON.stringify(modelView)) throw new Error('commit did not make lower equal the view');
      if ((await control.diff()).length !== 0) throw new Error('diff not empty after commit');
    }),
    fuzz(300),
  );
  t.log([...outcomes].sort().map(([k, n]) => `${k}: ${n}`).join(', '));
  t.pass();
});

import test from 'ava';
import type { DirNode, FileNode } from '@cathedral/sdk';
import { describeNode, memory, readOnly, revocable, subtree } from '../src/index.js';
import { codeOf } from './_code-of.js';

test('readOnly - every mutation is refused with CeilingError naming the operation and route; reads pass', async t => {
  const inner = memory({ docs: { 'a.txt': 'A' } });
  const ro = readOnly(inner);
  t.is(await ro.readText('docs/a.txt'), 'A');
  for (const attempt of [ro.write('docs/a.txt', 'B'), ro.mkdir('x'), ro.remove('docs/a.txt'), ro.rename('docs/a.txt', 'b.txt')]) {
    t.is(await codeOf(attempt), 'CEILING');
  }
  const error = await t.throwsAsync(ro.write('docs/a.txt', 'B'));
  t.regex(error!.message, /^write "docs\/a\.txt"/);
  t.regex(error!.message, /readOnly ← memory/);
  t.is(await inner.readText('docs/a.txt'), 'A');
});

test('readOnly - holds at every depth: children and files reached through it refuse writes too', async t => {
  const ro = readOnly(memory({ docs: { 'a.txt': 'A' } }));
  const docs = (await ro.resolve('docs')) as DirNode;
  t.is(await codeOf(docs.write('a.txt', 'B')), 'CEILING');
  const file = (await docs.resolve('a.txt')) as FileNode;
  t.is(await file.readText(), 'A');
  t.is(await codeOf(file.write('B')), 'CEILING');
});

test('readOnly - over a single file node', async t => {
  const file = (await memory({ 'f.txt': 'F' }).resolve('f.txt')) as FileNode;
  const ro = readOnly(file);
  t.is(await ro.readText(), 'F');
  t.is(await codeOf(ro.write('G')), 'CEILING');
  t.is(await file.readText(), 'F');
});

test('subtree - a root at a descendant: nothing above it is reachable', async t => {
  const root = memory({ secret: 's', home: { alice: { 'notes.txt': 'n' } } });
  const alice = await subtree(root, 'home/alice');
  t.deepEqual(await alice.list(), [{ name: 'notes.txt', kind: 'file' }]);
  t.is(await alice.readText('notes.txt'), 'n');
  t.is(await codeOf(alice.read('../../secret')), 'PATH_ESCAPE');
  t.is(await codeOf(alice.read('/secret')), 'PATH_ESCAPE');
  t.is(await codeOf(alice.read('secret')), 'NOT_FOUND');
  await alice.write('new.txt', 'w');
  t.is(await root.readText('home/alice/new.txt'), 'w');
  t.is(await codeOf(subtree(root, 'secret')), 'WRONG_KIND');
  t.is(describeNode(alice), 'subtree("home/alice") ← memory');
});

test('revocable - after revoke every call on the node and on nodes reached through it fails at once', async t => {
  const { node, revoke } = revocable(memory({ d: { 'f.txt': 'x' } }));
  const d = (await node.resolve('d')) as DirNode;
  const f = (await d.resolve('f.txt')) as FileNode;
  t.is(await f.readText(), 'x');
  revoke('test over');
  for (const attempt of [node.list(), d.readText('f.txt'), f.readText(), f.write('y'), node.resolve('d')]) {
    t.is(await codeOf(attempt), 'REVOKED');
  }
  const error = await t.throwsAsync(f.readText());
  t.regex(error!.message, /test over/);
});

test('revocable - an answer arriving after revocation is withheld', async t => {
  let release: () => void = () => {};
  const gate = new Promise<void>(r => {
    release = r;
  });
  const slow = memory({ 'f.txt': 'late' });
  const delayed: DirNode = { ...slow, readText: async (p: string) => { await gate; return slow.readText(p); } } as DirNode;
  const { node, revoke } = revocable(delayed);
  const pending = node.readText('f.txt');
  revoke();
  release();
  t.is(await codeOf(pending), 'REVOKED');
});

test('attenuations compose in any order and never add authority', async t => {
  const base = memory({ a: { 'f.txt': 'f' } });
  const { node, revoke } = revocable(readOnly(await subtree(base, 'a')));
  t.is(await node.readText('f.txt'), 'f');
  t.is(await codeOf(node.write('f.txt', 'g')), 'CEILING');
  const other = await subtree(readOnly(revocable(base).node), 'a');
  t.is(await codeOf(other.write('f.txt', 'g')), 'CEILING');
  revoke();
  t.is(await codeOf(node.readText('f.txt')), 'REVOKED');
  t.is(describeNode(node), 'revocable ← readOnly ← subtree("a") ← memory');
});

test('subtree - errors from below name the path inside the subtree, never its prefix', async t => {
  const alice = await subtree(memory({ home: { alice: {} } }), 'home/alice');
  const error = await t.throwsAsync(alice.read('missing.txt'));
  t.is((error as { target?: string }).target, 'missing.txt');
  t.false(error!.message.includes('home/'));
});

test('revocable - a call failing after revocation reports the revocation', async t => {
  let release: () => void = () => {};
  const gate = new Promise<void>(r => {
    release = r;
  });
  const slow = memory();
  const delayed: DirNode = { ...slow, readText: async (p: string) => { await gate; return slow.readText(p); } } as DirNode;
  const { node, revoke } = revocable(delayed);
  const pending = node.readText('missing.txt');
  revoke();
  release();
  t.is(await codeOf(pending), 'REVOKED');
});

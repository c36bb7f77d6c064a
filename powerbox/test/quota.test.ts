import test from 'ava';
import type { DirNode, FileNode } from '@cathedral/sdk';
import { isCathedralError } from '@cathedral/sdk';
import { memory } from '../src/roots/memory.js';
import { readOnly } from '../src/attenuate/read-only.js';
import { revocable } from '../src/attenuate/revocable.js';
import { subtree } from '../src/attenuate/subtree.js';
import { describeNode } from '../src/lineage.js';
import { filter } from '../src/attenuate/filter.js';
import { quota, quotaAccount } from '../src/attenuate/quota.js';
import { codeOf as _codeOf } from './_code-of.js';

const _bytes = (n: number) => new Uint8Array(n).fill(120);

test('quota - writes within the budget pass and are counted in usage()', async t => {
  const inner = memory();
  const q = quota(inner, { bytes: 100, entries: 10 });
  t.deepEqual(q.usage(), { bytes: 0, entries: 0 });
  await q.node.write('a.txt', _bytes(40));
  t.deepEqual(q.usage(), { bytes: 40, entries: 1 });
  await q.node.write('b.txt', 'hello');
  t.deepEqual(q.usage(), { bytes: 45, entries: 2 });
  t.is(await inner.readText('b.txt'), 'hello');
});

test('quota - a write over the byte budget is refused before anything is written', async t => {
  const inner = memory({ 'a.txt': 'old content' });
  const q = quota(inner, { bytes: 10 });
  const error = await t.throwsAsync(q.node.write('a.txt', _bytes(30)));
  t.true(isCathedralError(error, 'BUDGET_EXCEEDED'));
  t.regex(error!.message, /^write "a\.txt"/);
  // 30 bytes over an 11-byte file asks for 19 more; 10 remain.
  t.regex(error!.message, /bytes budget of 10 bytes/);
  t.regex(error!.message, /asks for 19 bytes more/);
  t.regex(error!.message, /10 bytes remain/);
  t.is(await inner.readText('a.txt'), 'old content');
  t.is(await _codeOf(q.node.write('new.txt', _bytes(11))), 'BUDGET_EXCEEDED');
  t.is(await _codeOf(inner.stat('new.txt')), 'NOT_FOUND');
  t.deepEqual(q.usage(), { bytes: 0, entries: 0 });
});

test('quota - overwriting counts only the growth and shrinking gives bytes back', async t => {
  const q = quota(memory(), { bytes: 100 });
  await q.node.write('f', _bytes(60));
  await q.node.write('f', _bytes(100 - 0)); // grows by 40: exactly the budget
  t.deepEqual(q.usage(), { bytes: 100, entries: 1 });
  t.is(await _codeOf(q.node.write('g', 'x')), 'BUDGET_EXCEEDED');
  await q.node.write('f', _bytes(10));
  t.deepEqual(q.usage(), { bytes: 10, entries: 1 });
  await q.node.write('g', _bytes(90));
  t.deepEqual(q.usage(), { bytes: 100, entries: 2 });
});

test('quota - removing a file or a directory frees what it held', async t => {
  const q = quota(memory(), { bytes: 100, entries: 5 });
  await q.node.write('d/e/f.txt', _bytes(30), { parents: true });
  t.deepEqual(q.usage(), { bytes: 30, entries: 3 });
  await q.node.write('d/g.txt', _bytes(20));
  t.deepEqual(q.usage(), { bytes: 50, entries: 4 });
  await q.node.remove('d/g.txt');
  t.deepEqual(q.usage(), { bytes: 30, entries: 3 });
  await q.node.remove('d', { recursive: true });
  t.deepEqual(q.usage(), { bytes: 0, entries: 0 });
});

test('quota - the entries budget counts files, directories and the parents a write creates', async t => {
  const q = quota(memory(), { entries: 3 });
  await q.node.mkdir('a');
  await q.node.write('a/f', 'x');
  t.deepEqual(q.usage(), { bytes: 1, entries: 2 });
  const error = await t.throwsAsync(q.node.write('b/c/f', 'x', { parents: true }));
  t.true(isCathedralError(error, 'BUDGET_EXCEEDED'));
  t.regex(error!.message, /entries budget of 3 entries is exceeded: this write asks for 3 entries more and 1 entry remains/);
  t.is(await _codeOf(q.node.stat('b')), 'NOT_FOUND');
  await q.node.mkdir('b');
  t.is(await _codeOf(q.node.mkdir('c/d', { recursive: true })), 'BUDGET_EXCEEDED');
  await q.node.mkdir('b', { recursive: true }); // exists already: costs nothing
  t.deepEqual(q.usage(), { bytes: 1, entries: 3 });
});

test('quota - two racing writes cannot both spend the same remaining bytes', async t => {
  const inner = memory();
  const q = quota(inner, { bytes: 100 });
  const results = await Promise.allSettled([q.node.write('a', _bytes(60)), q.node.write('b', _bytes(60)), q.node.write('c', _bytes(30))]);
  const codes = results.map(r => (r.status === 'fulfilled' ? 'ok' : isCathedralError(r.reason) ? r.reason.code : 'foreign'));
  t.deepEqual(codes, ['ok', 'BUDGET_EXCEEDED', 'ok']);
  t.deepEqual(q.usage(), { bytes: 90, entries: 2 });
  t.deepEqual((await inner.list()).map(e => e.name), ['a', 'c']);
});

test('quota - racing overwrites of one file are measured one at a time and never credit the same bytes twice', async t => {
  const inner = memory({ f: _bytes(100) });
  const q = quota(inner, { bytes: 0 });
  // Each shrinks or keeps the file; measured concurrently, both would credit the old 100 bytes.
  await Promise.all([q.node.write('f', _bytes(0)), q.node.write('f', _bytes(100))]);
  t.is((await inner.stat('f')).size, 100);
  t.deepEqual(q.usage(), { bytes: 0, entries: 0 });
  t.is(await _codeOf(q.node.write('g', 'x')), 'BUDGET_EXCEEDED');
});

test('quota - a mutation the inner node refuses releases its reservation', async t => {
  const q = quota(readOnly(memory()), { bytes: 10, entries: 1 });
  t.is(await _codeOf(q.node.write('a', _bytes(10))), 'CEILING');
  t.deepEqual(q.usage(), { bytes: 0, entries: 0 });
  // Counted as if it made its parent too: `mutate` is not told whether { parents } was passed.
  const r = quota(memory(), { bytes: 10, entries: 2 });
  t.is(await _codeOf(r.node.write('missing/a', _bytes(5))), 'NOT_FOUND');
  t.deepEqual(r.usage(), { bytes: 0, entries: 0 });
  await r.node.write('a', _bytes(10));
  t.deepEqual(r.usage(), { bytes: 10, entries: 1 });
});

test('quota - holds at every depth: children and files reached through it draw on the same budget', async t => {
  const q = quota(memory({ d: { 'f.txt': '' } }), { bytes: 10 });
  const d = (await q.node.resolve('d')) as DirNode;
  await d.write('g.txt', _bytes(6));
  const f = (await d.resolve('f.txt')) as FileNode;
  t.is(await _codeOf(f.write(_bytes(5))), 'BUDGET_EXCEEDED');
  await f.write(_bytes(4));
  t.deepEqual(q.usage(), { bytes: 10, entries: 1 });
});

test('quota - over a single file node', async t => {
  const file = (await memory({ 'f.txt': 'abc' }).resolve('f.txt')) as FileNode;
  const q = quota(file, { bytes: 2 });
  await q.node.write('abcde');
  t.is(await _codeOf(q.node.write('abcdef')), 'BUDGET_EXCEEDED');
  t.is(await file.readText(), 'abcde');
  t.deepEqual(q.usage(), { bytes: 2, entries: 0 });
});

test('quota - bad limits are refused', t => {
  for (const limits of [{ bytes: -1 }, { bytes: Number.NaN }, { entries: '5' }]) {
    const error = t.throws(() => quota(memory(), limits as never));
    t.true(isCathedralError(error, 'INVALID_ARGUMENT'));
  }
});

test('quota - the route names the quota', t => {
  t.is(describeNode(quota(memory(), { bytes: 100 }).node), 'quota(100 bytes) ← memory');
  t.is(describeNode(quota(readOnly(memory()), { bytes: 1, entries: 2 }).node), 'quota(1 byte, 2 entries) ← readOnly ← memory');
});

test('quota - composes with readOnly, revocable, subtree and filter in any order', async t => {
  const tree = () => memory({ docs: { 'a.md': 'A' }, 'top.txt': 'T' });
  // readOnly on either side: every write refused, nothing counted.
  const qr = quota(readOnly(tree()), { bytes: 100 });
  t.is(await _codeOf(qr.node.write('docs/b.md', 'x')), 'CEILING');
  t.is(await _codeOf(readOnly(quota(tree(), { bytes: 100 }).node).write('docs/b.md', 'x')), 'CEILING');
  t.deepEqual(qr.usage(), { bytes: 0, entries: 0 });

  // revocable on either side.
  const rv = revocable(tree());
  const qv = quota(rv.node, { bytes: 5 });
  await qv.node.write('docs/b.md', 'xx');
  rv.revoke();
  t.is(await _codeOf(qv.node.write('docs/c.md', 'x')), 'REVOKED');
  t.deepEqual(qv.usage(), { bytes: 2, entries: 1 });
  const q2 = quota(tree(), { bytes: 5 });
  const vq = revocable(q2.node);
  await vq.node.write('docs/b.md', 'xxxxx');
  t.is(await _codeOf(vq.node.write('docs/c.md', 'x')), 'BUDGET_EXCEEDED');
  vq.revoke();
  t.is(await _codeOf(vq.node.write('docs/c.md', 'x')), 'REVOKED');

  // subtree on either side: paths are relative, the budget is shared.
  const inner = tree();
  const q3 = quota(inner, { bytes: 4 });
  const docs = await subtree(q3.node, 'docs');
  await docs.write('b.md', 'xxx');
  t.is(await _codeOf(q3.node.write('c', 'xx')), 'BUDGET_EXCEEDED');
  t.is(await inner.readText('docs/b.md'), 'xxx');
  const q4 = quota(await subtree(inner, 'docs'), { bytes: 1 });
  await q4.node.write('a.md', 'Z'); // same size: free
  t.is(await _codeOf(q4.node.write('a.md', 'ZZZ')), 'BUDGET_EXCEEDED');
  t.is(await inner.readText('docs/a.md'), 'Z');

  // filter on either side: a refused name costs nothing.
  const q5 = quota(filter(tree(), ['docs/**']), { bytes: 10 });
  t.is(await _codeOf(q5.node.write('top.txt', 'x')), 'CEILING');
  t.is(await _codeOf(q5.node.write('secret.txt', 'x')), 'CEILING');
  await q5.node.write('docs/b.md', 'xyz');
  t.deepEqual(q5.usage(), { bytes: 3, entries: 1 });
  const q6 = quota(tree(), { bytes: 3 });
  const fq = filter(q6.node, ['docs/**']);
  t.is(await _codeOf(fq.write('top.txt', 'x')), 'CEILING');
  t.is(await _codeOf(fq.write('docs/b.md', 'xxxx')), 'BUDGET_EXCEEDED');
  t.deepEqual(q6.usage(), { bytes: 0, entries: 0 });

  // quota inside quota: both budgets apply.
  const outer = quota(quota(tree(), { bytes: 2 }).node, { bytes: 100 });
  t.is(await _codeOf(outer.node.write('x', 'xyz')), 'BUDGET_EXCEEDED');
  t.deepEqual(outer.usage(), { bytes: 0, entries: 0 });
});

test('quota - one account over two roots: their growth adds up and the sum is bounded', async t => {
  const left = memory();
  const right = memory({ 'old.txt': 'x'.repeat(20) });
  const account = quotaAccount({ bytes: 50 });
  const a = quota(left, account);
  const b = quota(right, account);
  await a.node.write('one.txt', _bytes(30));
  t.deepEqual(account.usage(), { bytes: 30, entries: 1 });
  // 30 of 50 spent through the other root: 25 more is refused, nothing written.
  t.is(await _codeOf(b.node.write('two.txt', _bytes(25))), 'BUDGET_EXCEEDED');
  t.is(await _codeOf(right.stat('two.txt')), 'NOT_FOUND');
  await b.node.write('two.txt', _bytes(20));
  t.deepEqual(b.usage(), { bytes: 50, entries: 2 });
  // Removing through one root frees budget for the other.
  await b.node.remove('old.txt');
  await a.node.write('three.txt', _bytes(20));
  t.deepEqual(account.usage(), { bytes: 50, entries: 2 });
  t.deepEqual(account.limits, { bytes: 50, entries: Infinity });
});

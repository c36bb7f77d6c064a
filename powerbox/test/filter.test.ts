import test from 'ava';
import fc from 'fast-check';
import type { DirEntry, DirNode, FileNode, Node } from '@cathedral/sdk';
import { CathedralError, isCathedralError } from '@cathedral/sdk';
import { memory } from '../src/roots/memory.js';
import { readOnly } from '../src/attenuate/read-only.js';
import { revocable } from '../src/attenuate/revocable.js';
import { subtree } from '../src/attenuate/subtree.js';
import { describeNode, innerOf } from '../src/lineage.js';
import { filter } from '../src/attenuate/filter.js';
import { fuzz } from './_fuzz.js';
import { codeOf as _codeOf } from './_code-of.js';

const _errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (error instanceof CathedralError) return { code: error.code, message: error.message, ...error.details() };
    throw error;
  }
  throw new Error('expected a refusal');
};

/** The error with its target replaced, to compare refusals for two different names. */
const _shape = async (p: Promise<unknown>, target: string) => {
  const e = await _errorOf(p);
  return { ...e, target: e.target === target ? '<target>' : e.target, message: e.message.replace(JSON.stringify(target), '"<target>"') };
};

const _tree = () =>
  memory({
    docs: { 'a.md': 'A', 'b.txt': 'B', guide: { 'c.md': 'C' } },
    DOCS: { 'x.md': 'upper' },
    secret: { 'key.txt': 'K' },
    'top.txt': 'T',
    lib: 'a file named lib',
  });

const _names = (entries: readonly DirEntry[]) => entries.map(e => e.name);

test('filter - lists, reads and resolves only what the globs match', async t => {
  const node = filter(_tree(), ['docs/**']);
  t.deepEqual(await node.list(), [{ name: 'docs', kind: 'dir' }]);
  t.deepEqual(_names(await node.list('docs')), ['a.md', 'b.txt', 'guide']);
  t.is(await node.readText('docs/guide/c.md'), 'C');
  const guide = (await node.resolve('docs/guide')) as DirNode;
  t.is(await guide.readText('c.md'), 'C');
  for (const hidden of ['top.txt', 'secret', 'secret/key.txt', 'lib']) {
    t.is(await _codeOf(node.read(hidden)), 'NOT_FOUND', hidden);
    t.is(await _codeOf(node.stat(hidden)), 'NOT_FOUND', hidden);
    t.is(await _codeOf(node.resolve(hidden)), 'NOT_FOUND', hidden);
  }
  t.is(await _codeOf(node.list('secret')), 'NOT_FOUND');
});

test('filter - a hidden name is refused with exactly the error the memory store gives for a missing one', async t => {
  const inner = _tree();
  const node = filter(inner, ['docs/*.md']);
  const missing = memory();
  const cases: [string, (n: DirNode, p: string) => Promise<unknown>][] = [
    ['read', (n, p) => n.read(p)],
    ['readText', (n, p) => n.readText(p)],
    ['stat', (n, p) => n.stat(p)],
    ['resolve', (n, p) => n.resolve(p)],
    ['list', (n, p) => n.list(p)],
  ];
  for (const [name, op] of cases) {
    for (const hidden of ['top.txt', 'secret/key.txt', 'docs/b.txt']) {
      t.deepEqual(await _errorOf(op(node, hidden)), await _errorOf(op(missing, hidden)), `${name} ${hidden}`);
      t.deepEqual(await _shape(op(node, hidden), hidden), await _shape(op(node, 'docs/nothing.md'), 'docs/nothing.md'), `${name} ${hidden}`);
    }
  }
  const e = await _errorOf(node.read('top.txt'));
  t.is(e.code, 'NOT_FOUND');
  t.is(e.problem, 'no such file or directory');
  t.is(e.rule, 'only existing entries can be reached');
});

test('filter - a directory is shown when a glob could match below it, and its size counts only shown entries', async t => {
  const node = filter(_tree(), ['docs/*.md']);
  t.deepEqual(await node.list(), [{ name: 'docs', kind: 'dir' }]);
  t.deepEqual(await node.list('docs'), [{ name: 'a.md', kind: 'file' }]);
  t.deepEqual(await node.stat('docs'), { kind: 'dir', size: 1 });
  t.deepEqual(await node.stat(), { kind: 'dir', size: 1 });
  t.is(await _codeOf(node.list('docs/guide')), 'NOT_FOUND');
  t.is(await _codeOf(node.read('docs')), 'WRONG_KIND');
});

test('filter - a file at a name shown only as a directory is absent', async t => {
  // 'lib' is a file; 'lib/*.js' shows a *directory* lib, never a file lib.
  const node = filter(_tree(), ['lib/*.js']);
  t.deepEqual(await node.list(), []);
  for (const op of [node.stat('lib'), node.read('lib'), node.readText('lib'), node.list('lib'), node.resolve('lib'), node.remove('lib')]) {
    t.is(await _codeOf(op), 'NOT_FOUND');
  }
  t.deepEqual(await _shape(node.list('lib'), 'lib'), await _shape(memory().list('lib'), 'lib'));
});

test('filter - trailing ** shows everything inside a directory but not a file of that name', async t => {
  const node = filter(memory({ docs: 'a file', other: { docs: { 'in.md': 'x' } } }), ['docs/**', '**/in.md']);
  t.is(await _codeOf(node.read('docs')), 'NOT_FOUND');
  t.is(await node.readText('other/docs/in.md'), 'x');
});

test('filter - names differing only in case are different names', async t => {
  const node = filter(_tree(), ['docs/**']);
  t.is(await _codeOf(node.read('DOCS/x.md')), 'NOT_FOUND');
  t.is(await _codeOf(node.list('DOCS')), 'NOT_FOUND');
  t.false(_names(await node.list()).includes('DOCS'));
  t.is(await _codeOf(node.write('DOCS/new.md', 'n')), 'CEILING');
  t.is(await _codeOf(filter(_tree(), ['DOCS/**']).read('docs/a.md')), 'NOT_FOUND');
});

test('filter - NFC and NFD spellings of a name never reach each other', async t => {
  const nfc = 'caf\u00e9';
  const nfd = 'cafe\u0301';
  t.not(nfc, nfd);
  t.is(nfc, nfd.normalize('NFC'));
  const inner = memory({ [nfc]: { 'open.txt': 'nfc' }, [nfd]: { 'secret.txt': 'nfd' } });
  const byNfc = filter(inner, [`${nfc}/**`]);
  t.is(await byNfc.readText(`${nfc}/open.txt`), 'nfc');
  t.is(await _codeOf(byNfc.read(`${nfd}/secret.txt`)), 'NOT_FOUND');
  t.is(await _codeOf(byNfc.read(`${nfd}/open.txt`)), 'NOT_FOUND');
  t.deepEqual(_names(await byNfc.list()), [nfc]);
  const byNfd = filter(inner, [`${nfd}/**`]);
  t.is(await byNfd.readText(`${nfd}/secret.txt`), 'nfd');
  t.is(await _codeOf(byNfd.read(`${nfc}/open.txt`)), 'NOT_FOUND');
  t.deepEqual(_names(await byNfd.list()), [nfd]);
  // `?` is one code point: it matches the NFC name, not the two-code-point NFD ending.
  t.deepEqual(_names(await filter(inner, ['caf?/**']).list()), [nfc]);
});

test('filter - .. and other escapes are refused before the filter is asked', async t => {
  const node = filter(_tree(), ['docs/**']);
  t.is(await _codeOf(node.read('docs/../secret/key.txt')), 'PATH_ESCAPE');
  t.is(await _codeOf(node.read('docs/%2e%2e/top.txt')), 'PATH_ESCAPE');
  const docs = await subtree(node, 'docs');
  t.is(await _codeOf(docs.read('../top.txt')), 'PATH_ESCAPE');
  t.throws(() => filter(_tree(), ['../**']), { message: /\.\./ });
  t.throws(() => filter(_tree(), ['/etc/**']), { message: /absolute/ });
});

test('filter - creating a name outside the filter is refused with CeilingError, whether or not it exists', async t => {
  const inner = _tree();
  const node = filter(inner, ['docs/**']);
  await node.write('docs/new.md', 'n');
  await node.mkdir('docs/sub');
  t.is(await inner.readText('docs/new.md'), 'n');
  const existing = await _shape(node.write('top.txt', 'x'), 'top.txt');
  const fresh = await _shape(node.write('fresh.txt', 'x'), 'fresh.txt');
  t.deepEqual(existing, fresh);
  t.is(existing.code, 'CEILING');
  t.regex(existing.problem, /outside the filter/);
  t.regex(existing.message, /filter\("docs\/\*\*"\)/);
  t.is(await _codeOf(node.mkdir('other')), 'CEILING');
  t.is(await _codeOf(node.write('secret/key.txt', 'overwritten')), 'CEILING');
  t.is(await inner.readText('secret/key.txt'), 'K');
  t.is(await inner.readText('top.txt'), 'T');
});

test('filter - rename needs both ends inside the filter', async t => {
  const inner = _tree();
  const node = filter(inner, ['docs/**']);
  await node.rename('docs/a.md', 'docs/guide/a.md');
  t.is(await inner.readText('docs/guide/a.md'), 'A');
  t.is(await _codeOf(node.rename('docs/guide/a.md', 'out.md')), 'CEILING');
  t.is(await _codeOf(node.rename('top.txt', 'docs/stolen.txt')), 'NOT_FOUND');
  t.deepEqual(await _shape(node.rename('top.txt', 'docs/x'), 'top.txt'), await _shape(node.rename('docs/none.md', 'docs/x'), 'docs/none.md'));
  t.is(await inner.readText('top.txt'), 'T');
});

test('filter - a directory is moved or removed only when the filter shows everything below it', async t => {
  const inner = memory({ docs: { 'a.md': 'A', 'hidden.txt': 'H' }, pub: { d: { 'x.md': 'x' } } });
  const partial = filter(inner, ['docs/*.md', 'pub/**', 'out/**']);
  // Moving docs would carry hidden.txt to out/, where the filter shows it.
  t.is(await _codeOf(partial.rename('docs', 'out/docs')), 'CEILING');
  t.is(await _codeOf(partial.remove('docs', { recursive: true })), 'CEILING');
  t.is(await inner.readText('docs/hidden.txt'), 'H');
  await partial.mkdir('out');
  await partial.rename('pub/d', 'out/d');
  t.is(await inner.readText('out/d/x.md'), 'x');
  await partial.remove('out/d', { recursive: true });
  t.is(await _codeOf(inner.stat('out/d')), 'NOT_FOUND');
  await partial.remove('docs/a.md');
  t.is(await _codeOf(inner.stat('docs/a.md')), 'NOT_FOUND');
});

test('filter - a predicate is called with two plain strings and decides per kind', async t => {
  const calls: unknown[][] = [];
  const node = filter(_tree(), (...args: unknown[]) => {
    calls.push(args);
    const [path, kind] = args as [string, string];
    return kind === 'dir' ? path === 'docs' || path === 'docs/guide' : path.endsWith('.md');
  });
  t.deepEqual(await node.list(), [{ name: 'docs', kind: 'dir' }]);
  t.deepEqual(_names(await node.list('docs')), ['a.md', 'guide']);
  t.is(await node.readText('docs/guide/c.md'), 'C');
  t.is(await _codeOf(node.read('docs/b.txt')), 'NOT_FOUND');
  t.is(await _codeOf(node.read('DOCS/x.md')), 'NOT_FOUND');
  // A guest object in place of a path is refused before the predicate runs.
  const sneaky = { toString: () => 'docs/a.md' };
  t.is(await _codeOf(node.read(sneaky as unknown as string)), 'INVALID_ARGUMENT');
  t.true(calls.length > 0);
  for (const args of calls) {
    t.is(args.length, 2);
    t.is(typeof args[0], 'string');
    t.true(args[1] === 'dir' || args[1] === 'file');
  }
});

test('filter - a predicate that throws or answers a non-boolean hides the entry', async t => {
  const node = filter(_tree(), (path: string) => {
    if (path === 'top.txt') throw new Error('boom');
    return (path === 'docs' ? 'yes' : false) as boolean;
  });
  t.deepEqual(await node.list(), []);
  t.is(await _codeOf(node.read('top.txt')), 'NOT_FOUND');
  t.is(await _codeOf(node.list('docs')), 'NOT_FOUND');
});

test('filter - the route names the filter and its globs', async t => {
  const inner = memory({ docs: { 'a.md': 'A' } });
  t.is(describeNode(filter(inner, ['docs/**'])), 'filter("docs/**") ← memory');
  t.is(describeNode(filter(inner, ['docs/**', '*.json'])), 'filter("docs/**", "*.json") ← memory');
  t.is(describeNode(filter(readOnly(inner), () => true)), 'filter(predicate) ← readOnly ← memory');
  // A node resolved through the filter leads back to the inner node, as provenance walks expect.
  const top = filter(inner, ['docs/**']);
  t.is(innerOf(top), inner);
  const docs = await top.resolve('docs');
  let current: object | undefined = docs;
  const chain: object[] = [];
  for (let i = 0; i < 4 && current !== undefined; i += 1) {
    chain.push(current);
    current = innerOf(current);
  }
  t.true(chain.includes(inner));
  t.regex(describeNode(docs), /^filter\("docs\/\*\*"\) ← .*memory$/);
});

test('filter - over a single file node passes the file through', async t => {
  const file = (await memory({ 'f.txt': 'F' }).resolve('f.txt')) as FileNode;
  const filtered = filter(file, ['nothing']);
  t.is(await filtered.readText(), 'F');
  await filtered.write('G');
  t.is(await file.readText(), 'G');
});

test('filter - globs are copied: changing the array later changes nothing', async t => {
  const globs = ['docs/**'];
  const node = filter(_tree(), globs);
  globs.push('**');
  t.is(await _codeOf(node.read('top.txt')), 'NOT_FOUND');
});

test('filter - composes with readOnly, revocable and subtree in any order', async t => {
  const globs = ['docs/**'];
  const orders: [string, () => Promise<{ node: DirNode; revoke?: () => void }>][] = [
    ['readOnly(filter)', async () => ({ node: readOnly(filter(_tree(), globs)) })],
    ['filter(readOnly)', async () => ({ node: filter(readOnly(_tree()), globs) })],
    ['revocable(filter)', async () => revocable(filter(_tree(), globs))],
    ['filter(revocable)', async () => {
      const r = revocable(_tree());
      return { node: filter(r.node, globs), revoke: r.revoke };
    }],
    ['subtree(filter)', async () => ({ node: await subtree(filter(_tree(), globs), '') })],
    ['filter(subtree)', async () => ({ node: filter(await subtree(_tree(), ''), globs) })],
    ['filter(filter)', async () => ({ node: filter(filter(_tree(), ['**/*.md', 'top.txt']), globs) })],
  ];
  for (const [name, make] of orders) {
    const { node, revoke } = await make();
    t.is(await node.readText('docs/a.md'), 'A', name);
    t.deepEqual(_names(await node.list()), ['docs'], name);
    t.is(await _codeOf(node.read('top.txt')), 'NOT_FOUND', name);
    t.is(await _codeOf(node.read('secret/key.txt')), 'NOT_FOUND', name);
    t.is(await _codeOf(node.list('secret')), 'NOT_FOUND', name);
    const write = await _codeOf(node.write('top.txt', 'x'));
    t.is(write, 'CEILING', name);
    if (name.startsWith('readOnly') || name === 'filter(readOnly)') t.is(await _codeOf(node.write('docs/a.md', 'x')), 'CEILING', name);
    if (revoke !== undefined) {
      revoke();
      t.is(await _codeOf(node.read('docs/a.md')), 'REVOKED', name);
    }
  }
  const both = filter(filter(_tree(), ['**/*.md', 'top.txt']), globs);
  t.deepEqual(_names(await both.list('docs')), ['a.md', 'guide']);
  t.is(await _codeOf(both.read('docs/b.txt')), 'NOT_FOUND');
});

test('filter - below a subtree, hidden and missing names still fail the same way', async t => {
  const inner = memory({ home: { alice: { 'notes.md': 'n', 'diary.txt': 'd' } } });
  const node = filter(await subtree(inner, 'home/alice'), ['*.md']);
  t.deepEqual(_names(await node.list()), ['notes.md']);
  t.deepEqual(await _shape(node.read('diary.txt'), 'diary.txt'), await _shape(node.read('missing.md'), 'missing.md'));
  // The inner error named "home/alice/missing.md"; the filter restates it relative to itself.
  const e = await _errorOf(node.read('missing.md'));
  t.is(e.target, 'missing.md');
  const alice = await subtree(filter(inner, ['home/alice/*.md']), 'home/alice');
  t.deepEqual(_names(await alice.list()), ['notes.md']);
  t.is(await _codeOf(alice.read('diary.txt')), 'NOT_FOUND');
});

// ---------------------------------------------------------------------------
// Property: for random glob sets and random trees, a file the globs do not
// match is never readable and never listed, through filter alone or composed
// with subtree on either side.

const _names$ = ['a', 'b', 'docs', 'x.md', 'y.txt', 'A', 'caf\u00e9', 'cafe\u0301'];
const _globSegment = fc.constantFrom('*', '**', '?', 'a', 'b', 'docs', '*.md', 'x.*', '?.md', 'caf\u00e9', 'caf?', 'A');
const _glob = fc.array(_globSegment, { minLength: 1, maxLength: 3 }).map(s => s.join('/'));
const _file = fc.array(fc.constantFrom(..._names$), { minLength: 1, maxLength: 3 });

/** An independent reference: a recursive matcher over segments, with segments as RegExps. */
const _segRe = (pattern: string) =>
  new RegExp(`^${Array.from(pattern).map(c => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 'u');
const _refMatch = (glob: readonly string[], path: readonly string[]): boolean => {
  const [head, ...rest] = glob;
  if (head === undefined) return path.length === 0;
  if (head === '**') {
    if (rest.length === 0) return path.length >= 1;
    return _refMatch(rest, path) || (path.length > 0 && _refMatch(glob, path.slice(1)));
  }
  return path.length > 0 && _segRe(head).test(path[0]!) && _refMatch(rest, path.slice(1));
};
const _shownByRef = (globs: readonly string[], path: readonly string[]) => globs.some(g => _refMatch(g.split('/'), path));

/** Builds a tree from file paths; a path that would pass through a file is dropped. */
const _build = (files: readonly (readonly string[])[]) => {
  const tree: Record<string, unknown> = {};
  const kept: string[][] = [];
  for (const file of files) {
    let dir = tree;
    let ok = true;
    for (const name of file.slice(0, -1)) {
      const next = dir[name] ?? (dir[name] = {});
      if (typeof next === 'string') {
        ok = false;
        break;
      }
      dir = next as Record<string, unknown>;
    }
    const last = file[file.length - 1]!;
    if (!ok || typeof dir[last] === 'object') continue;
    dir[last] = file.join('/');
    kept.push([...file]);
  }
  return { tree, kept };
};

/** Every file reachable by listing from `node`, as paths. */
const _walk = async (node: DirNode, at: string[] = []): Promise<string[][]> => {
  const out: string[][] = [];
  for (const entry of await node.list(at.join('/'))) {
    const path = [...at, entry.name];
    if (entry.kind === 'dir') out.push(...(await _walk(node, path)));
    else out.push(path);
  }
  return out;
};

test('filter - property: an unmatched path is never readable nor listed, alone or composed with subtree', async t => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(_glob, { minLength: 1, maxLength: 3 }),
      fc.array(_file, { minLength: 1, maxLength: 8 }),
      fc.constantFrom(..._names$),
      async (globs, files, top) => {
        const { tree, kept } = _build(files);
        const views: { node: Node; prefix: string[]; shown: (p: string[]) => boolean }[] = [];
        const inner = memory(tree as never);
        views.push({ node: filter(inner, globs), prefix: [], shown: p => _shownByRef(globs, p) });
        const isDir = typeof tree[top] === 'object';
        if (isDir) {
          // filter over a subtree: the globs apply below `top`.
          views.push({ node: filter(await subtree(inner, top), globs), prefix: [top], shown: p => _shownByRef(globs, p.slice(1)) });
          // subtree over a filter: the globs apply from the root; `top` must itself be shown.
          const filtered = filter(inner, globs);
          if ((await _codeOf(filtered.list(top))) === 'ok') {
            views.push({ node: await subtree(filtered, top), prefix: [top], shown: p => _shownByRef(globs, p) });
          }
          views.push({ node: readOnly(filter(readOnly(await subtree(inner, top)), globs)), prefix: [top], shown: p => _shownByRef(globs, p.slice(1)) });
        }
        for (const { node, prefix, shown } of views) {
          const dir = node as DirNode;
          for (const listed of await _walk(dir)) {
            if (!shown([...prefix, ...listed])) return false;
          }
          for (const file of kept) {
            if (!prefix.every((name, i) => file[i] === name)) continue;
            const rel = file.slice(prefix.length).join('/');
            const content = await dir.readText(rel).catch((error: unknown) => (isCathedralError(error, 'NOT_FOUND') ? null : `error ${String(error)}`));
            if (shown(file) ? content !== file.join('/') : content !== null) return false;
          }
        }
        return true;
      },
    ),
    fuzz(500),
  );
  t.pass();
});

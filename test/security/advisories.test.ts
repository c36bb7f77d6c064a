/**
 * Every advisory has its repro, and every repro its advisory: a scenario's
 * `advisory` names a page in test/security/advisories/, each page is named
 * by a scenario or a test file (here or in a package's tests), and the
 * index lists every page.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { escapes } from './_escapes.js';

const here = fileURLToPath(new URL('../../security/', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const pages = readdirSync(`${here}advisories`).filter(f => f.endsWith('.md') && f !== 'README.md').map(f => f.slice(0, -3));
// Repros live here, or in a package's own tests (a bug of one package, repaired there).
const testDirs = [here, ...['sdk', 'powerbox', 'runtime', ...readdirSync(`${repo}packages`).map(p => `packages/${p}`)].map(p => `${repo}${p}/test/`)];
const sources = testDirs
  .flatMap(dir => {
    try {
      return readdirSync(dir).filter(f => f.endsWith('.ts')).map(f => readFileSync(`${dir}${f}`, 'utf8'));
    } catch {
      return [];
    }
  })
  .join('\n');

test('advisories - each scenario\'s advisory is a page, each page has a repro and a line in the index', t => {
  const named = new Set(escapes.flatMap(s => (s.advisory === undefined ? [] : [s.advisory])));
  for (const advisory of named) t.true(pages.includes(advisory), `scenario advisory ${advisory} has a page`);
  const index = readFileSync(`${here}advisories/README.md`, 'utf8');
  for (const page of pages) {
    t.true(named.has(page) || sources.includes(page), `${page} is reproduced by a scenario or a test`);
    t.true(index.includes(`(${page}.md)`), `${page} is in the index`);
  }
  t.true(pages.length >= 8);
});

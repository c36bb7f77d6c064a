import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { hostDir, memory, readOnly } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import { checkLock, diffLock, recordLock, verifyLock } from '../src/lock.js';

const sha = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;

test('recordLock - a plain, sorted record of each file\'s SHA-256, per root', async t => {
  const app = memory({ 'main.js': 'export const x = 1;', lib: { 'b.js': 'b', 'a.js': 'a' }, empty: {} });
  const data = memory({ 'z.json': '{}' });
  const lock = await recordLock({ data, app });
  t.deepEqual(lock, {
    version: 1,
    roots: {
      app: { 'lib/a.js': sha('a'), 'lib/b.js': sha('b'), 'main.js': sha('export const x = 1;') },
      data: { 'z.json': sha('{}') },
    },
  });
  t.deepEqual(Object.keys(lock.roots), ['app', 'data']);
  t.deepEqual(Object.keys(lock.roots['app']!), ['lib/a.js', 'lib/b.js', 'main.js']);
  t.deepEqual(JSON.parse(JSON.stringify(lock)), lock, 'JSON-ready');
});

test('verifyLock - unchanged roots verify; a changed, an added and a removed file each break the lock, named by URI', async t => {
  const app = memory({ 'main.js': 'one', lib: { 'util.js': 'u' } });
  const data = memory({ 'keep.txt': 'k', 'gone.txt': 'g' });
  const lock = await recordLock({ app, data });
  t.deepEqual(await verifyLock({ app, data }, lock), lock);

  await app.write('main.js', 'two');
  let error = await t.throwsAsync(verifyLock({ app, data }, lock, { realm: 'plugin', operation: 'spawn' }));
  t.true(isCathedralError(error, 'LOCK_MISMATCH'));
  t.is(error!.message, 'spawn "lock" in realm "plugin": the code and data bound differ from the lock: changed app://main.js. Rule: a realm spawned with a lock runs only the content recorded in it. To allow it: restore the files, or record the lock again with recordLock if the change is intended.');

  await app.write('main.js', 'one');
  await app.write('lib/extra.js', 'x');
  await data.remove('gone.txt');
  error = await t.throwsAsync(verifyLock({ app, data }, lock));
  t.regex(error!.message, /: added app:\/\/lib\/extra\.js; removed data:\/\/gone\.txt\. Rule:/);

  await app.remove('lib/extra.js');
  await data.write('gone.txt', 'g');
  t.deepEqual(await verifyLock({ app, data }, lock), lock, 'restoring the content restores the lock');
});

test('verifyLock - a root bound or unbound since the lock is named', async t => {
  const app = memory({ 'main.js': 'm' });
  const lock = await recordLock({ app });
  const error = await t.throwsAsync(verifyLock({ app, extra: memory({ 'x.js': 'x' }) }, lock));
  t.regex(error!.message, /added extra:\/\/x\.js/);
  const other = await t.throwsAsync(verifyLock({}, lock));
  t.regex(other!.message, /removed app:\/\/main\.js/);
});

test('diffLock - the differences as data', async t => {
  const before = await recordLock({ app: memory({ a: '1', b: '2', c: '3' }) });
  const after = await recordLock({ app: memory({ a: '1', b: 'changed', d: '4' }) });
  t.deepEqual(diffLock(before, after), { added: ['app://d'], removed: ['app://c'], changed: ['app://b'] });
});

test('lock over a host directory, through an attenuation: a file changed on disk breaks it', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'cathedral-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'main.js'), 'export default 1;');
  writeFileSync(join(dir, 'package.json'), '{"name":"p"}');
  const roots = { app: readOnly(hostDir(dir)) };
  const lock = await recordLock(roots);
  t.deepEqual(Object.keys(lock.roots['app']!), ['package.json', 'src/main.js']);
  await verifyLock(roots, lock);
  writeFileSync(join(dir, 'src', 'main.js'), 'export default 2;');
  const error = await t.throwsAsync(verifyLock(roots, lock));
  t.true(isCathedralError(error, 'LOCK_MISMATCH'));
  t.regex(error!.message, /changed app:\/\/src\/main\.js/);
  t.notRegex(error!.message, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no host path in the message');
});

test('the walk is bounded: too many entries or bytes is refused with BudgetExceededError before reading on', async t => {
  const app = memory({ 'a.txt': 'x'.repeat(100), more: { 'b.txt': 'y', 'c.txt': 'z' } });
  const many = await t.throwsAsync(recordLock({ app }, { maxEntries: 3 }));
  t.true(isCathedralError(many, 'BUDGET_EXCEEDED'));
  t.regex(many!.message, /^lock "app:\/\/more\/c\.txt": the roots hold more than 3 entries\. Rule: a lock walks at most maxEntries 3 entries\. To allow it: raise maxEntries/);
  const big = await t.throwsAsync(recordLock({ app }, { maxBytes: 50 }));
  t.true(isCathedralError(big, 'BUDGET_EXCEEDED'));
  t.regex(big!.message, /^lock "app:\/\/a\.txt": the roots hold more than 50 bytes/);
  t.truthy(await recordLock({ app }, { maxEntries: 4, maxBytes: 102 }));
});

test('checkLock - a malformed lock (from a file) is refused with InvalidArgumentError', async t => {
  const app = memory({ 'main.js': 'm' });
  for (const bad of [null, { version: 2, roots: {} }, { version: 1 }, { version: 1, roots: { app: 'x' } }, { version: 1, roots: { app: { 'main.js': 'md5-abc' } } }]) {
    t.true(isCathedralError(t.throws(() => checkLock(bad)), 'INVALID_ARGUMENT'));
    t.true(isCathedralError(await t.throwsAsync(verifyLock({ app }, bad)), 'INVALID_ARGUMENT'));
  }
});

test('spawn with a lock - runs the recorded content, and refuses a changed file naming it before the realm exists', async t => {
  const { createHost } = await import('../src/index.js');
  const host = await createHost({ console: () => {}, report: () => {} });
  const app = memory({ 'main.js': 'import { n } from "./lib.js"; export const f = () => n;', 'lib.js': 'export const n = 1;' });
  const lock = await host.lock({ app });
  const realm = await host.spawn({ tier: 'compartment', name: 'locked', main: 'app://main.js', realms: { app }, lock });
  t.is(await (realm.exports['f'] as () => Promise<number>)(), 1);
  await realm.terminate();
  await app.write('lib.js', 'export const n = 2;');
  const before = host.ps().length;
  const error = await t.throwsAsync(host.spawn({ tier: 'compartment', name: 'locked', main: 'app://main.js', realms: { app }, lock }));
  t.true(isCathedralError(error, 'LOCK_MISMATCH'));
  t.regex(error!.message, /^spawn "lock" in realm "locked": the code and data bound differ from the lock: changed app:\/\/lib\.js/);
  t.is(host.ps().length, before);
  const bad = await t.throwsAsync(host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app }, lock: { version: 2 } as never }));
  t.true(isCathedralError(bad, 'INVALID_ARGUMENT'));
});

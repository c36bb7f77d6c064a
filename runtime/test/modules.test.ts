import test from 'ava';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import { call, eachTier, makeTestHost } from './_realm.js';

const spawnApp = async (app: Record<string, unknown>, extra: Record<string, ReturnType<typeof memory>> = {}) => {
  const { host } = await makeTestHost();
  return host.spawn({
    tier: 'compartment',
    name: 'modules',
    main: 'app://main.js',
    realms: { app: memory(app as never), ...extra },
  });
};

eachTier('modules - relative imports resolve inside the importing root', async (t, tier) => {
  const realm = await spawnApp({
    'main.js': `import { twice } from './lib/math.js'; export const run = () => twice(21);`,
    lib: { 'math.js': `import { one } from '../one.js'; export const twice = x => x * 2 * one;`, },
    'one.js': 'export const one = 1;',
  });
  t.is(await call(realm, 'run'), 42);
});

eachTier('modules - name:// imports go through the realm table, and relative imports stay in that root', async (t, tier) => {
  const realm = await spawnApp(
    { 'main.js': `import { word } from 'system://lib/words.js'; export const run = () => word;` },
    { system: memory({ lib: { 'words.js': `export { word } from './inner/w.js';`, inner: { 'w.js': `export const word = 'from-system';` } } }) },
  );
  t.is(await call(realm, 'run'), 'from-system');
});

eachTier('modules - a relative import climbing above its root is refused', async (t, tier) => {
  const error = await t.throwsAsync(spawnApp({ 'main.js': `import '../outside.js';` }));
  t.true(isCathedralError(error, 'MODULE_NOT_FOUND'), String(error));
  t.regex(error!.message, /climbs above the root/);
});

eachTier('modules - node: built-ins are unreachable, statically and dynamically', async (t, tier) => {
  const error = await t.throwsAsync(spawnApp({ 'main.js': `import fs from 'node:fs'; export const run = () => fs;` }));
  t.true(isCathedralError(error, 'MODULE_NOT_FOUND'));
  t.regex(error!.message, /Node built-ins are unreachable/);
  const realm = await spawnApp({ 'main.js': `export const run = () => import('node:fs').then(() => 'reached', e => e.code);` });
  t.is(await call(realm, 'run'), 'MODULE_NOT_FOUND');
});

eachTier('modules - a table name the realm does not have is refused on import', async (t, tier) => {
  const error = await t.throwsAsync(spawnApp({ 'main.js': `import 'secret://x.js';` }));
  t.true(isCathedralError(error, 'UNKNOWN_REALM'), String(error));
});

eachTier('modules - a missing module is ModuleNotFoundError naming the URI', async (t, tier) => {
  const error = await t.throwsAsync(spawnApp({ 'main.js': `import './nope.js';` }));
  t.true(isCathedralError(error, 'MODULE_NOT_FOUND'));
  t.regex(error!.message, /app:\/\/nope\.js/);
});

eachTier('modules - JSON modules are a default export', async (t, tier) => {
  const realm = await spawnApp({ 'main.js': `import data from './d.json'; export const run = () => data.n;`, 'd.json': '{"n": 7}' });
  t.is(await call(realm, 'run'), 7);
});

eachTier('modules - bare specifiers load packages from app://node_modules, each in its own compartment', async (t, tier) => {
  const realm = await spawnApp({
    'main.js': `import pad from 'left-pad'; import { sub } from 'left-pad/sub'; import cjs from 'cjs-pkg';
      export const run = () => [pad('x', 3), sub, cjs.hello, typeof globalThis.resolve];
      export const probe = () => [pad.globalsSeen(), sub];`,
    node_modules: {
      'left-pad': {
        'package.json': JSON.stringify({ name: 'left-pad', version: '1.0.0', type: 'module', exports: { '.': './index.js', './sub': './sub.js' } }),
        'index.js': `const pad = (s, n) => s.padStart(n, '-'); pad.globalsSeen = () => [typeof resolve, typeof process, typeof Compartment, typeof lockdown, String(TextEncoder).includes('native code')].join(); export default pad;`,
        'sub.js': `export const sub = 'sub-export';`,
      },
      'cjs-pkg': {
        'package.json': JSON.stringify({ name: 'cjs-pkg', version: '1.0.0', main: 'lib.js' }),
        'lib.js': `exports.hello = 'from-cjs';`,
      },
    },
  });
  t.deepEqual(await call(realm, 'run'), ['--x', 'sub-export', 'from-cjs', 'function']);
  // A package compartment gets no roots: the realm's resolve is not one of its globals.
  t.deepEqual(await call(realm, 'probe'), ['undefined,undefined,undefined,undefined,false', 'sub-export']);
});

eachTier('modules - a package that is not installed is refused naming where packages are found', async (t, tier) => {
  const error = await t.throwsAsync(spawnApp({ 'main.js': `import 'nope-pkg';` }));
  t.true(isCathedralError(error, 'MODULE_NOT_FOUND'), String(error));
  t.regex(error!.message, /node_modules/);
});

test('modules - parsed sources are cached by content hash across realms', async t => {
  const { host } = await makeTestHost();
  const app = { 'main.js': 'export const f = () => 1; // cache-probe' };
  await host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory(app) } });
  const before = host.cachedSources;
  for (let i = 0; i < 5; i += 1) await host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory(app) } });
  t.is(host.cachedSources, before);
  await host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory({ 'main.js': 'export const f = () => 2;' }) } });
  t.is(host.cachedSources, before + 1);
});

test('modules - a main module that imports nothing keeps its own state in each realm', async t => {
  const { host } = await makeTestHost();
  const app = { 'main.js': 'let n = 0; export const inc = () => (n += 1);' };
  const a = await host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory(app) } });
  const b = await host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory(app) } });
  t.is(await call(a, 'inc'), 1);
  t.is(await call(a, 'inc'), 2);
  t.is(await call(b, 'inc'), 1, 'the second realm runs its own instance of the cached source');
});

test('modules - a main module that throws while loading is a GuestError with its URI and line', async t => {
  const error = await t.throwsAsync(spawnApp({ 'main.js': `\n\nthrow new RangeError('at load');\nexport const f = () => 1;` }));
  t.true(isCathedralError(error, 'GUEST'), String(error));
  t.regex(error!.message, /RangeError: at load/);
  t.regex(error!.message, /app:\/\/main\.js:3:\d+/);
});

test('modules - a main module that does not parse, or does not exist, is refused with a typed error', async t => {
  t.true(isCathedralError(await t.throwsAsync(spawnApp({ 'main.js': 'export const = ;' })), 'MODULE_INVALID'));
  t.true(isCathedralError(await t.throwsAsync(spawnApp({ 'other.js': '' })), 'MODULE_NOT_FOUND'));
});

test('modules - a main module that imports nothing statically still imports dynamically', async t => {
  const realm = await spawnApp({ 'main.js': `export const run = async () => (await import('./lib.js')).x;`, 'lib.js': 'export const x = 5;' });
  t.is(await call(realm, 'run'), 5);
});

import test from 'ava';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import { createHost } from '../src/index.js';
import { eachTier } from './_realm.js';

const quiet = () => {};

eachTier('spawn - the host calls an exported function of the main module', async (t, tier) => {
  const host = await createHost({ console: quiet });
  const realm = await host.spawn({
    tier,
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': 'export const transform = s => s.toUpperCase();' }) },
  });
  t.is(await (realm.exports['transform'] as (s: string) => Promise<string>)('hello'), 'HELLO');
});

eachTier('resolve - the same URI reaches a different object in each realm', async (t, tier) => {
  const host = await createHost({ console: quiet });
  const main = `export const read = () => resolve('system://etc/app.json').then(f => f.readText());`;
  const a = await host.spawn({
    tier,
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': main }), system: memory({ etc: { 'app.json': '"A"' } }) },
  });
  const b = await host.spawn({
    tier,
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': main }), system: memory({ etc: { 'app.json': '"B"' } }) },
  });
  t.is(await (a.exports['read'] as () => Promise<string>)(), '"A"');
  t.is(await (b.exports['read'] as () => Promise<string>)(), '"B"');
});

eachTier('resolve - a name not in the table is refused naming the names the realm has', async (t, tier) => {
  const host = await createHost({ console: quiet });
  const realm = await host.spawn({
    tier,
    name: 'plugin-a',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': `export const go = () => resolve('secret://x');` }) },
  });
  const error = await t.throwsAsync((realm.exports['go'] as () => Promise<unknown>)());
  t.true(isCathedralError(error, 'UNKNOWN_REALM'));
  t.regex(error!.message, /secret:\/\/x/);
  t.regex(error!.message, /plugin-a/);
  t.regex(error!.message, /"app"/);
});

eachTier('globals - a realm sees only its own names', async (t, tier) => {
  const host = await createHost({ console: quiet });
  const realm = await host.spawn({
    tier,
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': `export const names = () => Reflect.ownKeys(globalThis).filter(k => typeof k === 'string').sort();` }) },
  });
  const names = (await (realm.exports['names'] as () => Promise<string[]>)());
  t.false(names.includes('process'));
  t.false(names.includes('Compartment'));
  t.false(names.includes('lockdown'));
  t.true(names.includes('resolve'));
  t.true(names.includes('TextEncoder'));
});

eachTier('errors - a guest error reaches the host with its module URI and line', async (t, tier) => {
  const host = await createHost({ console: quiet });
  const realm = await host.spawn({
    tier,
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': `\nexport const boom = () => {\n  throw new TypeError('bad');\n};` }) },
  });
  const error = await t.throwsAsync((realm.exports['boom'] as () => Promise<unknown>)());
  t.true(isCathedralError(error, 'GUEST'));
  t.regex(error!.message, /TypeError: bad/);
  t.regex(error!.message, /app:\/\/main\.js:3:\d+/);
});

test('globals - a compartment realm holds exactly the kept intrinsics and its endowments, in every realm spawned', async t => {
  const { keptGlobals } = await import('../src/index.js');
  const host = await createHost({ console: quiet });
  const expected = [...new Set([...keptGlobals, 'resolve', 'request', 'E', 'Far', 'console', 'TextEncoder', 'TextDecoder', 'harden', 'extra'])].sort();
  for (let i = 0; i < 3; i += 1) {
    const realm = await host.spawn({
      tier: 'compartment',
      main: 'app://main.js',
      realms: { app: memory({ 'main.js': `export const names = () => Reflect.ownKeys(globalThis).filter(k => typeof k === 'string').sort();` }) },
      caps: { extra: memory() },
    });
    t.deepEqual(await (realm.exports['names'] as () => Promise<string[]>)(), expected);
  }
});

import test from 'ava';
import { memory } from '@cathedral/powerbox';
import { createHost } from '@cathedral/runtime';
import { deterministic, timeCaps } from '../src/index.js';

const attempt = `const attempt = async f => { try { return ['ok', await f()]; } catch (e) { return [e.code, e.message]; } };`;

test('timeCaps - timers are made per realm, charge its handles budget, and are cancelled when it ends', async t => {
  const host = await createHost({ console: () => {}, report: () => {} });
  const fired: string[] = [];
  const det = deterministic({ seed: 1, start: 0 });
  const app = memory({ 'main.js': `${attempt}
    export const run = async (log) => [
      await attempt(() => timers.setTimeout(() => log.fired('one'), 10)),
      await attempt(() => timers.setTimeout(() => log.fired('two'), 10)),
    ];` });
  const { Far } = await import('@endo/far');
  const log = Far('log', { fired: (what: string) => void fired.push(what) });
  const a = await host.spawn({ tier: 'compartment', name: 'a', main: 'app://main.js', realms: { app }, caps: timeCaps(['timers'], det), budget: { handles: 1 } });
  const b = await host.spawn({ tier: 'compartment', name: 'b', main: 'app://main.js', realms: { app }, caps: timeCaps(['timers'], det) });
  const ra = await (a.exports['run'] as (l: unknown) => Promise<Array<[string, unknown]>>)(log);
  t.is(ra[0]![0], 'ok');
  t.is(ra[1]![0], 'BUDGET_EXCEEDED');
  t.regex(String(ra[1]![1]), /handles budget of 1 handles is spent/);
  const rb = await (b.exports['run'] as (l: unknown) => Promise<Array<[string, unknown]>>)(log);
  t.deepEqual(rb.map(r => r[0]), ['ok', 'ok']);
  await a.terminate();
  await a.done;
  await det.control.advance(20);
  // a's timer was cancelled with its realm; b's two fired.
  t.deepEqual(fired, ['one', 'two']);
  await b.terminate();
});

test('timeCaps - a time capability outside the realm\'s ceiling is refused by the gate on every call', async t => {
  const host = await createHost({ console: () => {}, report: () => {} });
  const app = memory({ 'main.js': `${attempt} export const run = async () => [await attempt(() => clock.now()), await attempt(() => random.random())];` });
  const realm = await host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app }, caps: timeCaps(['clock', 'random']), ceiling: ['random', 'fs.read'] });
  const [now, random] = await (realm.exports['run'] as () => Promise<Array<[string, unknown]>>)();
  t.is(now![0], 'CEILING');
  t.regex(String(now![1]), /the effect "clock" is outside the realm's ceiling/);
  t.is(random![0], 'ok');
  t.true(typeof random![1] === 'number' && random![1] >= 0 && random![1] < 1);
  await realm.terminate();
});

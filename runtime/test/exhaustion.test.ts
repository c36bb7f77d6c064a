/**
 * Exhaustion by the budgets the host meters — a storage flood and a spawn
 * flood — at the worker and process tiers: the flood is stopped at the
 * budget with a typed refusal, what was written before stays intact, and
 * the host keeps running. (CPU, wall and heap exhaustion: supervision.test.ts.)
 */
import test from 'ava';
import { memory } from '@cathedral/powerbox';
import { call, makeTestHost } from './_realm.js';

for (const tier of ['worker', 'process'] as const) {
  test.serial(`[${tier}] a storage flood stops at storageBytes with BudgetExceededError; what was written is intact`, async t => {
    const { host } = await makeTestHost();
    const data = memory();
    const app = memory({
      'main.js': `export const flood = async () => {
        const data = await resolve('data://');
        const chunk = new Uint8Array(64 * 1024).fill(7);
        let n = 0;
        try { for (;;) { await data.write('f' + n + '.bin', chunk); n += 1; } }
        catch (e) { return [n, e.code, e.message]; }
      };`,
    });
    const realm = await host.spawn({ tier, main: 'app://main.js', realms: { app, data }, budget: { storageBytes: 1024 * 1024 } });
    const [written, code, message] = await call<[number, string, string]>(realm, 'flood');
    t.is(written, 16);
    t.is(code, 'BUDGET_EXCEEDED');
    t.regex(message, /bytes budget of 1048576 bytes is exceeded/);
    const files = await data.list('');
    t.is(files.length, 16);
    t.deepEqual(await data.read('f15.bin'), new Uint8Array(64 * 1024).fill(7));
    t.is(realm.tier, tier);
    await realm.terminate();
  });

  test.serial(`[${tier}] a spawn flood stops at the children budget; the host lists exactly the children allowed`, async t => {
    const { host } = await makeTestHost();
    const app = memory({
      'main.js': `export const flood = async () => {
        const app = await resolve('app://');
        const kids = [];
        try { for (;;) kids.push(await authority.spawn({ main: 'app://kid.js', realms: { app } })); }
        catch (e) { return [kids.length, e.code]; }
      };`,
      'kid.js': 'export const f = () => 1;',
    });
    const realm = await host.spawn({ tier, name: 'flooder', main: 'app://main.js', realms: { app }, authority: true, budget: { children: 3 } });
    const [spawned, code] = await call<[number, string]>(realm, 'flood');
    t.is(spawned, 3);
    t.is(code, 'BUDGET_EXCEEDED');
    t.is(host.ps().filter(r => r.parent !== undefined).length, 3);
    await realm.terminate();
    await realm.done;
    t.is(host.ps().length, 0);
  });
}

/**
 * The budgets the host meters itself, at every tier: storage over all of a
 * realm's roots, live children, handles of realm-bound capabilities; a
 * child's budget carved from what its parent has left, and its spending
 * charged to the parent.
 */
import test from 'ava';
import { Far } from '@endo/far';
import { memory } from '@cathedral/powerbox';
import { realmBound, type RealmBinding } from '../src/index.js';
import { call, eachTier, makeTestHost } from './_realm.js';

const attempt = `const attempt = async f => { try { return ['ok', await f()]; } catch (e) { return [e.code, e.message]; } };`;

eachTier('storageBytes - one budget over all the realm\'s roots; a refused write leaves nothing', async (t, tier) => {
  const { host } = await makeTestHost();
  const app = memory({ 'main.js': `${attempt}
    export const run = async () => [
      await attempt(async () => (await resolve('app://')).write('a.bin', new Uint8Array(60))),
      await attempt(async () => (await resolve('data://')).write('b.bin', new Uint8Array(60))),
      await attempt(async () => (await resolve('data://')).write('c.bin', new Uint8Array(40))),
    ];` });
  const data = memory();
  const realm = await host.spawn({ tier, main: 'app://main.js', realms: { app, data }, budget: { storageBytes: 100 } });
  const [a, b, c] = await call<Array<[string, unknown]>>(realm, 'run');
  t.deepEqual(a, ['ok', undefined]);
  t.is(b![0], 'BUDGET_EXCEEDED');
  t.regex(String(b![1]), /bytes budget of 100 bytes is exceeded: this write asks for 60 bytes more and 40 bytes remain/);
  t.deepEqual(c, ['ok', undefined]);
  t.deepEqual(await data.list(''), [{ name: 'c.bin', kind: 'file' }]);
  await realm.terminate();
});

eachTier('children - a realm spawns at most its budget of live children, and may again once one ended', async (t, tier) => {
  const { host } = await makeTestHost();
  const app = memory({
    'main.js': `${attempt}
      const kids = [];
      const spawnOne = () => attempt(async () => { const k = await authority.spawn({ main: 'app://kid.js', realms: { app: await resolve('app://') } }); kids.push(k); return 'spawned'; });
      export const two = async () => [await spawnOne(), await spawnOne()];
      export const endFirst = async () => { await E(kids.shift()).terminate(); };
      export const again = () => spawnOne();`,
    'kid.js': 'export const ping = () => "pong";',
  });
  const realm = await host.spawn({ tier, name: 'parent', main: 'app://main.js', realms: { app }, authority: true, budget: { children: 1 } });
  const [first, second] = await call<Array<[string, string]>>(realm, 'two');
  t.deepEqual(first, ['ok', 'spawned']);
  t.is(second![0], 'BUDGET_EXCEEDED');
  t.regex(second![1], /children budget of 1 child realms is spent/);
  t.regex(second![1], /"parent"/);
  await call(realm, 'endFirst');
  // The child's end is noticed by the host as it happens; give it a turn.
  for (let i = 0; i < 50 && (await call<[string, string]>(realm, 'again'))[0] !== 'ok'; i += 1) await new Promise(r => setTimeout(r, 20));
  t.is(host.ps().filter(r => r.parent !== undefined && r.state === 'running').length, 1);
  await realm.terminate();
});

test('handles - a realm-bound capability charges the realm\'s meter, refuses past the budget, and is closed when the realm ends', async t => {
  const { host } = await makeTestHost();
  const made: RealmBinding[] = [];
  const closed: string[] = [];
  const opener = realmBound(binding => {
    made.push(binding);
    let open = 0;
    binding.onEnd(reason => {
      closed.push(`${binding.realm}: ${open} open, ${reason}`);
      binding.meter.release('handles', open);
    });
    return Far('Opener', {
      open: () => {
        binding.meter.charge('handles', 1, { operation: 'open', target: 'opener' });
        open += 1;
        return open;
      },
    });
  });
  const app = memory({ 'main.js': `${attempt} export const run = async () => [await attempt(() => opener.open()), await attempt(() => opener.open()), await attempt(() => opener.open())];` });
  const a = await host.spawn({ tier: 'compartment', name: 'a', main: 'app://main.js', realms: { app }, caps: { opener }, budget: { handles: 2 } });
  const b = await host.spawn({ tier: 'compartment', name: 'b', main: 'app://main.js', realms: { app }, caps: { opener } });
  const results = await call<Array<[string, unknown]>>(a, 'run');
  t.deepEqual(results.slice(0, 2), [['ok', 1], ['ok', 2]]);
  t.is(results[2]![0], 'BUDGET_EXCEEDED');
  t.regex(String(results[2]![1]), /open "opener" in realm "a": the handles budget of 2 handles is spent: 1 more asked, 0 left/);
  // Made once per realm: b's count is its own, and it has no handles budget.
  t.deepEqual((await call<Array<[string, unknown]>>(b, 'run')).map(r => r[1]), [1, 2, 3]);
  t.deepEqual(made.map(m => m.realm), ['a', 'b']);
  t.is(made[0]!.meter.used('handles'), 2);
  await a.terminate();
  await a.done;
  t.deepEqual(closed, ['a: 2 open, terminated']);
  t.is(made[0]!.meter.used('handles'), 0);
  await b.terminate();
});

test('carving - a child gets at most what its parent has left, and its writes count for the parent too', async t => {
  const { host } = await makeTestHost();
  const app = memory({
    'main.js': `${attempt}
      export const run = async () => {
        const app = await resolve('app://');
        await app.write('used.bin', new Uint8Array(60));
        const tooBig = await attempt(() => authority.spawn({ main: 'app://kid.js', realms: { app }, budget: { storageBytes: 50 } }));
        const kid = await authority.spawn({ name: 'kid', main: 'app://kid.js', realms: { app } });
        const wrote = await E(E(kid).exports()).fill();
        const mine = await attempt(() => app.write('more.bin', new Uint8Array(11)));
        return [tooBig, wrote, mine];
      };`,
    'kid.js': `${attempt} export const fill = async () => [await attempt(() => resolve('app://').then(a => a.write('k1.bin', new Uint8Array(30)))), await attempt(() => resolve('app://').then(a => a.write('k2.bin', new Uint8Array(30))))];`,
  });
  const realm = await host.spawn({ tier: 'compartment', name: 'parent', main: 'app://main.js', realms: { app }, authority: true, budget: { storageBytes: 100 } });
  const [tooBig, wrote, mine] = await call<[[string, string], Array<[string, unknown]>, [string, string]]>(realm, 'run');
  t.is(tooBig[0], 'BUDGET_EXCEEDED');
  t.regex(tooBig[1], /asks for storageBytes 50, but its parent has only 40 left/);
  // The child defaults to the 40 left: its first 30 pass, its second is refused.
  t.deepEqual(wrote[0], ['ok', undefined]);
  t.is(wrote[1]![0], 'BUDGET_EXCEEDED');
  // The child's 30 were charged to the parent too: 90 of 100 spent.
  t.is(mine[0], 'BUDGET_EXCEEDED');
  t.regex(mine[1], /asks for 11 bytes more and 10 bytes remain/);
  await realm.terminate();
});

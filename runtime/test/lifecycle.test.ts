import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import { E, Far } from '@endo/far';
import { call, eachTier, makeTestHost } from './_realm.js';

eachTier('terminate - every capability the realm held refuses further use', async (t, tier) => {
  const { host } = await makeTestHost();
  let calls = 0;
  const counter = Far('Counter', { incr: () => (calls += 1) });
  const realm = await host.spawn({
    tier,
    name: 'ending',
    main: 'app://main.js',
    realms: {
      app: memory({ 'main.js': `
        let held; let dir;
        export const grab = async () => { held = await resolve('data://f.txt'); dir = await resolve('data://'); await counter.incr(); return held.readText(); };
        export const useLater = () => held.readText();` }),
      data: memory({ 'f.txt': 'kept' }),
    },
    caps: { counter },
  });
  t.is(await call(realm, 'grab'), 'kept');
  t.is(calls, 1);
  await realm.terminate();
  const refusal = await t.throwsAsync(call(realm, 'useLater'));
  t.true(isCathedralError(refusal, 'REVOKED'));
  t.regex(refusal!.message, /"ending"/);
  t.is(calls, 1);
});

eachTier('terminate - a guest function a host capability kept refuses once the realm ended', async (t, tier) => {
  const { host } = await makeTestHost();
  let later: (() => Promise<unknown>) | undefined;
  const keep = Far('Keeper', { keep: (fn: () => Promise<unknown>) => { later = fn; } });
  const realm = await host.spawn({
    tier,
    main: 'app://main.js',
    realms: {
      app: memory({ 'main.js': `
        export const setup = async () => {
          const f = await resolve('data://f.txt');
          await keeper.keep(async () => { try { return await f.readText(); } catch (e) { return e.code; } });
        };` }),
      data: memory({ 'f.txt': 'secret' }),
    },
    caps: { keeper: keep },
  });
  await call(realm, 'setup');
  t.is(await E(later!)(), 'secret');
  await realm.terminate();
  // The kept function itself refuses: no guest code runs for the host after terminate() (at the
  // compartment tier the guest's function reached the host as a capability over it, as an answer does).
  const refusal = await t.throwsAsync(async () => E(later!)());
  t.true(isCathedralError(refusal, 'REVOKED'), String(refusal));
  t.regex(refusal!.message, tier === 'compartment' ? /the realm was terminated/ : /the realm ended \(terminated\)/);
});

test('console - guest output reaches the host route as neutralised strings, never guest objects', async t => {
  const { host, lines } = await makeTestHost();
  const realm = await host.spawn({
    tier: 'compartment',
    name: 'talker',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': `
      export const talk = () => {
        console.log('hello', 42, { a: [1, 'two'] });
        console.error('bad \\u001b[2J news');
        const evil = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
        console.warn(evil);
        console.info({ toString() { throw new Error('x'); } });
      };` }) },
  });
  await call(realm, 'talk');
  t.deepEqual(lines.map(l => [l.realm, l.level]), [['talker', 'log'], ['talker', 'error'], ['talker', 'warn'], ['talker', 'info']]);
  t.is(lines[0]!.line, `hello 42 { a: [ 1, "two" ] }`);
  t.false(lines[1]!.line.includes('\u001b'));
  t.regex(lines[1]!.line, /\\x1b\[2J/);
  t.is(lines[2]!.line, '[unprintable]');
  for (const l of lines) t.is(typeof l.line, 'string');
});

eachTier('ceiling - a realm without fs.write cannot write through any node', async (t, tier) => {
  const { host } = await makeTestHost();
  const data = memory({ 'f.txt': 'old' });
  const realm = await host.spawn({
    tier,
    name: 'reader',
    main: 'app://main.js',
    ceiling: ['fs.read'],
    realms: { app: memory({ 'main.js': `
      export const tryWrite = async () => {
        const dir = await resolve('data://');
        try { await dir.write('f.txt', 'new'); return 'written'; } catch (e) { return [e.code, e.message]; }
      };` }), data },
  });
  const [code, message] = await call<[string, string]>(realm, 'tryWrite');
  t.is(code, 'CEILING');
  t.regex(message, /fs\.write/);
  t.regex(message, /data:\/\/f\.txt/);
  t.regex(message, /"reader"/);
  t.is(await data.readText('f.txt'), 'old');
});

test('spawn - a bad spec is a typed error naming the field', async t => {
  const { host } = await makeTestHost();
  const app = memory({ 'main.js': '' });
  const cases: Array<[unknown, string, RegExp]> = [
    [{ tier: 'compartment', main: 'main.js', realms: { app } }, 'INVALID_ARGUMENT', /main/],
    [{ tier: 'compartment', main: 'app://main.js', realms: { App: app } }, 'INVALID_ARGUMENT', /App/],
    [{ tier: 'compartment', main: 'app://main.js', realms: { app: {} } }, 'INVALID_ARGUMENT', /directory node/],
    [{ tier: 'compartment', main: 'app://main.js', realms: { app }, caps: { console: 1 } }, 'INVALID_ARGUMENT', /console/],
    [{ tier: 'compartment', main: 'app://main.js', realms: { app }, ceiling: ['fs.everything'] }, 'INVALID_ARGUMENT', /fs\.everything/],
    [{ tier: 'compartment', main: 'app://main.js', realms: { app }, budget: { cpuMs: 10 } }, 'UNSUPPORTED', /cpuMs/],
    [{ tier: 'compartment', main: 'app://main.js', realms: { app }, budget: { heapMb: 10 } }, 'UNSUPPORTED', /heapMb/],
    [{ main: 'app://main.js', realms: { app }, budget: { cpuMs: -1 } }, 'INVALID_ARGUMENT', /positive number/],
    [{ tier: 'thread', main: 'app://main.js', realms: { app } }, 'INVALID_ARGUMENT', /unknown tier/],
  ];
  for (const [spec, code, pattern] of cases) {
    const error = await t.throwsAsync(host.spawn(spec as never));
    t.true(isCathedralError(error, code as never), `${JSON.stringify(spec)} → ${String(error)}`);
    t.regex(error!.message, pattern);
  }
});

test('createHost - calling it twice reuses the lockdown', async t => {
  const a = await makeTestHost();
  const b = await makeTestHost();
  const app = memory({ 'main.js': 'export const f = () => 1;' });
  t.is(await call(await a.host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app } }), 'f'), 1);
  t.is(await call(await b.host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app } }), 'f'), 1);
});

test('createHost - an earlier lockdown that lets guests read stacks is refused with LockdownError', async t => {
  const { execFileSync } = await import('node:child_process');
  const fixture = new URL('../../test/fixtures/unsafe-lockdown.mjs', import.meta.url);
  const out = execFileSync(process.execPath, [fixture.pathname], { encoding: 'utf8' });
  const { code, message } = JSON.parse(out) as { code: string; message: string };
  t.is(code, 'LOCKDOWN');
  t.regex(message, /errorTaming/);
  t.regex(message, /To allow it/);
});

for (const tier of ['worker', 'process'] as const) {
  test(`[${tier}] a realm holds the host's event loop while a call waits, and lets go once a loop of calls has ended`, t => {
    // The host script ends without terminating its realm: it exits on its own only if the idle realm holds nothing.
    const script = `
      import { memory } from '@cathedral/powerbox';
      import { createHost } from '@cathedral/runtime';
      const host = await createHost({ console: () => {}, report: () => {} });
      const realm = await host.spawn({ tier: '${tier}', main: 'app://main.js', realms: { app: memory({ 'main.js': 'export const ping = x => x; export const slow = () => { let s = 0; for (let i = 0; i < 3e7; i += 1) s += i % 7; return s; };' }) } });
      let sum = 0;
      for (let i = 0; i < 200; i += 1) sum += await realm.call('ping', i);
      // Nothing else keeps this process alive while the slow call runs in the guest.
      realm.call('slow').then(answer => console.log(sum, answer));
    `;
    const cwd = fileURLToPath(new URL('../../..', import.meta.url));
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', timeout: 60_000 });
    t.is(run.status, 0, run.stderr);
    t.is(run.stdout.trim().split(' ')[0], String((199 * 200) / 2), 'the waiting call was answered before the host exited');
    t.regex(run.stdout, /^\d+ \d+$/m);
  });
}

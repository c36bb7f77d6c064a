/**
 * `host.net` and realm-bound network capabilities: `forRealms` makes the
 * capability per realm at spawn, charged to the realm's `netBytes` and
 * `handles` budgets, checked by the realm's gate against its ceiling, and
 * revoked — its streams closed — when the realm ends.
 */
import test from 'ava';
import { memory } from '@cathedral/powerbox';
import { createHost } from '@cathedral/runtime';
import { makeNet } from '../src/index.js';
import { eventually, startTcp } from './_servers.js';

const quiet = () => {};
const guest = `
const attempt = async f => { try { return ['ok', await f()]; } catch (e) { return [e.code, e.message]; } };
let held;
export const open = peer => attempt(async () => { held = await net.connect(peer); return 'open'; });
export const send = n => attempt(() => held.write(new Uint8Array(n)));
export const connectAgain = peer => attempt(() => net.connect(peer).then(() => 'open'));
`;

test('host.net - a realm-bound net cap charges the realm\'s budgets and is closed when the realm ends', async t => {
  const server = await startTcp();
  const host = await createHost({ console: quiet, report: quiet, net: makeNet() });
  const peer = `127.0.0.1:${server.port}`;
  const realm = await host.spawn({
    tier: 'compartment',
    name: 'plugin',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': guest }) },
    caps: { net: host.net.forRealms([peer]) },
    budget: { netBytes: 100, handles: 1 },
  });
  const call = (name: string, ...args: unknown[]) => (realm.exports[name] as (...a: unknown[]) => Promise<[string, unknown]>)(...args);
  t.deepEqual(await call('open', peer), ['ok', 'open']);
  t.deepEqual(await call('send', 60), ['ok', undefined]);
  const tooMuch = await call('send', 60);
  t.is(tooMuch[0], 'BUDGET_EXCEEDED');
  t.regex(String(tooMuch[1]), /netBytes budget of 100 bytes is spent/);
  const second = await call('connectAgain', peer);
  t.is(second[0], 'BUDGET_EXCEEDED');
  t.regex(String(second[1]), /handles budget of 1 handles is spent/);
  t.true(await eventually(() => server.received.length === 60));
  t.is(server.open, 1);
  await realm.terminate();
  t.true(await eventually(() => server.open === 0), 'the realm\'s stream was closed when it ended');
  await server.close();
});

test('host.net - the gate refuses a net call outside the realm\'s ceiling, and a host without a net has none to give', async t => {
  const server = await startTcp();
  const host = await createHost({ console: quiet, report: quiet, net: makeNet() });
  const peer = `127.0.0.1:${server.port}`;
  const realm = await host.spawn({
    tier: 'compartment',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': guest }) },
    caps: { net: host.net.forRealms([peer]) },
    ceiling: ['fs.read'],
  });
  const [code, message] = await (realm.exports['open'] as (p: string) => Promise<[string, string]>)(peer);
  t.is(code, 'CEILING');
  t.regex(message, /the effect "net.connect" is outside the realm's ceiling/);
  t.is(server.connections, 0);
  await realm.terminate();
  const bare = await createHost({ console: quiet, report: quiet });
  t.is(bare.net, undefined);
  await server.close();
});

import test, { type ExecutionContext } from 'ava';
import { memory } from '@cathedral/powerbox';
import { isCathedralError } from '@cathedral/sdk';
import { type Realm, type Tier, createHost } from '@cathedral/runtime';
import { makeNet, makeSyntheticNet } from '../src/index.js';
import { eventually, startHttp, startTcp } from './_servers.js';

const quiet = () => {};

/** A guest that uses the network capability it was given as `net`. */
const guest = `
export const talk = async (peer, message) => {
  const stream = await net.connect(peer);
  await stream.write(new TextEncoder().encode(message));
  let got = '';
  const decoder = new TextDecoder();
  while (got.length < message.length) {
    const chunk = await stream.read();
    if (chunk === null) break;
    got += decoder.decode(chunk);
  }
  await stream.close();
  return got;
};
export const get = async url => {
  const res = await net.fetch(url);
  return { status: res.status, body: new TextDecoder().decode(res.body), servedBy: res.headers['x-served-by'] };
};
export const attempt = async peer => {
  try {
    await net.connect(peer);
    return 'connected';
  } catch (error) {
    return { code: error.code, message: error.message };
  }
};
export const serve = async where => {
  const listener = await net.listen(where);
  const stream = await listener.accept();
  const chunk = await stream.read();
  const text = new TextDecoder().decode(chunk);
  await stream.write(new TextEncoder().encode(text.toUpperCase()));
  await stream.close();
  await listener.close();
  return text;
};
export const sneaky = async peer => {
  // Bytes whose prototype is a Proxy: a host that walked the prototype chain would run these traps.
  const touched = [];
  const bytes = new Uint8Array([97, 98, 99]);
  const trap = new Proxy({}, { get: (_, key) => { touched.push(String(key)); return undefined; }, getPrototypeOf: () => { touched.push('getPrototypeOf'); return null; } });
  Object.setPrototypeOf(bytes, trap);
  const stream = await net.connect(peer);
  await stream.write(bytes);
  const chunk = await stream.read();
  await stream.close();
  return { echoed: new TextDecoder().decode(chunk), touched };
};
export const inspect = async url => {
  const res = await net.fetch(url);
  let extended = true;
  try { res.body.extra = 1; } catch { extended = false; }
  return {
    frozen: Object.isFrozen(res) && Object.isFrozen(res.headers),
    extended,
    constructor: Object.getOwnPropertyDescriptor(res.headers, 'constructor')?.value,
    proto: Object.getOwnPropertyDescriptor(res.headers, '__proto__')?.value,
    body: new TextDecoder().decode(res.body),
  };
};
export const probe = () => ({
  net: typeof net, fetch: typeof fetch, process: typeof process, require: typeof require, WebSocket: typeof WebSocket, XMLHttpRequest: typeof XMLHttpRequest,
});
`;

const spawnWith = async (tier: Tier, caps: Record<string, unknown>, name = 'plugin', ceiling?: string[]): Promise<Realm> => {
  const host = await createHost({ console: quiet, report: quiet });
  return host.spawn({ tier, name, main: 'app://main.js', realms: { app: memory({ 'main.js': guest }) }, caps, ...(ceiling === undefined ? {} : { ceiling: ceiling as never }) });
};

const reachesAllowedOnly = async (t: ExecutionContext, tier: Tier) => {
  const server = await startTcp();
  const forbidden = await startTcp();
  const http = await startHttp('web');
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${server.port}`, `127.0.0.1:${http.port}`]);
  const realm = await spawnWith(tier, { net: cap });
  t.is(await realm.call('talk', `127.0.0.1:${server.port}`, 'hello'), 'hello');
  t.deepEqual(await realm.call('get', `http://127.0.0.1:${http.port}/hello`), { status: 200, body: 'hello from web', servedBy: 'web' });
  const refused = await realm.call<{ code: string; message: string }>('attempt', `0x7f.1:${forbidden.port}`);
  t.is(refused.code, 'REFUSED');
  t.regex(refused.message, new RegExp(`^connect "0x7f.1:${forbidden.port}" in realm "plugin": 0x7f.1:${forbidden.port} \\(127.0.0.1:${forbidden.port}\\) is not an allowed peer`));
  t.regex(refused.message, new RegExp(`To allow it: net.allow\\(\\['127.0.0.1:${forbidden.port}'\\]\\)`));
  t.is(forbidden.connections, 0);
  // The lead's realm-end hook: ending the realm revokes its capability, closing what it opened.
  await realm.terminate();
  t.true(net.revoke(cap, 'its realm ended'));
  t.is(net.used().handles, 0);
  t.true(await eventually(() => server.open === 0));
  await server.close();
  await forbidden.close();
  await http.close();
};

test('[compartment] a guest reaches the allowed peers through its cap, and nothing else', t => reachesAllowedOnly(t, 'compartment'));
test.serial('[process] a guest reaches the allowed peers through its cap, served by the host over CapTP', t => reachesAllowedOnly(t, 'process'));

test('[compartment] bytes with a Proxy prototype are copied without running the guest\'s traps in the host', async t => {
  const server = await startTcp();
  const realm = await spawnWith('compartment', { net: makeNet().allow([`127.0.0.1:${server.port}`]) });
  t.deepEqual(await realm.call('sneaky', `127.0.0.1:${server.port}`), { echoed: 'abc', touched: [] });
  t.is(server.received.toString(), 'abc');
  await server.close();
});

// Repro of test/security/advisories/2026-11-29-header-named-constructor-kills-the-host.md.
const answersHardened = async (t: ExecutionContext, tier: Tier) => {
  const http = await startHttp('web');
  const realm = await spawnWith(tier, { net: makeNet().allow([`127.0.0.1:${http.port}`]) });
  t.deepEqual(await realm.call('inspect', `http://127.0.0.1:${http.port}/odd-headers`), { frozen: true, extended: false, constructor: 'c', proto: 'p', body: 'odd' });
  await realm.terminate();
  await http.close();
};

test('[compartment] a response reaches the guest hardened, with every header, whatever its name', t => answersHardened(t, 'compartment'));
test.serial('[process] a response reaches the guest hardened, with every header, whatever its name', t => answersHardened(t, 'process'));

test('[compartment] a guest without the cap has no network at all', async t => {
  const realm = await spawnWith('compartment', {});
  t.deepEqual(await realm.call('probe'), { net: 'undefined', fetch: 'undefined', process: 'undefined', require: 'undefined', WebSocket: 'undefined', XMLHttpRequest: 'undefined' });
  const host = await createHost({ console: quiet, report: quiet });
  const error = await t.throwsAsync(host.spawn({ tier: 'compartment', main: 'app://main.js', realms: { app: memory({ 'main.js': `import net from 'node:net'; export const x = net;` }) } }));
  t.true(isCathedralError(error));
  t.regex(error.message, /node:net/);
});

test('[compartment] a cap given the realm ceiling refuses outside it, naming the realm', async t => {
  const server = await startTcp();
  const cap = makeNet().allow([`127.0.0.1:${server.port}`], { ceiling: ['fs.read'] });
  const realm = await spawnWith('compartment', { net: cap }, 'no-net', ['fs.read']);
  const refused = await realm.call<{ code: string; message: string }>('attempt', `127.0.0.1:${server.port}`);
  t.is(refused.code, 'CEILING');
  t.regex(refused.message, /^connect "127.0.0.1:\d+" in realm "no-net": the effect "net.connect" is outside the realm's ceiling/);
  t.is(server.connections, 0);
  await server.close();
});

test('[compartment] two realms talk over the synthetic network, with no socket', async t => {
  const lan = makeSyntheticNet();
  const host = await createHost({ console: quiet, report: quiet });
  const spawn = (name: string, cap: unknown) => host.spawn({ tier: 'compartment', name, main: 'app://main.js', realms: { app: memory({ 'main.js': guest }) }, caps: { net: cap } });
  const db = await spawn('db', lan.allow([], { listen: ['db:5432'] }));
  const app = await spawn('app', lan.allow(['db:5432']));
  const served = db.call<string>('serve', 'db:5432');
  await new Promise(resolve => setImmediate(resolve));
  t.is(await app.call('talk', 'db:5432', 'select 1'), 'SELECT 1');
  t.is(await served, 'select 1');
  // The allowlist holds on the synthetic network too.
  const refused = await app.call<{ code: string }>('attempt', 'cache:6379');
  t.is(refused.code, 'REFUSED');
  const noListener = await app.call<{ code: string; message: string }>('attempt', 'db:5432');
  t.is(noListener.code, 'IO');
  t.regex(noListener.message, /ECONNREFUSED/);
  t.is(lan.used().handles, 0);
});

test.serial('[process] two realms in two processes talk over the synthetic network held by the host', async t => {
  const lan = makeSyntheticNet();
  const host = await createHost({ console: quiet, report: quiet });
  const spawn = (name: string, cap: unknown) => host.spawn({ tier: 'process', name, main: 'app://main.js', realms: { app: memory({ 'main.js': guest }) }, caps: { net: cap } });
  const [db, app] = await Promise.all([spawn('db', lan.allow([], { listen: ['db:5432'] })), spawn('app', lan.allow(['db:5432']))]);
  const served = db.call<string>('serve', 'db:5432');
  t.true(await eventually(() => lan.used().handles === 1, 10_000));
  t.is(await app.call('talk', 'db:5432', 'ping'), 'PING');
  t.is(await served, 'ping');
  await db.terminate();
  await app.terminate();
});

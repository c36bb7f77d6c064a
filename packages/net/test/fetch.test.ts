import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { makeNet } from '../src/index.js';
import { startHttp, text } from './_servers.js';

test('fetch - the allowed server answers status, plain headers and body bytes', async t => {
  const server = await startHttp('a');
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${server.port}`]);
  const res = await cap.fetch(`http://127.0.0.1:${server.port}/hello`);
  t.is(res.status, 200);
  t.is(res.headers['x-served-by'], 'a');
  t.is(Object.getPrototypeOf(res.headers), Object.prototype);
  t.true(res.body instanceof Uint8Array);
  t.is(text(res.body), 'hello from a');
  t.false(res.redirected);
  t.true(Object.isFrozen(res));
  t.is(server.requests[0]?.host, `127.0.0.1:${server.port}`);
  t.is(net.used().handles, 0);
  await server.close();
});

test('fetch - a POST carries its body and method', async t => {
  const server = await startHttp('a');
  const cap = makeNet().allow([`127.0.0.1:${server.port}`]);
  const res = await cap.fetch(`http://127.0.0.1:${server.port}/echo`, { method: 'post', body: 'payload', headers: { 'Content-Type': 'text/plain' } });
  t.is(text(res.body), 'payload');
  t.is(res.headers['x-method'], 'POST');
  t.is(server.requests[0]?.headers['content-type'], 'text/plain');
  await server.close();
});

test('fetch - a redirect to an allowed peer is followed, each hop checked', async t => {
  const a = await startHttp('a');
  const b = await startHttp('b');
  const cap = makeNet().allow([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
  const to = encodeURIComponent(`http://127.0.0.1:${b.port}/hello`);
  const res = await cap.fetch(`http://127.0.0.1:${a.port}/redirect?to=${to}`);
  t.is(text(res.body), 'hello from b');
  t.true(res.redirected);
  t.is(res.url, `http://127.0.0.1:${b.port}/hello`);
  // A relative redirect stays on the same peer.
  t.is(text((await cap.fetch(`http://127.0.0.1:${a.port}/redirect?to=/hello`)).body), 'hello from a');
  await a.close();
  await b.close();
});

test('fetch - a redirect to a forbidden peer is refused and the forbidden peer is never reached', async t => {
  const a = await startHttp('a');
  const forbidden = await startHttp('forbidden');
  const cap = makeNet().allow([`127.0.0.1:${a.port}`], { realm: 'plugin' });
  for (const to of [`http://127.0.0.1:${forbidden.port}/hello`, `http://2130706433:${forbidden.port}/hello`, `http://[::ffff:7f00:1]:${forbidden.port}/hello`, `http://localhost:${forbidden.port}/hello`]) {
    for (const status of [301, 302, 303, 307, 308]) {
      const error = await t.throwsAsync(cap.fetch(`http://127.0.0.1:${a.port}/redirect?status=${status}&to=${encodeURIComponent(to)}`));
      t.true(isCathedralError(error, 'REFUSED'), `${status} ${to}: ${String(error?.message)}`);
    }
  }
  const error = await t.throwsAsync(cap.fetch(`http://127.0.0.1:${a.port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${forbidden.port}/hello`)}`));
  t.regex(error.message, new RegExp(`^fetch "127.0.0.1:${forbidden.port}" in realm "plugin": `));
  t.regex(error.message, new RegExp(`To allow it: net.allow\\(\\['127.0.0.1:${forbidden.port}'\\]\\)`));
  // A redirect to another scheme is refused too.
  await t.throwsAsync(cap.fetch(`http://127.0.0.1:${a.port}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`), { code: 'INVALID_ARGUMENT' } as never);
  t.is(forbidden.requests.length, 0);
  await a.close();
  await forbidden.close();
});

test('fetch - more than ten redirects are refused; manual answers the redirect itself', async t => {
  const a = await startHttp('a');
  const cap = makeNet().allow([`127.0.0.1:${a.port}`]);
  const error = await t.throwsAsync(cap.fetch(`http://127.0.0.1:${a.port}/loop`));
  t.true(isCathedralError(error, 'REFUSED'));
  t.regex(error.message, /more than 10 redirects/);
  t.is(a.requests.length, 11);
  const manual = await cap.fetch(`http://127.0.0.1:${a.port}/loop`, { redirect: 'manual' });
  t.is(manual.status, 302);
  t.is(manual.headers['location'], '/loop');
  await a.close();
});

test('fetch - 303 turns into GET without body; 307 keeps method and body; credentials stay on their origin', async t => {
  const a = await startHttp('a');
  const b = await startHttp('b');
  const cap = makeNet().allow([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
  const r303 = await cap.fetch(`http://127.0.0.1:${a.port}/redirect?status=303&to=/echo`, { method: 'POST', body: 'x' });
  t.is(r303.headers['x-method'], 'GET');
  const r307 = await cap.fetch(`http://127.0.0.1:${a.port}/redirect?status=307&to=/echo`, { method: 'PUT', body: 'kept' });
  t.is(r307.headers['x-method'], 'PUT');
  t.is(text(r307.body), 'kept');
  await cap.fetch(`http://127.0.0.1:${a.port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${b.port}/hello`)}`, { headers: { authorization: 'secret' } });
  t.is(a.requests.at(-1)?.headers['authorization'], 'secret');
  t.is(b.requests.at(-1)?.headers['authorization'], undefined);
  await a.close();
  await b.close();
});

test('fetch - bad input is a typed refusal: scheme, credentials in the URL, a Host header, a GET body', async t => {
  const a = await startHttp('a');
  const cap = makeNet().allow([`127.0.0.1:${a.port}`]);
  await t.throwsAsync(cap.fetch('file:///etc/passwd'), { code: 'INVALID_ARGUMENT' } as never);
  await t.throwsAsync(cap.fetch(`http://u:p@127.0.0.1:${a.port}/`), { code: 'INVALID_ARGUMENT' } as never);
  await t.throwsAsync(cap.fetch(`http://127.0.0.1:${a.port}/`, { headers: { Host: 'evil.example' } }), { code: 'INVALID_ARGUMENT' } as never);
  await t.throwsAsync(cap.fetch(`http://127.0.0.1:${a.port}/`, { body: 'x' }), { code: 'INVALID_ARGUMENT' } as never);
  await t.throwsAsync(cap.fetch(`http://127.0.0.1:${a.port}/`, { headers: { 'x-bad': 'a\r\nb' } }), { code: 'INVALID_ARGUMENT' } as never);
  await t.throwsAsync(cap.fetch(`http://127.0.0.1:${a.port + 1}/`), { code: 'REFUSED' } as never);
  t.is(a.requests.length, 0);
  await a.close();
});

test('fetch - headers named like what a record inherits (constructor, __proto__, toString) stay headers, and the host survives them', async t => {
  const server = await startHttp('a');
  const cap = makeNet().allow([`127.0.0.1:${server.port}`]);
  const res = await cap.fetch(`http://127.0.0.1:${server.port}/odd-headers`);
  t.is(Object.getPrototypeOf(res.headers), Object.prototype);
  t.true(Object.isFrozen(res.headers));
  t.is(Object.getOwnPropertyDescriptor(res.headers, 'constructor')?.value, 'c');
  t.is(Object.getOwnPropertyDescriptor(res.headers, '__proto__')?.value, 'p');
  t.is(Object.getOwnPropertyDescriptor(res.headers, 'tostring')?.value, 't1, t2', 'repeated, joined');
  await server.close();
});

// Repro of test/security/advisories/2026-11-29-request-header-named-constructor-kills-an-http-server.md:
// the server below runs in this locked-down test process, and Node's own server code builds `req.headers`.
test('fetch - request headers named like what a record inherits (constructor, __proto__) are sent as headers', async t => {
  const server = await startHttp('a');
  const cap = makeNet().allow([`127.0.0.1:${server.port}`]);
  const headers = JSON.parse('{ "constructor": "c", "__proto__": "p", "x-a": "1" }') as Record<string, string>;
  const res = await cap.fetch(`http://127.0.0.1:${server.port}/hello`, { headers });
  t.is(res.status, 200);
  const got = server.requests[0]?.headers;
  t.is(got === undefined ? undefined : Object.getOwnPropertyDescriptor(got, 'constructor')?.value, 'c');
  t.is(got === undefined ? undefined : Object.getOwnPropertyDescriptor(got, '__proto__')?.value, 'p');
  t.is(got?.['x-a'], '1');
  await server.close();
});

test('fetch - a URL asked again is checked again: only its parse is remembered', async t => {
  const server = await startHttp('a');
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${server.port}`], { budget: { netBytes: 400 } });
  const url = `http://127.0.0.1:${server.port}/hello`;
  t.is(text((await cap.fetch(url)).body), 'hello from a');
  let spent;
  for (let i = 0; i < 10 && spent === undefined; i += 1) spent = await cap.fetch(url).then(() => undefined, (error: unknown) => error);
  t.true(isCathedralError(spent, 'BUDGET_EXCEEDED'), String(spent));
  net.revoke(cap);
  t.true(isCathedralError(await t.throwsAsync(cap.fetch(url)), 'REVOKED'));
  const other = makeNet().allow(['127.0.0.1:1']);
  for (let i = 0; i < 2; i += 1) t.true(isCathedralError(await t.throwsAsync(other.fetch('http://user:pw@127.0.0.1:1/x')), 'INVALID_ARGUMENT'), 'a refused URL is refused every time');
  await server.close();
});

test('fetch - a response cut short is an IO error naming ECONNRESET, and its handle is given back', async t => {
  const server = await startHttp('a');
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${server.port}`]);
  const error = await t.throwsAsync(cap.fetch(`http://127.0.0.1:${server.port}/cut`));
  t.true(isCathedralError(error, 'IO'), String(error));
  t.regex(error?.message ?? '', /ECONNRESET/);
  t.is(net.used().handles, 0);
  t.is(text((await cap.fetch(`http://127.0.0.1:${server.port}/hello`)).body), 'hello from a', 'the capability goes on');
  await server.close();
});

test('fetch - a finished fetch is no longer tracked: revoking afterwards aborts nothing and refuses the next', async t => {
  const server = await startHttp('a');
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${server.port}`]);
  const url = `http://127.0.0.1:${server.port}/hello`;
  const answers = await Promise.all([cap.fetch(url), cap.fetch(url), cap.fetch(url)]);
  t.deepEqual(answers.map(a => text(a.body)), ['hello from a', 'hello from a', 'hello from a']);
  t.is(net.used().handles, 0);
  t.true(net.revoke(cap, 'done'));
  t.true(isCathedralError(await t.throwsAsync(cap.fetch(url)), 'REVOKED'));
  t.is(net.used().handles, 0);
  await server.close();
});

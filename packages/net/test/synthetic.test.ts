import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { makeSyntheticNet } from '../src/index.js';
import { text } from './_servers.js';

test('synthetic - a listener accepts a connect to its name; bytes flow both ways, copied', async t => {
  const lan = makeSyntheticNet();
  const server = lan.allow([], { listen: ['DB.:5432'] });
  const client = lan.allow(['db:5432']);
  const listener = await server.listen('db:5432');
  t.is(listener.address(), 'db:5432');
  const accepting = listener.accept();
  const out = await client.connect('db:5432');
  const inbound = await accepting;
  const bytes = new Uint8Array([1, 2, 3]);
  await out.write(bytes);
  bytes[0] = 99; // the sender changing its array after the write changes nothing received
  t.deepEqual([...((await inbound.read()) as Uint8Array)], [1, 2, 3]);
  await inbound.write('ok');
  t.is(text(await out.read()), 'ok');
  out.end();
  t.is(await inbound.read(), null);
  out.close();
  inbound.close();
  listener.close();
  // Each side charges what it sends and what it reads: (3 + 2) bytes, counted by both ends on the one net meter.
  t.deepEqual({ ...lan.used() }, { netBytes: 10, handles: 0 });
});

test('synthetic - the allowlist, listening rules and refusals are those of the real network', async t => {
  const lan = makeSyntheticNet();
  const client = lan.allow(['db:5432'], { listen: ['cache:6379'] });
  const refused = await t.throwsAsync(client.connect('cache:6379'));
  t.true(isCathedralError(refused, 'REFUSED'));
  t.regex(refused.message, /To allow it: net.allow\(\['cache:6379'\]\)/);
  const nobody = await t.throwsAsync(client.connect('db:5432'));
  t.true(isCathedralError(nobody, 'IO'));
  t.regex(nobody.message, /ECONNREFUSED/);
  await t.throwsAsync(client.listen('db:5432'), { code: 'REFUSED' } as never);
  const listener = await client.listen('cache:6379');
  await t.throwsAsync(lan.allow([], { listen: ['cache:6379'] }).listen('cache:6379'), { code: 'IO', message: /EADDRINUSE/ } as never);
  const fetchError = await t.throwsAsync(client.fetch('http://db:5432/'));
  t.true(isCathedralError(fetchError, 'UNSUPPORTED'));
  listener.close();
  t.is(lan.used().handles, 0);
});

test('synthetic - revoking one side closes its streams; the other side reads the end', async t => {
  const lan = makeSyntheticNet();
  const serverCap = lan.allow([], { listen: ['db:5432'] });
  const clientCap = lan.allow(['db:5432']);
  const listener = await serverCap.listen('db:5432');
  const accepting = listener.accept();
  const out = await clientCap.connect('db:5432');
  const inbound = await accepting;
  t.is(lan.used().handles, 3);
  t.true(lan.revoke(clientCap, 'realm "app" ended'));
  t.is(await inbound.read(), null);
  await t.throwsAsync(out.write('x'), { code: 'REVOKED' } as never);
  inbound.close();
  listener.close();
  t.is(lan.used().handles, 0);
});

test('synthetic - a writer waits while the reader lags (no unbounded buffering), then resumes', async t => {
  const lan = makeSyntheticNet();
  const listener = await lan.allow([], { listen: ['sink:1'] }).listen('sink:1');
  const accepting = listener.accept();
  const out = await lan.allow(['sink:1']).connect('sink:1');
  const inbound = await accepting;
  let written = 0;
  const writing = (async () => {
    for (let i = 0; i < 8; i += 1) {
      await out.write(new Uint8Array(16 * 1024));
      written += 1;
    }
  })();
  await new Promise(resolve => setTimeout(resolve, 20));
  t.true(written < 8, `the writer went ahead by ${written} chunks`);
  let read = 0;
  while (read < 8 * 16 * 1024) read += ((await inbound.read()) as Uint8Array).length;
  await writing;
  t.is(written, 8);
  out.close();
  inbound.close();
  listener.close();
});

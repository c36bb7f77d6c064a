import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { makeMeter, makeNet } from '../src/index.js';
import { eventually, readAtLeast, startHttp, startTcp } from './_servers.js';

test('budget - handles: a connect past the budget is refused before any socket opens; closing gives the handle back', async t => {
  const server = await startTcp();
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${server.port}`], { budget: { handles: 1 }, realm: 'r' });
  const first = await cap.connect(`127.0.0.1:${server.port}`);
  const error = await t.throwsAsync(cap.connect(`127.0.0.1:${server.port}`));
  t.true(isCathedralError(error, 'BUDGET_EXCEEDED'));
  t.regex(error.message, /the handles budget of 1 is spent/);
  t.regex(error.message, /To allow it: grant a larger budget/);
  t.is(server.connections, 1);
  first.close();
  first.close(); // closing twice gives back one handle, once
  t.true(await eventually(() => server.open === 0));
  const again = await cap.connect(`127.0.0.1:${server.port}`);
  again.close();
  t.is(net.used().handles, 0);
  await server.close();
});

test('budget - netBytes: a write past the budget sends nothing', async t => {
  const server = await startTcp();
  const cap = makeNet().allow([`127.0.0.1:${server.port}`], { budget: { netBytes: 20 } });
  const stream = await cap.connect(`127.0.0.1:${server.port}`);
  await stream.write('12345678');
  t.is(await readAtLeast(stream, 8), '12345678'); // 16 bytes used: 8 out, 8 in
  const error = await t.throwsAsync(stream.write('12345'));
  t.true(isCathedralError(error, 'BUDGET_EXCEEDED'));
  t.regex(error.message, /the netBytes budget of 20 is spent \(16 used, 5 more asked\)/);
  await new Promise(resolve => setTimeout(resolve, 30));
  t.is(server.received.toString(), '12345678');
  stream.close();
  await server.close();
});

test('budget - netBytes: a peer sending past the budget ends the stream and gives its handle back', async t => {
  const server = await startTcp({ blast: 200_000 });
  const meter = makeMeter({ netBytes: 1000, handles: 5 });
  const cap = makeNet().allow([`127.0.0.1:${server.port}`], { meter });
  const stream = await cap.connect(`127.0.0.1:${server.port}`);
  let error: unknown;
  try {
    for (;;) if ((await stream.read()) === null) break;
  } catch (e) {
    error = e;
  }
  t.true(isCathedralError(error, 'BUDGET_EXCEEDED'));
  t.true(meter.used().netBytes <= 1000);
  t.is(meter.used().handles, 0);
  t.true(await eventually(() => server.open === 0));
  await t.throwsAsync(stream.read(), { code: 'REFUSED' } as never);
  await server.close();
});

test('budget - a fetch whose response exceeds netBytes is refused and holds nothing open', async t => {
  const server = await startHttp('a');
  const net = makeNet({ budget: { netBytes: 5000 } });
  const cap = net.allow([`127.0.0.1:${server.port}`]);
  t.is((await cap.fetch(`http://127.0.0.1:${server.port}/big?n=100`)).body.length, 100);
  const error = await t.throwsAsync(cap.fetch(`http://127.0.0.1:${server.port}/big?n=100000`));
  t.true(isCathedralError(error, 'BUDGET_EXCEEDED'));
  t.is(net.used().handles, 0);
  await server.close();
});

test('revoke - every stream and listener closes, handles count down, and everything refuses', async t => {
  const server = await startTcp();
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${server.port}`], { listen: ['127.0.0.1:0'] });
  const a = await cap.connect(`127.0.0.1:${server.port}`);
  const b = await cap.connect(`127.0.0.1:${server.port}`);
  const listener = await cap.listen('127.0.0.1:0');
  const pendingRead = a.read();
  const pendingAccept = listener.accept();
  t.is(net.used().handles, 3);
  t.true(net.revoke(cap, 'realm "r" ended'));
  t.false(net.revoke({}, 'not one of ours'));
  t.is(net.used().handles, 0);
  t.true(await eventually(() => server.open === 0));
  const readError = await t.throwsAsync(pendingRead);
  t.true(isCathedralError(readError, 'REVOKED'));
  t.regex(readError.message, /revoked \(realm "r" ended\)/);
  await t.throwsAsync(pendingAccept, { code: 'REVOKED' } as never);
  await t.throwsAsync(b.write('x'), { code: 'REVOKED' } as never);
  await t.throwsAsync(cap.connect(`127.0.0.1:${server.port}`), { code: 'REVOKED' } as never);
  await t.throwsAsync(cap.fetch(`http://127.0.0.1:${server.port}/`), { code: 'REVOKED' } as never);
  // The port listened on is free again.
  const { connect } = await import('node:net');
  const port = Number(listener.address().split(':')[1]);
  const refusedConnect = await new Promise<string>(resolve => connect({ host: '127.0.0.1', port }).on('error', e => resolve((e as { code?: string }).code ?? '')).on('connect', () => resolve('connected')));
  t.is(refusedConnect, 'ECONNREFUSED');
  t.is(server.connections, 2);
  await server.close();
});

test('end - revokes every capability the net minted', async t => {
  const server = await startTcp();
  const net = makeNet();
  const one = net.allow([`127.0.0.1:${server.port}`]);
  const two = net.allow([`127.0.0.1:${server.port}`]);
  await one.connect(`127.0.0.1:${server.port}`);
  await two.connect(`127.0.0.1:${server.port}`);
  net.end('host shutting down');
  t.is(net.used().handles, 0);
  t.true(await eventually(() => server.open === 0));
  await t.throwsAsync(one.connect(`127.0.0.1:${server.port}`), { code: 'REVOKED' } as never);
  await server.close();
});

test('allow - a malformed allowlist or budget is refused, never read as "nothing allowed"', t => {
  const net = makeNet();
  t.throws(() => net.allow('127.0.0.1:80' as never), { code: 'INVALID_ARGUMENT', message: /peers must be an array/ } as never);
  t.throws(() => net.allow(['127.0.0.1:80'], { listen: '127.0.0.1:80' as never }), { code: 'INVALID_ARGUMENT' } as never);
  t.throws(() => net.allow(['127.0.0.1:80', 'nope']), { code: 'INVALID_ARGUMENT', message: /needs a port/ } as never);
  t.throws(() => net.allow(['127.0.0.1:80'], { budget: { netBytes: -1 } }), { code: 'INVALID_ARGUMENT' } as never);
  t.throws(() => net.allow(['127.0.0.1:80'], { ceiling: ['net.teleport' as never] }), { code: 'INVALID_ARGUMENT' } as never);
});

test('revoke - a fetch in flight is aborted with REVOKED and its connection closed', async t => {
  const { createServer } = await import('node:net');
  let open = 0;
  const silent = createServer(socket => {
    open += 1;
    socket.on('close', () => {
      open -= 1;
    });
    socket.resume(); // reads the request, never answers
  });
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${port}`]);
  const pending = cap.fetch(`http://127.0.0.1:${port}/`);
  t.true(await eventually(() => open === 1));
  t.is(net.used().handles, 1);
  net.revoke(cap, 'its realm ended');
  const error = await t.throwsAsync(pending);
  t.true(isCathedralError(error, 'REVOKED'));
  t.is(net.used().handles, 0);
  t.true(await eventually(() => open === 0));
  await new Promise(resolve => silent.close(resolve));
});

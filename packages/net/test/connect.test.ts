import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { makeNet } from '../src/index.js';
import { eventually, readAtLeast, startTcp } from './_servers.js';

test('connect - the allowed peer is reachable and bytes round trip', async t => {
  const server = await startTcp();
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${server.port}`]);
  const stream = await cap.connect(`127.0.0.1:${server.port}`);
  await stream.write(new Uint8Array([104, 105]));
  await stream.write(' there');
  t.is(await readAtLeast(stream, 8), 'hi there');
  t.is(stream.peer(), `127.0.0.1:${server.port}`);
  stream.close();
  t.true(await eventually(() => server.open === 0));
  t.deepEqual({ ...net.used() }, { netBytes: 16, handles: 0 });
  await server.close();
});

test('connect - another port on the allowed host is refused, naming the peer, the rule and how to allow it', async t => {
  const allowed = await startTcp();
  const other = await startTcp();
  const cap = makeNet().allow([`127.0.0.1:${allowed.port}`], { realm: 'plugin' });
  const error = await t.throwsAsync(cap.connect(`127.0.0.1:${other.port}`));
  t.true(isCathedralError(error, 'REFUSED'));
  t.regex(error.message, new RegExp(`^connect "127.0.0.1:${other.port}" in realm "plugin": `));
  t.regex(error.message, new RegExp(`Rule: this capability reaches only 127.0.0.1:${allowed.port}\\.`));
  t.regex(error.message, new RegExp(`To allow it: net.allow\\(\\['127.0.0.1:${other.port}'\\]\\)`));
  t.is(other.connections, 0);
  await allowed.close();
  await other.close();
});

test('connect - another host is refused and never reached', async t => {
  const allowed = await startTcp();
  const other = await startTcp({ host: '127.0.0.2' });
  const cap = makeNet().allow([`127.0.0.1:${allowed.port}`, `127.0.0.1:${other.port}`]);
  await t.throwsAsync(cap.connect(`127.0.0.2:${other.port}`), { code: 'REFUSED' } as never);
  await t.throwsAsync(cap.connect(`[::1]:${allowed.port}`), { code: 'REFUSED' } as never);
  t.is(other.connections, 0);
  await allowed.close();
  await other.close();
});

test('connect - every alternate spelling of a forbidden address is refused, and none reaches it', async t => {
  // The forbidden server is 127.0.0.1:P. The allowlist holds 127.0.0.2:P and
  // 177.0.0.1:P: a checker reading `0177.0.0.1` as decimal would allow it,
  // while the system reads it as octal, 127.0.0.1.
  const forbidden = await startTcp();
  const p = forbidden.port;
  const cap = makeNet().allow([`127.0.0.2:${p}`, `177.0.0.1:${p}`, `0.0.0.0:${p}`]);
  const spellings = [
    `127.0.0.1:${p}`, `2130706433:${p}`, `0177.0.0.1:${p}`, `0x7f.1:${p}`, `0x7F000001:${p}`, `127.1:${p}`, `0177.1:${p}`,
    `127.000.000.001:${p}`, `127.0.0.1.:${p}`, `[::ffff:127.0.0.1]:${p}`, `[::ffff:7f00:1]:${p}`, `[0:0:0:0:0:FFFF:7F00:0001]:${p}`,
    `localhost:${p}`, `LOCALHOST.:${p}`, `[::1]:${p}`, `017700000001:${p}`,
    // 0.0.0.0 is allowlisted, but a connection to it reaches this host.
    `0.0.0.0:${p}`, `0:${p}`, `[::]:${p}`, `[::ffff:0.0.0.0]:${p}`,
  ];
  for (const spelling of spellings) {
    const error = await t.throwsAsync(cap.connect(spelling), undefined, spelling);
    t.true(isCathedralError(error, 'REFUSED'), `${spelling}: ${String(error?.message)}`);
  }
  await new Promise(resolve => setTimeout(resolve, 50));
  t.is(forbidden.connections, 0);
  await forbidden.close();
});

test('connect - alternate spellings of the allowed address reach it (they are the same peer)', async t => {
  const server = await startTcp();
  const cap = makeNet().allow([`127.0.0.1:${server.port}`]);
  for (const spelling of [`2130706433:${server.port}`, `0x7f.1:${server.port}`, `[::ffff:7f00:1]:${server.port}`, `localhost:${server.port}`]) {
    const stream = await cap.connect(spelling);
    await stream.write('x');
    t.is(await readAtLeast(stream, 1), 'x', spelling);
    stream.close();
  }
  t.is(server.connections, 4);
  await server.close();
});

test('connect - a refused connection is an IO error with its system code, and no handle is kept', async t => {
  const server = await startTcp();
  const port = server.port;
  await server.close();
  const net = makeNet();
  const cap = net.allow([`127.0.0.1:${port}`]);
  const error = await t.throwsAsync(cap.connect(`127.0.0.1:${port}`));
  t.true(isCathedralError(error, 'IO'));
  t.regex(error.message, /ECONNREFUSED/);
  t.is(net.used().handles, 0);
});

test('listen - an allowed place accepts connections; another is refused', async t => {
  const net = makeNet();
  const cap = net.allow([], { listen: ['127.0.0.1:0'] });
  const listener = await cap.listen('127.0.0.1:0');
  const port = Number(listener.address().split(':')[1]);
  t.true(port > 0);
  const { connect } = await import('node:net');
  const client = connect({ host: '127.0.0.1', port });
  const accepted = await listener.accept();
  client.write('ping');
  t.is(await readAtLeast(accepted, 4), 'ping');
  await accepted.write('pong');
  const reply = await new Promise<string>(resolve => client.once('data', d => resolve(d.toString())));
  t.is(reply, 'pong');
  client.destroy();
  accepted.close();
  listener.close();
  t.is(net.used().handles, 0);
  const error = await t.throwsAsync(cap.listen('127.0.0.1:8080'));
  t.true(isCathedralError(error, 'REFUSED'));
  t.regex(error.message, /To allow it: net.allow\(peers, \{ listen: \['127.0.0.1:8080'\] \}\)/);
  await t.throwsAsync(cap.listen('0.0.0.0:0'), { code: 'REFUSED' } as never);
});

test('ceiling - given a ceiling, connect and fetch need net.connect and listen needs net.listen', async t => {
  const server = await startTcp();
  const net = makeNet();
  const noNet = net.allow([`127.0.0.1:${server.port}`], { ceiling: ['fs.read'], listen: ['127.0.0.1:0'], realm: 'r' });
  const error = await t.throwsAsync(noNet.connect(`127.0.0.1:${server.port}`));
  t.true(isCathedralError(error, 'CEILING'));
  t.regex(error.message, /the effect "net.connect" is outside the realm's ceiling/);
  await t.throwsAsync(noNet.fetch(`http://127.0.0.1:${server.port}/`), { code: 'CEILING' } as never);
  await t.throwsAsync(noNet.listen('127.0.0.1:0'), { code: 'CEILING' } as never);
  const connectOnly = net.allow([`127.0.0.1:${server.port}`], { ceiling: ['net.connect'], listen: ['127.0.0.1:0'] });
  (await connectOnly.connect(`127.0.0.1:${server.port}`)).close();
  await t.throwsAsync(connectOnly.listen('127.0.0.1:0'), { code: 'CEILING' } as never);
  t.true(await eventually(() => server.connections === 1));
  await server.close();
});

test('connect - a unix socket peer is reached by its canonical path; another path is refused', async t => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/cathedral-net-`);
  const { createServer } = await import('node:net');
  let connections = 0;
  const server = createServer(socket => {
    connections += 1;
    socket.on('data', d => socket.write(d));
  });
  await new Promise<void>(resolve => server.listen(`${dir}/app.sock`, resolve));
  const cap = makeNet().allow([`unix:${dir}/app.sock`]);
  const stream = await cap.connect(`unix:${dir}/sub/../app.sock`);
  await stream.write('unix');
  t.is(await readAtLeast(stream, 4), 'unix');
  stream.close();
  const error = await t.throwsAsync(cap.connect(`unix:${dir}/other.sock`));
  t.true(isCathedralError(error, 'REFUSED'));
  t.regex(error.message, /To allow it: net.allow\(\['unix:.*\/other.sock'\]\)/);
  await t.throwsAsync(cap.connect(`unix:app.sock`), { code: 'INVALID_ARGUMENT' } as never);
  t.is(connections, 1);
  await new Promise(resolve => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

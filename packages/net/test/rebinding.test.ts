import test from 'ava';
import { isCathedralError } from '@cathedral/sdk';
import { makeNet } from '../src/index.js';
import { readAtLeast, startHttp, startTcp, text } from './_servers.js';

/**
 * An attacker's resolver for `rebind.test`: the allowed 127.0.0.1 the first
 * time it is asked, the forbidden 127.0.0.2 every time after; other names
 * answer as given in `fixed`.
 */
const rebinding = (fixed: Record<string, readonly string[]> = {}) => {
  const calls: string[] = [];
  const lookup = async (name: string): Promise<readonly string[]> => {
    calls.push(name);
    if (name in fixed) return fixed[name] as readonly string[];
    return calls.filter(n => n === name).length === 1 ? ['127.0.0.1'] : ['127.0.0.2'];
  };
  return { lookup, calls };
};

test('rebinding - a name that answers allowed, then forbidden, only ever reaches the allowed address', async t => {
  const allowed = await startTcp();
  const forbidden = await startTcp({ host: '127.0.0.2', port: allowed.port });
  const { lookup, calls } = rebinding();
  const cap = makeNet({ lookup }).allow([`127.0.0.1:${allowed.port}`]);
  // The first connect checks 127.0.0.1 and connects to that checked address, with no second lookup.
  const stream = await cap.connect(`rebind.test:${allowed.port}`);
  await stream.write('one');
  t.is(await readAtLeast(stream, 3), 'one');
  stream.close();
  t.deepEqual(calls, ['rebind.test']);
  // Later answers are forbidden: refused, never connected.
  const error = await t.throwsAsync(cap.connect(`rebind.test:${allowed.port}`));
  t.true(isCathedralError(error, 'REFUSED'));
  t.regex(error.message, /resolves to 127\.0\.0\.2, none of them allowed/);
  t.is(allowed.connections, 1);
  t.is(forbidden.connections, 0);
  await allowed.close();
  await forbidden.close();
});

test('rebinding - of several answers, only an allowed one is used, whatever the order', async t => {
  const allowed = await startTcp();
  const forbidden = await startTcp({ host: '127.0.0.2', port: allowed.port });
  const { lookup } = rebinding({ 'first.test': ['127.0.0.2', '127.0.0.1'], 'second.test': ['127.0.0.1', '127.0.0.2'], 'mapped.test': ['::ffff:127.0.0.2', '0177.0.0.1'] });
  const cap = makeNet({ lookup }).allow([`127.0.0.1:${allowed.port}`]);
  for (const name of ['first.test', 'second.test', 'mapped.test']) {
    const stream = await cap.connect(`${name}:${allowed.port}`);
    await stream.write('x');
    t.is(await readAtLeast(stream, 1), 'x');
    stream.close();
  }
  t.is(allowed.connections, 3);
  t.is(forbidden.connections, 0);
  await allowed.close();
  await forbidden.close();
});

test('rebinding - an allowed name is resolved once per check, and the connection goes to that answer', async t => {
  const allowed = await startTcp();
  const forbidden = await startTcp({ host: '127.0.0.2', port: allowed.port });
  const { lookup, calls } = rebinding();
  const cap = makeNet({ lookup }).allow([`rebind.test:${allowed.port}`]);
  const stream = await cap.connect(`rebind.test:${allowed.port}`);
  stream.close();
  t.deepEqual(calls, ['rebind.test']);
  t.is(allowed.connections, 1);
  await allowed.close();
  await forbidden.close();
});

test('rebinding - fetch pins the checked address for the request and for each redirect', async t => {
  const allowed = await startHttp('allowed');
  const forbidden = await startHttp('forbidden', { host: '127.0.0.2', port: allowed.port });
  const { lookup } = rebinding();
  const cap = makeNet({ lookup }).allow([`127.0.0.1:${allowed.port}`]);
  const res = await cap.fetch(`http://rebind.test:${allowed.port}/hello`);
  t.is(text(res.body), 'hello from allowed');
  t.is(allowed.requests[0]?.host, `rebind.test:${allowed.port}`);
  // A redirect to the same name is checked again: the resolver now answers the forbidden address.
  const error = await t.throwsAsync(cap.fetch(`http://127.0.0.1:${allowed.port}/redirect?to=${encodeURIComponent(`http://rebind.test:${allowed.port}/hello`)}`));
  t.true(isCathedralError(error, 'REFUSED'));
  t.is(forbidden.requests.length, 0);
  await allowed.close();
  await forbidden.close();
});

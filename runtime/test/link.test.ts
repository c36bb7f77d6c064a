/**
 * The host's CapTP connection to a guest (src/tiers/link.ts), over an
 * in-memory channel with a stock CapTP on the guest's end: the guest's
 * bootstrap is asked for once it says it is ready, so a warm child is taken
 * with it answered; before a realm attaches, a guest may call nothing and a
 * protocol violation stops it; a realm that attaches takes over the
 * questions still waiting.
 */
import test from 'ava';
import { makeCapTP } from '@endo/captp';
import { E, Far } from '@endo/far';
import { type Channel, batching } from '../src/tiers/channel.js';
import { type LinkHooks, makeLink } from '../src/tiers/link.js';

/** Two ends of an in-memory channel; what one sends arrives at the other after the current turn. */
const channelPair = (): { host: Channel; guest: Channel } => {
  const listeners: { host: Array<(m: unknown) => void>; guest: Array<(m: unknown) => void> } = { host: [], guest: [] };
  const end = (mine: 'host' | 'guest', theirs: 'host' | 'guest'): Channel => ({
    send: message => {
      // A structured clone, as a real channel makes.
      const copy = structuredClone(message);
      setImmediate(() => {
        for (const listener of listeners[theirs]) listener(copy);
      });
    },
    onMessage: listener => {
      listeners[mine].push(listener);
    },
    close: () => {
      listeners[mine] = [];
    },
  });
  return { host: end('host', 'guest'), guest: end('guest', 'host') };
};

/** A guest end: a stock CapTP whose bootstrap answers `ping`, and a way to send raw messages. */
const makeGuest = (channel: Channel) => {
  const guestChannel = batching(channel);
  const captp = makeCapTP('test-guest', (message: unknown) => guestChannel.send(message), Far('GuestBootstrap', { ping: (x: number) => x + 1 }), { onReject: () => {} });
  const received: unknown[] = [];
  guestChannel.onMessage(message => {
    received.push(message);
    if (typeof message === 'object' && message !== null && 'type' in message) void captp.dispatch(message as never);
  });
  return { send: (message: unknown) => guestChannel.send(message), received };
};

const turns = (n = 5) => new Promise<void>(resolve => {
  let left = n;
  const next = () => (--left <= 0 ? resolve() : setImmediate(next));
  setImmediate(next);
});

const hooks = (overrides: Partial<LinkHooks> = {}): LinkHooks => ({
  realm: 'linked',
  answers: () => false,
  live: () => true,
  violation: () => {},
  fast: () => {},
  call: () => {},
  waiting: () => {},
  ...overrides,
});

test("the guest's bootstrap is asked for once it says it is ready, before any realm attaches", async t => {
  const { host, guest } = channelPair();
  const link = makeLink(host, 'pool', () => t.fail('no violation expected'));
  const remote = makeGuest(guest);
  await turns();
  t.false(remote.received.some(m => (m as { type?: string }).type === 'CTP_BOOTSTRAP'), 'nothing is asked of a guest that is not ready');
  remote.send({ cathedral: 'ready', tid: 7, pid: 42 });
  t.deepEqual(await link.ready, { tid: 7, pid: 42 });
  const bootstrap = await link.bootstrap;
  t.deepEqual(link.info(), { tid: 7, pid: 42 });
  t.is(await E(bootstrap as { ping(x: number): Promise<number> }).ping(1), 2, 'the presence works once a realm attaches');
});

test('before a realm attaches, a call from the guest is refused and never reaches CapTP', async t => {
  const { host, guest } = channelPair();
  const link = makeLink(host, 'pool', () => t.fail('a refused call is no violation'));
  const remote = makeGuest(guest);
  remote.send({ cathedral: 'ready' });
  await link.bootstrap;
  remote.send({ type: 'CTP_CALL', epoch: 0, questionID: 'q-9', target: 'o-1', method: { body: '["read",[]]', slots: [] } });
  await turns();
  const reply = remote.received.find(m => (m as { answerID?: string }).answerID === 'q-9') as { type: string; result: { body: string } } | undefined;
  t.is(reply?.type, 'CTP_RETURN');
  t.regex(reply?.result.body ?? '', /no such method on a capability the host handed over/);
});

test('before a realm attaches, a protocol violation stops the guest', async t => {
  const { host, guest } = channelPair();
  const problems: string[] = [];
  makeLink(host, 'pool', problem => problems.push(problem));
  const remote = makeGuest(guest);
  remote.send({ type: 'CTP_NONSENSE' });
  await turns();
  t.is(problems.length, 1);
  t.regex(problems[0] ?? '', /CTP_NONSENSE/);
});

test("a realm that attaches takes over the questions still waiting, and the guest's fast answers", async t => {
  const { host, guest } = channelPair();
  const link = makeLink(host, 'pool', () => t.fail('no violation expected'));
  const remote = makeGuest(guest);
  remote.send({ cathedral: 'ready' });
  await link.ready;
  // The bootstrap question has left, and its answer has not come back yet.
  const waits: number[] = [];
  const answers: unknown[] = [];
  link.attach(hooks({ waiting: delta => waits.push(delta), fast: message => answers.push(message) }));
  t.deepEqual(waits, [1], 'the bootstrap question is waited on from the attach');
  await link.bootstrap;
  t.deepEqual(waits, [1, -1], 'and its answer ends the wait');
  remote.send([1, 3]);
  remote.send({ cathedral: 'something else' });
  await turns();
  t.deepEqual(answers, [[1, 3]], 'fast answers (arrays) reach the realm; other control messages do not');
  t.throws(() => link.attach(hooks()), { message: /already a realm's/ });
});

/**
 * Calls a guest makes on one host capability are delivered in the order it
 * made them, at every tier, whichever path each takes across a boundary
 * (src/tiers/fast-calls.ts: plain arguments skip CapTP, a capability
 * argument takes it).
 */
import { memory } from '@cathedral/powerbox';
import { Far } from '@endo/far';
import { call, eachTier, makeTestHost } from './_realm.js';

eachTier('call order - calls on one capability arrive in the order made, plain arguments or not', async (t, tier) => {
  const { host } = await makeTestHost();
  const log: string[] = [];
  const recorder = Far('Recorder', {
    note: (what: unknown) => void log.push(String(what)),
    noteWith: (what: unknown, _cap: unknown) => void log.push(String(what)),
  });
  const token = Far('Token', { id: () => 1 });
  const realm = await host.spawn({
    tier,
    main: 'app://main.js',
    realms: {
      app: memory({
        'main.js': `
          export const run = async () => {
            const calls = [recorder.note('a'), recorder.noteWith('b', token), recorder.note('c'), recorder.noteWith('d', token), recorder.note('e')];
            await Promise.all(calls);
            await recorder.note('f');
          };`,
      }),
    },
    caps: { recorder, token },
  });
  await call(realm, 'run');
  t.deepEqual(log, ['a', 'b', 'c', 'd', 'e', 'f']);
  await realm.terminate();
});

eachTier('call order - the host\'s calls of one export arrive in the order made, plain arguments or not', async (t, tier) => {
  const { host } = await makeTestHost();
  const token = Far('Token', { id: () => 1 });
  const realm = await host.spawn({
    tier,
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': 'const log = []; export const note = (what, _cap) => { log.push(what); return log.length; }; export const seen = () => log.join(\'\');' }) },
  });
  const note = realm.exports['note'] as (what: string, cap?: unknown) => Promise<number>;
  await Promise.all([note('a'), note('b', token), note('c'), note('d', token), note('e')]);
  t.is(await call(realm, 'seen'), 'abcde');
  await realm.terminate();
});

/**
 * Bytes a guest hands to host capabilities are recognised by their internal
 * slot: a guest Uint8Array whose prototype is a Proxy runs none of its traps
 * in the host, and what is written is the guest's bytes or a refusal.
 */
import { memory } from '@cathedral/powerbox';
import { call, eachTier, makeTestHost } from './_realm.js';

eachTier('a guest Uint8Array with a Proxy prototype is written as bytes without running its traps', async (t, tier) => {
  const { host } = await makeTestHost();
  const data = memory();
  const app = memory({
    'main.js': `export const run = async () => {
      const touched = [];
      const bytes = new Uint8Array([104, 105]);
      Object.setPrototypeOf(bytes, new Proxy({}, {
        get: (_, key) => { touched.push(String(key)); return undefined; },
        getPrototypeOf: () => { touched.push('getPrototypeOf'); return null; },
        has: (_, key) => { touched.push('has ' + String(key)); return false; },
      }));
      let outcome;
      try { await (await resolve('data://')).write('f.bin', bytes); outcome = 'written'; } catch (e) { outcome = e.code; }
      return [outcome, touched];
    };`,
  });
  const realm = await host.spawn({ tier, main: 'app://main.js', realms: { app, data } });
  const [outcome, touched] = await call<[string, string[]]>(realm, 'run');
  // At the remote tiers the guest's traps may run, in the guest's own thread
  // or process (the runtime's guest side reads the array there); the host,
  // where the compartment tier runs them, never does.
  if (tier === 'compartment') t.deepEqual(touched, [], 'no trap of the guest ran in the host');
  if (outcome === 'written') t.is(await data.readText('f.bin'), 'hi');
  else t.is(outcome, 'INVALID_ARGUMENT');
  await realm.terminate();
});

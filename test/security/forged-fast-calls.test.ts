/**
 * A guest's fast calls of host capabilities (runtime/src/tiers/fast-calls.ts),
 * forged: the guest writes the messages itself, as a guest that got past the
 * language wall could. The host is made with `kernel:
 * 'lowered-language-wall-for-tests'`, so the process-tier guest holds Node's
 * own `process` and sends raw `[id, slot, method, ...args]` arrays on its
 * channel to the host.
 *
 * What must hold: a forged call reaches only a method of a capability the
 * host exported to *this* guest (what it could call anyway); any other slot,
 * a method the capability does not have (`constructor`, `__proto__`,
 * `toString`), or a capability called as a function is answered with a
 * refusal; a malformed message is dropped; a capability handed to a sibling
 * realm is never reached; and the host, its capabilities and the realm keep
 * working.
 *
 * Where the kernel wall is absent the test skips with the reason in its
 * title (the lowered mode needs it); with CATHEDRAL_REQUIRE_KERNEL=1 it fails.
 */
import test from 'ava';
import { memory } from '@cathedral/powerbox';
import { Far } from '@cathedral/sdk';
import { createHost, kernelWallStatus } from '@cathedral/runtime';

const wall = kernelWallStatus();
const requireKernel = process.env['CATHEDRAL_REQUIRE_KERNEL'] === '1';

const FORGER = `
const FIRST = -1000000;
export const forge = async slots => {
  const answers = new Map();
  const take = message => {
    if (Array.isArray(message) && typeof message[0] === 'number' && message[0] <= FIRST) answers.set(message[0], message.slice(1));
  };
  // What the host sends in one turn arrives as one batch.
  const listener = message => (message !== null && typeof message === 'object' && message.cathedral === 'batch' ? message.messages.forEach(take) : take(message));
  process.on('message', listener);
  let id = FIRST;
  const sent = [];
  const send = (what, message) => { id -= 1; sent.push([id, what]); process.send([id, ...message]); };
  for (let n = 0; n <= slots; n += 1) {
    for (const method of ['read', 'reveal', 'hello', 'constructor', '__proto__', 'toString', null]) send('o+' + n + ' ' + method, ['o+' + n, method, 'forged']);
  }
  send('no such slot', ['o+999999', 'hello', 'x']);
  send('a slot that is not a string', [7, 'hello', 'x']);
  send('a method that is not a string', ['o+1', 42, 'x']);
  let deep = [];
  for (let i = 0; i < 400; i += 1) deep = [deep];
  send('arguments too deep', ['o+1', 'hello', deep]);
  process.send([5, 'a forged answer to a call the host never made']);
  process.send([FIRST + 1]);
  // Each forged call the host refuses is answered in the turn it arrives; a real call after them is answered after.
  const after = await cap.hello('after');
  await cap.hello('and once more');
  process.off('message', listener);
  return { after, outcomes: sent.map(([n, what]) => [what, answers.has(n) ? answers.get(n) : 'no answer']) };
};
`;

const title = 'forged fast calls - a guest writing its own [id, slot, method, ...args] reaches only what it holds; the host stays intact';
if (!wall.present) {
  if (requireKernel) test(title, t => t.fail(`CATHEDRAL_REQUIRE_KERNEL=1 but the kernel wall is absent: ${wall.absent}`));
  else test.skip(`${title} (skipped: the kernel wall is absent: ${wall.absent})`, () => {});
} else {
  test(title, async t => {
    const host = await createHost({ console: () => {}, report: () => {}, kernel: 'lowered-language-wall-for-tests' });
    const hellos: unknown[] = [];
    let revealed = 0;
    const cap = Far('Greeter', { hello: (who: unknown) => (hellos.push(who), `hello ${String(who)}`) });
    const secret = Far('Secret', { reveal: () => ((revealed += 1), 'the sibling\'s secret') });
    const sibling = await host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: memory({ 'main.js': 'export const use = () => secret.reveal();' }) }, caps: { secret } });
    const forger = await host.spawn({ tier: 'process', main: 'app://main.js', realms: { app: memory({ 'main.js': FORGER }) }, caps: { cap } });
    try {
      t.is(await sibling.call('use'), 'the sibling\'s secret');
      const before = revealed;
      const { after, outcomes } = (await forger.call('forge', 60)) as { after: string; outcomes: Array<[string, unknown]> };
      t.is(after, 'hello after', 'the realm answers after the forgeries');
      t.is(revealed, before, "the sibling's capability was never reached");
      const answered = outcomes.filter(([, got]) => Array.isArray(got) && got.length === 1);
      // Only the capability's own method answered, and only with what calling it answers.
      t.true(answered.length >= 1, 'a forged call of a method the guest holds is a call it could make anyway');
      for (const [what, got] of answered) {
        if (!what.endsWith(' hello') && !what.endsWith(' read')) t.fail(`${what} answered ${JSON.stringify(got)}`);
      }
      for (const [what, got] of outcomes) {
        if (JSON.stringify(got).includes('secret')) t.fail(`${what} reached the sibling: ${JSON.stringify(got)}`);
        if (/ (constructor|__proto__|toString|null|reveal)$/.test(what) || ['no such slot', 'a slot that is not a string', 'a method that is not a string'].includes(what)) {
          t.true(Array.isArray(got) && got[1] === 'refusal', `${what} is refused: ${JSON.stringify(got).slice(0, 160)}`);
          if (Array.isArray(got)) t.like(got[0], { code: 'GUEST' });
        }
      }
      const refused = outcomes.filter(([, got]) => Array.isArray(got) && got[1] === 'refusal').length;
      t.log(`${outcomes.length} forged messages: ${answered.length} answered (${answered.map(([what]) => what).join(', ')}), ${refused} refused`);
      const deep = outcomes.find(([what]) => what === 'arguments too deep');
      t.is(deep?.[1], 'no answer', 'a call whose arguments are not plain data within bounds is dropped');
      t.deepEqual(
        hellos.filter(who => who !== 'forged'),
        ['after', 'and once more'],
        'the capability met only plain arguments: its own calls, and forged calls of it',
      );
      t.is(await sibling.call('use'), 'the sibling\'s secret', 'the sibling still works');
      t.is(await cap.hello('host'), 'hello host', "the host's capability still works");
    } finally {
      await forger.terminate();
      await sibling.terminate();
      await host.close();
    }
  });
}

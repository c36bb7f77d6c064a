import test from 'ava';
import { E, Far } from '@endo/far';
import { memory, readOnly } from '@cathedral/powerbox';
import type { DirNode } from '@cathedral/sdk';
import { isCathedralError } from '@cathedral/sdk';
import { call, eachTier, makeTestHost } from './_realm.js';

const spawnWith = async (source: string, extra: Record<string, unknown> = {}) => {
  const setup = await makeTestHost();
  const realm = await setup.host.spawn({
    tier: 'compartment',
    name: 'owner',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': source, docs: { 'a.txt': 'A' } }), system: memory({ 'etc.txt': 'E' }) },
    authority: true,
    ...extra,
  } as never);
  return { ...setup, realm };
};

const attempt = `const attempt = async f => { try { return ['ok', await f()]; } catch (e) { return [e.code, e.message]; } };`;

eachTier('mint - over its own node: a revocable capability with a token that resolves through this authority', async (t, tier) => {
  const { realm } = await spawnWith(`${attempt}
    export const run = async () => {
      const docs = await resolve('app://docs');
      const ro = await authority.mint(docs);
      const rw = await authority.mint(docs, ['read', 'write']);
      const back = await authority.lookup(ro.token);
      return [
        await back.readText('a.txt'),
        (await attempt(() => ro.node.write('a.txt', 'x')))[0],
        (await attempt(() => rw.node.write('b.txt', 'y')))[0],
        await docs.readText('b.txt'),
        typeof ro.token, ro.token.length >= 22,
      ];
    };`);
  t.deepEqual(await call(realm, 'run'), ['A', 'CEILING', 'ok', 'y', 'string', true]);
});

eachTier('mint rule - nodes from system:, from the host, forged, or attenuations of them are refused with MintError', async (t, tier) => {
  const { host } = await makeTestHost();
  const hostNode = memory({ 'h.txt': 'H' });
  const realm = await host.spawn({
    tier,
    name: 'owner',
    main: 'app://main.js',
    authority: true,
    realms: {
      app: memory({ 'main.js': `${attempt}
        export const run = async given => {
          const sys = await resolve('system://');
          const forged = Far('Dir', { read: async () => new Uint8Array(), readText: async () => 'forged' });
          return [
            await attempt(() => authority.mint(sys)),
            await attempt(() => authority.mint(given)),
            await attempt(() => authority.mint(forged)),
            await attempt(async () => authority.mint(await authority.readOnly(sys))),
          ];
        };` }),
      system: memory({ 'etc.txt': 'E' }),
    },
  });
  const results = await call<Array<[string, string]>>(realm, 'run', hostNode);
  for (const [code] of results) t.is(code, 'MINT');
  t.regex(results[0]![1], /system:\/\//);
  t.regex(results[0]![1], /"host"/);
  t.regex(results[0]![1], /"owner"/);
  t.regex(results[3]![1], /system:\/\//);
});

eachTier('mint rule - a sibling realm\'s node smuggled through a message is refused naming both realms', async (t, tier) => {
  const { host } = await makeTestHost();
  let parked: unknown;
  const mailbox = Far('Mailbox', { put: (node: unknown) => { parked = node; }, take: () => parked });
  const spawn = (name: string, source: string) =>
    host.spawn({ tier, name, main: 'app://main.js', authority: true, caps: { mailbox }, realms: { app: memory({ 'main.js': source, 'mine.txt': name }) } });
  const alice = await spawn('alice', `export const give = async () => mailbox.put(await resolve('app://'));`);
  const bob = await spawn('bob', `${attempt} export const steal = async () => attempt(async () => authority.mint(await mailbox.take()));`);
  await call(alice, 'give');
  const [code, message] = await call<[string, string]>(bob, 'steal');
  t.is(code, 'MINT');
  t.regex(message, /"alice"/);
  t.regex(message, /"bob"/);
});

eachTier('tokens - forged, a sibling\'s, and revoked tokens never resolve', async (t, tier) => {
  const { host } = await makeTestHost();
  let aliceToken = '';
  const board = Far('Board', { post: (token: string) => { aliceToken = token; }, read: () => aliceToken });
  const spawn = (name: string, source: string) =>
    host.spawn({ tier, name, main: 'app://main.js', authority: true, caps: { board }, realms: { app: memory({ 'main.js': source, 'f.txt': name }) } });
  const alice = await spawn('alice', `${attempt}
    export const run = async () => {
      const minted = await authority.mint(await resolve('app://f.txt'));
      await board.post(minted.token);
      const before = await (await authority.lookup(minted.token)).readText();
      await authority.revoke(minted.token);
      return [before, await attempt(() => authority.lookup(minted.token)), await attempt(() => minted.node.readText())];
    };`);
  const bob = await spawn('bob', `${attempt}
    export const run = async () => [
      await attempt(async () => authority.lookup(await board.read())),
      await attempt(() => authority.lookup('AAAAAAAAAAAAAAAAAAAAAAAA')),
      await attempt(() => authority.lookup({ toString: () => 'x' })),
    ];`);
  const [before, afterLookup, afterUse] = await call<[string, [string], [string]]>(alice, 'run');
  t.is(before, 'alice');
  t.is(afterLookup[0], 'REVOKED');
  t.is(afterUse[0], 'REVOKED');
  const results = await call<Array<[string]>>(bob, 'run');
  t.deepEqual(results.map(r => r[0]), ['MINT', 'MINT', 'MINT']);
});

eachTier('grant - a minted capability bound into a child, then revoked while the child runs', async (t, tier) => {
  const { host } = await makeTestHost();
  const realm = await host.spawn({
    tier,
    name: 'parent',
    main: 'app://main.js',
    authority: true,
    realms: {
      app: memory({
        'main.js': `
          let child; let minted;
          const kidRead = async () => (await child.exports()).read();
          export const start = async () => {
            child = await authority.spawn({ name: 'kid', main: 'app://main.js', realms: { app: await authority.subtree(await resolve('app://'), 'kid') } });
            const before = await kidRead();
            minted = await authority.mint(await resolve('app://docs'));
            await authority.grant(child, 'shared', minted.node);
            return [before, await kidRead()];
          };
          export const cut = async () => { await authority.revoke(minted.node); return kidRead(); };`,
        docs: { 'a.txt': 'A' },
        kid: { 'main.js': `export const read = async () => { try { return await (await resolve('shared://a.txt')).readText(); } catch (e) { return e.code; } };` },
      }),
    },
  });
  t.deepEqual(await call(realm, 'start'), ['UNKNOWN_REALM', 'A']);
  t.is(await call(realm, 'cut'), 'REVOKED');
  const grants = host.ledger.query({ action: 'grant' });
  t.is(grants.length, 1);
  t.is(grants[0]!.for, 'parent/kid');
  t.is(grants[0]!.by, 'parent');
  t.regex(grants[0]!.route ?? '', /revocable ← readOnly/);
});

eachTier('nesting - a realm with authority hosts children to depth 6, each narrower, none wider', async (t, tier) => {
  const level = `${attempt}
    export const descend = async depth => {
      const app = await resolve('app://');
      const report = { depth, sees: (await app.list()).map(e => e.name).join(','), write: (await attempt(() => app.write('probe.txt', 'x')))[0] };
      report.up = (await attempt(() => resolve('app://../main.js')))[0];
      if (depth === 0) return [report];
      let root = await authority.subtree(app, 'next');
      if (depth === 4) root = await authority.readOnly(root);
      const child = await authority.spawn({ name: 'level' + (depth - 1), main: 'app://main.js', realms: { app: root }, authority: true });
      const beyond = await attempt(() => authority.spawn({ name: 'wide', main: 'app://main.js', realms: { app: root }, ceiling: ['fs.read', 'net.connect'] }));
      report.wider = beyond[0];
      return [report, ...(await (await child.exports()).descend(depth - 1))];
    };`;
  const tree = (depth: number): Record<string, unknown> =>
    depth < 0 ? {} : { 'main.js': level, [`own-${depth}.txt`]: String(depth), next: tree(depth - 1) };
  const { host } = await makeTestHost();
  const realm = await host.spawn({
    tier,
    name: 'top',
    main: 'app://main.js',
    authority: true,
    ceiling: ['fs.read', 'fs.write', 'proc.spawn', 'proc.list', 'authority.mint'],
    realms: { app: memory(tree(6) as never) },
  });
  const reports = await call<Array<{ depth: number; sees: string; write: string; up: string; wider?: string }>>(realm, 'descend', 6);
  t.is(reports.length, 7);
  for (const r of reports) {
    t.true(r.sees.includes(`own-${r.depth}.txt`), `depth ${r.depth} sees its own file`);
    t.false(r.sees.includes(`own-${r.depth + 1}.txt`), `depth ${r.depth} does not see its parent's`);
    t.is(r.write, r.depth >= 4 ? 'ok' : 'CEILING', `depth ${r.depth} write`);
    t.is(r.up, 'PATH_ESCAPE');
    if (r.depth > 0) t.is(r.wider, 'CEILING', `depth ${r.depth} cannot widen its child's ceiling`);
  }
  t.deepEqual(host.ps().map(p => p.name), ['top', 'top/level5', 'top/level5/level4', 'top/level5/level4/level3', 'top/level5/level4/level3/level2', 'top/level5/level4/level3/level2/level1', 'top/level5/level4/level3/level2/level1/level0']);
  await realm.terminate();
  t.deepEqual(host.ps(), []);
});

eachTier('ceiling - spawning or minting without the effect in the ceiling is refused', async (t, tier) => {
  const { realm } = await spawnWith(`${attempt}
    export const run = async () => [
      await attempt(() => authority.spawn({ main: 'app://main.js', realms: {} })),
      await attempt(async () => authority.mint(await resolve('app://docs'))),
      await attempt(() => authority.children()),
    ];`, { ceiling: ['fs.read'] });
  const results = await call<Array<[string, string]>>(realm, 'run');
  t.deepEqual(results.map(r => r[0]), ['CEILING', 'CEILING', 'CEILING']);
  t.regex(results[0]![1], /proc\.spawn/);
  t.regex(results[1]![1], /authority\.mint/);
  t.regex(results[2]![1], /proc\.list/);
});

eachTier('ledger - a refusal explains its route, and the ledger records mints and grants', async (t, tier) => {
  const { host } = await makeTestHost();
  const realm = await host.spawn({
    tier,
    name: 'plugin-a',
    main: 'app://main.js',
    realms: {
      app: memory({ 'main.js': `export const run = async () => { try { await (await resolve('user://docs/a.txt')).write('x'); } catch (e) { return e.message; } };` }),
      user: readOnly(memory({ docs: { 'a.txt': 'A' } })),
    },
  });
  const message = await call<string>(realm, 'run');
  t.regex(message, /^write "user:\/\/docs\/a\.txt" in realm "plugin-a": it is not writable/);
  t.regex(message, /realm "plugin-a" holds user:\/\/ through readOnly ← memory, granted by "host"/);
  const spawns = host.ledger.query({ action: 'spawn' });
  t.true(spawns.some(e => e.for === 'plugin-a' && e.by === 'host'));
});

eachTier('requests - the host decider answers with a node or a refusal, and sees a neutralised purpose', async (t, tier) => {
  const seen: string[] = [];
  const { host } = await makeTestHost();
  void host;
  const { createHost } = await import('../src/index.js');
  const picker = await createHost({
    console: () => {},
    decide: request => {
      seen.push(request.purpose);
      return request.kind === 'pick-file' ? readOnly(memory({ 'picked.txt': 'P' })) : undefined;
    },
  });
  const realm = await picker.spawn({
    tier,
    name: 'asker',
    main: 'app://main.js',
    realms: { app: memory({ 'main.js': `${attempt}
      export const run = async () => [
        await (await request({ kind: 'pick-file', purpose: 'open \\u001b[31ma report' })).readText('picked.txt'),
        (await attempt(() => request({ kind: 'root-shell', purpose: 'please' })))[0],
        (await attempt(() => request({ kind: 42 })))[0],
      ];` }) },
  });
  t.deepEqual(await call(realm, 'run'), ['P', 'REFUSED', 'INVALID_ARGUMENT']);
  t.false(seen[0]!.includes('\u001b'));
  t.is(picker.ledger.query({ action: 'request' }).length, 1);
  t.is(picker.ledger.query({ action: 'refuse' }).length, 1);
});

eachTier('process listing - children() shows only the realms it spawned, under ids that reveal nothing', async (t, tier) => {
  const { host } = await makeTestHost();
  const tree = { 'main.js': `export const run = async () => {
      const app = await resolve('app://');
      await authority.spawn({ name: 'a', main: 'app://kid.js', realms: { app } });
      await authority.spawn({ name: 'b', main: 'app://kid.js', realms: { app } });
      return authority.children();
    };`, 'kid.js': 'export const x = 1;' };
  const one = await host.spawn({ tier, name: 'one', main: 'app://main.js', authority: true, realms: { app: memory(tree) } });
  const two = await host.spawn({ tier, name: 'two', main: 'app://main.js', authority: true, realms: { app: memory(tree) } });
  const seenByOne = await call<Array<{ id: string; name: string }>>(one, 'run');
  await call(two, 'run');
  t.deepEqual(seenByOne.map(p => [p.id, p.name]), [['r1', 'one/a'], ['r2', 'one/b']]);
  t.is(host.ps().length, 6);
});

eachTier('terminate - ending a parent ends its children and their capabilities', async (t, tier) => {
  const { host } = await makeTestHost();
  let kidRead: (() => Promise<unknown>) | undefined;
  const keep = Far('Keep', { keep: (fn: () => Promise<unknown>) => { kidRead = fn; } });
  const realm = await host.spawn({
    tier,
    name: 'parent',
    main: 'app://main.js',
    authority: true,
    caps: { keep },
    realms: {
      app: memory({
        'main.js': `export const start = async () => {
          const kid = await authority.spawn({ name: 'k', main: 'app://k.js', realms: { app: await resolve('app://') } });
          await keep.keep((await kid.exports()).read);
        };`,
        'k.js': `export const read = async () => { try { return await (await resolve('app://k.js')).readText(); } catch (e) { return e.code; } };`,
      }),
    },
  });
  await call(realm, 'start');
  t.is(host.ps().length, 2);
  t.regex(String(await E(kidRead!)()), /export const read/);
  await realm.terminate();
  t.deepEqual(host.ps(), []);
  // The child's function reached the host through its parent's gate, which refuses.
  await t.throwsAsync(async () => E(kidRead!)(), { code: 'REVOKED' } as never);
});

test('nesting - a child is never less isolated than its parent, nor given a larger budget', async t => {
  const { host } = await makeTestHost();
  const realm = await host.spawn({
    tier: 'worker',
    name: 'parent',
    main: 'app://main.js',
    authority: true,
    budget: { cpuMs: 5000, wallMs: 60_000 },
    realms: {
      app: memory({
        'main.js': `${attempt}
          export const run = async () => {
            const app = await resolve('app://');
            const spec = extra => ({ main: 'app://kid.js', realms: { app }, ...extra });
            return [
              await attempt(() => authority.spawn(spec({ tier: 'compartment' }))),
              await attempt(() => authority.spawn(spec({ budget: { cpuMs: 6000 } }))),
              (await attempt(async () => (await authority.spawn(spec({ budget: { cpuMs: 3000 } }))).realmName()))[0],
              (await attempt(async () => (await authority.spawn(spec({}))).realmName()))[0],
              await attempt(() => authority.spawn(spec({ budget: { wallMs: 120000 } }))),
            ];
          };`,
        'kid.js': 'export const x = 1;',
      }),
    },
  });
  const results = await call<Array<[string, string] | string>>(realm, 'run');
  const [weaker, tooMuch, first, second, longer] = results as [[string, string], [string, string], string, [string, string], [string, string]];
  t.is(weaker![0], 'CEILING');
  t.regex(weaker![1], /less isolated/);
  t.is(tooMuch![0], 'BUDGET_EXCEEDED');
  t.regex(tooMuch![1], /has only 5000/);
  t.is(first, 'ok');
  t.is(second as unknown as string, 'ok');
  t.is(longer![0], 'BUDGET_EXCEEDED');
  await realm.terminate();
});

test('nesting - a refusal in a child names the child and the URI it wrote, not its parent\'s', async t => {
  const { host } = await makeTestHost();
  const realm = await host.spawn({
    tier: 'compartment',
    name: 'parent',
    main: 'app://main.js',
    authority: true,
    realms: {
      app: memory({
        'main.js': `export const run = async () => {
            const kid = await authority.spawn({ name: 'kid', main: 'app://main.js', realms: { app: await authority.subtree(await resolve('app://'), 'kid') } });
            return (await kid.exports()).probe();
          };`,
        kid: { 'main.js': `export const probe = async () => { try { await resolve('app://missing.txt'); } catch (e) { return [e.code, e.realm, e.target]; } };` },
      }),
    },
  });
  t.deepEqual(await call(realm, 'run'), ['NOT_FOUND', 'parent/kid', 'app://missing.txt']);
});

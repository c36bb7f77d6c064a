import test from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format } from 'node:util';
import { kernelWallStatus } from '@cathedral/runtime';
import {
  DEFAULT_POLICY,
  type EscapesResult,
  type FailedResult,
  type HostedResult,
  type PluginHostOptions,
  type PluginHostResult,
  type PluginResult,
  type PollsResult,
  type ReadsResult,
  type StoppedResult,
  recordPluginLocks,
  runPluginHost,
} from '../src/host-app.js';
import { makeStrayConsole } from '../src/stray-console.js';
import { lockFile, makePlugins, pluginsDir, runMain, systemDir, userDir } from './_example.js';

type Extra = Partial<Pick<PluginHostOptions, 'policies' | 'defaultPolicy' | 'userDir' | 'kernel' | 'locks'>>;

/** What this machine offers: the tests assert what the example does with it, either way. */
const wall = kernelWallStatus();

const run = async (dir = pluginsDir, extra: Extra = { userDir }): Promise<{ result: PluginHostResult; lines: string[] }> => {
  const lines: string[] = [];
  const result = await runPluginHost({ pluginsDir: dir, systemDir, log: line => lines.push(line), ...extra });
  return { result, lines };
};

// The shipped lock file, as main.js reads it.
const shippedLocks = async () => (JSON.parse(await readFile(lockFile, 'utf8')) as { plugins: Record<string, unknown> }).plugins;

// Every shipped plugin is a process (eleven with the gallery's): run them once for all the tests that read the result.
let shipped: ReturnType<typeof run> | undefined;
const showcase = () => (shipped ??= shippedLocks().then(locks => run(pluginsDir, { userDir, locks })));

const byName = (results: readonly PluginResult[], name: string): PluginResult => {
  const found = results.find(p => p.name === name);
  if (found === undefined) throw new Error(`no plugin ${name}`);
  return found;
};

test('showcase - each well-behaved plugin returns its result', async t => {
  const { result } = await showcase();
  t.like(byName(result.plugins, 'uppercase'), { kind: 'value', call: 'transform("hello, plugins")', value: 'HELLO, PLUGINS' });
  t.like(byName(result.plugins, 'greeter'), { kind: 'value', call: 'run()', value: 'Hello, plugin authors!' });
  t.like(byName(result.plugins, 'wordsmith'), { kind: 'value', value: '5 words: Capability · Realm · Root · Ceiling · Attenuation' });
});

test('showcase - every plugin ran at the process tier with its budget, and its limits are what the runtime reported', async t => {
  const { result } = await showcase();
  t.deepEqual(result.plugins.map(p => [p.name, p.kind]), [
    ['gallery', 'hosted'],
    ['greeter', 'value'],
    ['hostile', 'escapes'],
    ['poller', 'polls'],
    ['reader', 'reads'],
    ['spinner', 'stopped'],
    ['uppercase', 'value'],
    ['wordsmith', 'value'],
  ]);
  for (const plugin of result.plugins) {
    const limits = plugin.limits!;
    t.is(limits.tier, 'process', plugin.name);
    t.is(limits.budget.cpuMs, 1_000, plugin.name);
    t.is(limits.budget.heapMb, 64, plugin.name);
    t.regex(limits.enforcement['cpuMs'] ?? '', /watchdog/, plugin.name);
    t.regex(limits.enforcement['names'] ?? '', /child process/, plugin.name);
    t.is(limits.enforcement['hostSurvivesFatalError'], 'yes', plugin.name);
    // Behind the kernel wall where this machine has it, and required there; said to be absent where not.
    t.deepEqual(limits.required, wall.present ? ['kernel'] : [], plugin.name);
    t.regex(limits.enforcement['kernel'] ?? '', wall.present ? /^launcher: Landlock, seccomp, uid \d+/ : /^absent: /, plugin.name);
    t.true(limits.locked, plugin.name);
  }
  t.is(result.kernelWall, wall.present);
  t.true(result.locked);
  t.deepEqual(byName(result.plugins, 'greeter').limits?.ceiling, ['fs.read']);
  t.deepEqual(byName(result.plugins, 'greeter').limits?.held, []);
  t.like(byName(result.plugins, 'gallery').limits, { authority: true, ceiling: ['fs.read', 'proc.spawn'], budget: { children: 3 } });
  t.deepEqual(byName(result.plugins, 'reader').limits?.held, ['user:// revocable']);
  t.like(byName(result.plugins, 'hostile').limits, { ceiling: ['fs.read', 'fs.write', 'timers'], budget: { storageBytes: 1_024, handles: 2 } });
  t.like(byName(result.plugins, 'poller').limits, { ceiling: ['fs.read', 'net.connect', 'clock', 'timers'], budget: { netBytes: 4_096, handles: 2 } });
});

test('showcase - the first lines say whether the kernel wall is there, as the runtime sees it', async t => {
  const { lines } = await showcase();
  t.is(lines[0], 'Cathedral plugin host');
  if (wall.present) t.regex(lines[1]!, /^ {2}kernel wall: present \(Landlock ABI \d+, .*\): every plugin is spawned with required: \['kernel'\]$/);
  else t.is(lines[1], `  kernel wall: ABSENT (${wall.absent}): plugins run behind SES and the host's capabilities alone, spawned without required: ['kernel'] (see node packages/kernel-native/bin/doctor.mjs)`);
  t.regex(lines[2]!, /^ {2}8 plugins, each in a child process of its own \(tier: process\), run side by side, each verified against its lock at spawn$/);
  t.regex(lines[5]!, /^ {2}the host serves an API on 127\.0\.0\.1:\d+ and an admin server on 127\.0\.0\.1:\d+; no plugin reaches the admin server$/);
});

test('showcase - every escape attempt of the hostile plugin is refused with the expected code', async t => {
  const { result } = await showcase();
  const hostile = byName(result.plugins, 'hostile') as EscapesResult;
  t.deepEqual(
    hostile.attempts.map(a => [a.attempt, a.outcome, a.code]),
    [
      ['read outside its own root: resolve("app://../../etc/passwd")', 'refused', 'PATH_ESCAPE'],
      ['read outside the system root: resolve("system://../../../etc/passwd")', 'refused', 'PATH_ESCAPE'],
      ['name a root it was not given: resolve("file:///etc/passwd")', 'refused', 'UNKNOWN_REALM'],
      ['reach process', 'refused', 'ABSENT'],
      ['reach require', 'refused', 'ABSENT'],
      ['reach globalThis.process', 'refused', 'ABSENT'],
      ['escape via ({}).constructor.constructor("return process")()', 'refused', 'TypeError'],
      ['load node:fs with a dynamic import', 'refused', 'MODULE_NOT_FOUND'],
      ['load a module above its root: ../../sysroot/etc/greeting.json', 'refused', 'MODULE_NOT_FOUND'],
      ['write system://etc/greeting.json', 'refused', 'CEILING'],
      ['poison a shared intrinsic: Array.prototype.map = ...', 'refused', 'TypeError'],
      ['read the clock: Date.now()', 'refused', 'TypeError'],
      ['read randomness: Math.random()', 'refused', 'TypeError'],
      ['reach process through a capability: resolve("app://").constructor.constructor("return process")()', 'refused', 'TypeError'],
      ['reach process through an error a capability threw: error.constructor.constructor("return process")()', 'refused', 'TypeError'],
      ["fetch the host's API with a net capability its ceiling does not allow: net.fetch(servers.api + '/status')", 'refused', 'CEILING'],
      ['hold more timers than its handles budget: 3 × timers.setTimeout (budget.handles 2)', 'refused', 'BUDGET_EXCEEDED'],
      ['write past its storageBytes: 2 × 600 bytes to scratch:// (budget.storageBytes 1024)', 'refused', 'BUDGET_EXCEEDED'],
    ],
  );
});

test('showcase - the new limits refuse the hostile plugin by name: its ceiling, its handles, its storage', async t => {
  const { result } = await showcase();
  const details = (byName(result.plugins, 'hostile') as EscapesResult).attempts.map(a => a.detail);
  t.regex(details[15]!, /^fetch "http:\/\/127\.0\.0\.1:\d+\/status" in realm "hostile": the effect "net\.connect" is outside the realm's ceiling/);
  t.regex(details[16]!, /^setTimeout "timers" in realm "hostile": the handles budget of 2 handles is spent: 1 more asked, 0 left/);
  t.regex(details[17]!, /^write "scratch:\/\/two\.txt" in realm "hostile": the bytes budget of 1024 bytes is exceeded: this write asks for 600 bytes more and 424 bytes remain/);
});

test('showcase - the poller fetches on the clock the host advances, and every peer outside its allowlist is refused', async t => {
  const { result, lines } = await showcase();
  const poller = byName(result.plugins, 'poller') as PollsResult;
  const api = /127\.0\.0\.1:(\d+)/.exec(poller.limits?.held[0] ?? '')?.[1];
  const admin = /admin server on 127\.0\.0\.1:(\d+)/.exec(lines[5] ?? '')?.[1];
  t.truthy(api);
  t.truthy(admin);
  // Exactly 1 s, 2 s and 3 s after the deterministic start, whatever the machine's load; then 127.1, the same peer.
  t.deepEqual(poller.polls, [
    { url: `http://127.0.0.1:${api}/status`, at: Date.UTC(2030, 0, 1, 0, 0, 1), status: 200, body: 'status: ok (request 1)' },
    { url: `http://127.0.0.1:${api}/status`, at: Date.UTC(2030, 0, 1, 0, 0, 2), status: 200, body: 'status: ok (request 2)' },
    { url: `http://127.0.0.1:${api}/status`, at: Date.UTC(2030, 0, 1, 0, 0, 3), status: 200, body: 'status: ok (request 3)' },
    { url: `http://127.1:${api}/status`, at: Date.UTC(2030, 0, 1, 0, 0, 3), status: 200, body: 'status: ok (request 4)' },
  ]);
  t.deepEqual(poller.attempts.map(a => [a.outcome, a.code]), [['refused', 'REFUSED'], ['refused', 'REFUSED'], ['refused', 'REFUSED']]);
  // Each refusal names the address it was, whatever the spelling.
  t.regex(poller.attempts[0]!.detail, new RegExp(`^fetch "127\\.0\\.0\\.1:${admin}" in realm "poller": 127\\.0\\.0\\.1:${admin} is not an allowed peer\\. Rule: this capability reaches only 127\\.0\\.0\\.1:${api}\\.`));
  t.regex(poller.attempts[1]!.detail, new RegExp(`^fetch "127\\.0\\.0\\.1:${admin}" in realm "poller": 127\\.0\\.0\\.1:${admin} is not an allowed peer`));
  t.regex(poller.attempts[2]!.detail, new RegExp(`^fetch "127\\.0\\.0\\.2:${api}" in realm "poller": 127\\.0\\.0\\.2:${api} is not an allowed peer`));
  t.deepEqual(poller.log.map(l => l.from), ['plugin', 'host']);
  t.is(poller.log[1]!.line, "advanced the plugin's clock by 3000 ms at its checkpoint: 2030-01-01T00:00:00.000Z → 2030-01-01T00:00:03.000Z");
  // The host's own count: the API saw the poller's four fetches and nothing else (not the hostile plugin's), the admin server nothing.
  t.deepEqual(poller.checks, [{ check: "the host's servers saw what poller reports: the API server 4 requests (4 reported), the admin server 0", passed: true }]);
  t.true(lines.some(l => /^ {6}fetch 1 +200 +2030-01-01T00:00:01\.000Z http:\/\/127\.0\.0\.1:\d+\/status → "status: ok \(request 1\)"$/.test(l)));
});

test('showcase - refusals name the realm and the rule, never a host path', async t => {
  const { result } = await showcase();
  const details = (byName(result.plugins, 'hostile') as EscapesResult).attempts.map(a => a.detail);
  const write = details[9]!;
  t.regex(write, /^write "system:\/\/etc\/greeting\.json/);
  t.regex(write, /in realm "hostile"/);
  t.regex(write, /holds system:\/\/ through quota\(1024 bytes\) ← readOnly ← hostDir, granted by "host"/);
  t.regex(write, /a readOnly node refuses every mutation/);
  t.regex(details[0]!, /^resolve "app:\/\/\.\.\/\.\.\/etc\/passwd" in realm "hostile"/);
  t.regex(details[7]!, /Node built-ins are unreachable/);
  t.regex(details[13]!, /Function\.prototype\.constructor is not a valid constructor/);
  t.regex(details[14]!, /Function\.prototype\.constructor is not a valid constructor/);
  for (const detail of details) t.false(detail.includes(systemDir) || detail.includes(pluginsDir), detail);
});

test('showcase - the spinner is stopped by its CPU budget, as expected, while the other plugins kept working', async t => {
  const { result } = await showcase();
  t.like(byName(result.plugins, 'spinner') as StoppedResult, { kind: 'stopped', call: 'run()', reason: 'budget: cpu', expected: true });
  t.true(result.plugins.filter(p => p.name !== 'spinner').every(p => p.kind !== 'stopped' && p.kind !== 'failed'));
  t.like(result, { stoppedAsExpected: 1, failed: 0, ok: true });
});

test('showcase - the gallery hosts its sub-plugins with narrower roots, and the one reaching beyond them is refused', async t => {
  const { result } = await showcase();
  const gallery = byName(result.plugins, 'gallery') as HostedResult;
  t.is(gallery.kind, 'hosted');
  t.deepEqual(gallery.children.map(c => [c.name, c.realm, c.kind]), [
    ['caption', 'gallery/caption', 'value'],
    ['palette', 'gallery/palette', 'value'],
    ['snoop', 'gallery/snoop', 'escapes'],
  ]);
  // caption reads system://greeting.json: its system root is the gallery's etc/, not the whole sysroot.
  t.like(byName(gallery.children, 'caption'), { value: 'Hello from "The Nested Gallery"' });
  t.like(byName(gallery.children, 'palette'), { value: 'slate #475569, amber #f59e0b, teal #0d9488' });
  const snoop = byName(gallery.children, 'snoop') as EscapesResult;
  t.deepEqual(snoop.attempts.map(a => [a.attempt, a.outcome, a.code]), [
    ["read the gallery's own main.js: resolve(\"app://../../main.js\")", 'refused', 'PATH_ESCAPE'],
    ["read a sibling's files: resolve(\"app://../caption/title.txt\")", 'refused', 'PATH_ESCAPE'],
    ['read the full system root: resolve("system://lib/words.js")', 'refused', 'NOT_FOUND'],
    ['climb out of system://etc: resolve("system://../lib/words.js")', 'refused', 'PATH_ESCAPE'],
    ["use the gallery's authority", 'refused', 'ABSENT'],
  ]);
  // The refusals name no host path. (They name the realm "gallery" and the gallery's URIs, not
  // "gallery/snoop" and the URIs snoop wrote: a runtime bug, reported; not asserted here.)
  for (const a of snoop.attempts) t.false(a.detail.includes(pluginsDir) || a.detail.includes(systemDir), a.detail);
  t.deepEqual(gallery.log, [{ from: 'plugin', line: 'hosting 3 plugins from app://plugins/: caption, palette, snoop' }]);
  t.deepEqual(gallery.checks, [
    { check: 'the ledger shows gallery spawned gallery/caption, gallery/palette, gallery/snoop, each at the process tier', passed: true },
  ]);
  t.like(result, { hosted: 3, attempts: 26, refused: 26, succeeded: 0 });
});

test('showcase - the reader reads user:// once, the host revokes it while it runs, and its second read is refused with REVOKED', async t => {
  const { result } = await showcase();
  const reader = byName(result.plugins, 'reader') as ReadsResult;
  t.deepEqual(reader.reads.map(r => [r.outcome, r.code]), [['ok', 'OK'], ['refused', 'REVOKED']]);
  t.is(reader.reads[0]!.text, 'Notes the user shared with the reader plugin, until they took them back.');
  t.regex(reader.reads[1]!.text, /^readText "user:\/\/notes\.txt" in realm "reader": the capability was revoked/);
  t.false(reader.reads[1]!.text.includes(userDir));
  // In the order it happened: the plugin's first read, the host's revocation, the plugin's second read.
  t.deepEqual(reader.log.map(l => l.from), ['plugin', 'host', 'plugin']);
  t.regex(reader.log[1]!.line, /^revoked user:\/\/ .*now fails: REVOKED$/);
  t.deepEqual(reader.checks, [{ check: 'user:// refuses every read once revoked', passed: true }]);
});

test('showcase - the shared system root is unchanged and every host check passed', async t => {
  const { result } = await showcase();
  t.like(result, { systemUnchanged: true, checks: 3, checksFailed: 0, reports: [] });
});

test('showcase - prints a header, a block per plugin in folder order, hosted plugins indented, and the summary', async t => {
  const { lines } = await showcase();
  t.is(lines[0], 'Cathedral plugin host');
  const outcome = (name: string) => lines.findIndex(l => new RegExp(`^ {2}\\S+ +${name} `).test(l));
  const order = ['gallery', 'greeter', 'hostile', 'poller', 'reader', 'spinner', 'uppercase', 'wordsmith'].map(outcome);
  t.false(order.includes(-1));
  t.deepEqual(order, [...order].sort((a, b) => a - b));
  t.true(lines.includes('  ok      greeter    run() → "Hello, plugin authors!"'));
  t.true(lines.includes(`          limits  process tier, ${wall.present ? 'required: kernel, ' : ''}lock verified, enforced as in [1]; cpuMs 1000, wallMs 5000, heapMb 64; ceiling fs.read`));
  t.true(lines.includes('  stopped spinner    run() → budget: cpu, as this host expects'));
  t.true(lines.includes('  ok      hostile    run() → 18 escape attempts, 18 refused'));
  t.true(lines.includes('  ok      poller     run() → 4 fetches, 3 escape attempts, 3 refused'));
  t.true(lines.some(l => /^ {6}refused +BUDGET_EXCEEDED +write past its storageBytes/.test(l)));
  t.true(lines.some(l => /^ {6}refused +CEILING +write system:\/\/etc\/greeting\.json$/.test(l)));
  t.true(lines.includes('      ok      caption  run() → "Hello from \\"The Nested Gallery\\""'));
  t.true(lines.includes('      ok      snoop    run() → 5 escape attempts, 5 refused'));
  t.true(lines.some(l => /^ {10}refused +PATH_ESCAPE +read the gallery's own main\.js/.test(l)));
  t.true(lines.includes('  ok      reader     run() → 2 reads: OK, then REVOKED'));
  t.true(lines.some(l => /^ {6}read 2 +REVOKED +readText "user:\/\/notes\.txt" in realm "reader": the capability was revoked/.test(l)));
  t.true(lines.includes('8 plugins ran, and 3 hosted by them; 1 stopped by the runtime, as expected; 26 escape attempts, 26 refused; 3 host checks, all passed; the system root is unchanged'));
  t.true(lines.some(l => (wall.present ? /^ {6}kernel: launcher: Landlock, seccomp/ : /^ {6}kernel: absent: /).test(l)));
  t.true(lines.includes('What enforces the limits, as each realm reported it (realm.enforcedBy):'));
  t.true(lines.some(l => /^ {2}\[1\] /.test(l)));
  t.false(lines.some(l => /^ {2}\[2\] /.test(l)));
  t.is(lines.at(-1), 'Every plugin behaved as expected.');
});

// Serial: these plugins wait on their budgets, best measured on a machine not also starting the showcase.
test.serial('runPluginHost - an escape, a throw, a hang, a load-time loop, a missing entry or grant, and a plugin that is not stopped make the run fail; the rest still run', async t => {
  const plugins = await makePlugins({
    a_liar: `export const run = async () => ({ attempts: [{ attempt: 'got out', outcome: 'succeeded', code: 'SUCCEEDED', detail: 'reached object' }, { attempt: 'odd', outcome: 'maybe' }] });`,
    b_thrower: `export const run = () => {\n  throw new RangeError('bad plugin');\n};`,
    c_silent: `export const run = () => new Promise(() => {});`,
    d_nothing: `export const other = 1;`,
    e_good: `export const transform = s => s.split('').reverse().join('');`,
    f_loader: `while (true) {}\nexport const run = () => 1;`,
    g_lazy: `export const run = async () => 'done early';`,
    h_nouser: `export const run = async () => (await resolve('user://notes.txt')).readText();`,
  });
  try {
    const { result, lines } = await run(plugins.dir, {
      defaultPolicy: { ...DEFAULT_POLICY, budget: { cpuMs: 500, wallMs: 3_000, heapMb: 64 } },
      policies: { g_lazy: { expectStop: 'budget: cpu' }, h_nouser: { userData: true } },
    });
    t.false(result.ok);
    t.like(result, { attempts: 2, refused: 0, succeeded: 2, failed: 6, stoppedAsExpected: 0 });
    t.like(byName(result.plugins, 'b_thrower'), { kind: 'failed', code: 'GUEST' });
    t.regex((byName(result.plugins, 'b_thrower') as FailedResult).problem, /RangeError: bad plugin \(at app:\/\/main\.js:2:\d+\)/);
    t.like(byName(result.plugins, 'c_silent'), { kind: 'stopped', call: 'run()', reason: 'budget: wall', expected: false });
    t.like(byName(result.plugins, 'd_nothing'), { kind: 'failed', code: 'NO_ENTRY' });
    t.like(byName(result.plugins, 'e_good'), { kind: 'value', value: 'snigulp ,olleh' });
    t.like(byName(result.plugins, 'f_loader'), { kind: 'stopped', call: undefined, reason: 'budget: cpu', expected: false });
    t.like(byName(result.plugins, 'g_lazy'), { kind: 'failed', code: 'NOT_STOPPED' });
    t.like(byName(result.plugins, 'h_nouser'), { kind: 'failed', code: 'HOST' });
    t.true(lines.some(l => /^ {6}SUCCEEDED +got out/.test(l)));
    t.true(lines.includes('  STOPPED c_silent   run() → budget: wall'));
    t.true(lines.includes('  STOPPED f_loader   while loading → budget: cpu'));
    t.true(lines.includes('8 plugins ran; 6 FAILED; 2 escape attempts, 0 refused, 2 SUCCEEDED; the system root is unchanged'));
    t.is(lines.at(-1), 'Something did not behave as expected (exit code 1).');
  } finally {
    await plugins.remove();
  }
});

test("runPluginHost - a nested host's report that the runtime's ledger does not confirm fails the run", async t => {
  const plugins = await makePlugins({
    boaster: `export const run = async () => ({ hosted: [{ name: 'ghost', call: 'run()', value: 'I was never spawned' }] });`,
  });
  try {
    const { result, lines } = await run(plugins.dir);
    const boaster = byName(result.plugins, 'boaster') as HostedResult;
    t.like(boaster, { kind: 'hosted', checks: [{ passed: false }] });
    t.like(result, { hosted: 1, checks: 1, checksFailed: 1, ok: false });
    t.true(lines.some(l => /^ {2}FAILED +boaster +run\(\) → hosted 1 plugin$/.test(l)));
    t.true(lines.some(l => /^ {6}check +FAILED +the ledger shows boaster spawned boaster\/ghost/.test(l)));
  } finally {
    await plugins.remove();
  }
});

test('runPluginHost - guest text cannot forge lines of the output, nor of the console a library prints to', async t => {
  const plugins = await makePlugins({
    forger: `export const run = async () => '\\u001b[2J\\nok      fake  run() → "all good"';`,
    // Calls a method its capability lacks: CapTP once logged the error, with this name in it, on the console.
    namer: `export const run = async () => {
      try { await (await resolve('app://'))['x\\n\\u001b[2Jok      fake']() } catch (error) { return String(error.message); }
    };`,
  });
  const stray: string[] = [];
  const original = globalThis.console;
  globalThis.console = makeStrayConsole(line => stray.push(line), format);
  try {
    const { lines } = await run(plugins.dir);
    for (const name of ['forger', 'namer']) {
      const line = lines.find(l => l.includes(name))!;
      t.false(line.includes('\u001b'), line);
      t.false(line.includes('\n'), line);
    }
    t.false(lines.some(l => l.startsWith('ok      fake')));
    // Nothing a library prints reaches the console any more (the runtime sends no error over CapTP).
    t.deepEqual(stray, []);
    // And the stand-in main.js installs keeps whatever would reach it printable, one line each.
    const direct: string[] = [];
    makeStrayConsole(line => direct.push(line), format).log('x\n\u001b[2Jok      fake');
    t.deepEqual(direct, ['stray console: x', 'stray console: \\x1b[2Jok      fake']);
  } finally {
    globalThis.console = original;
    await plugins.remove();
  }
});

test('runPluginHost - without the kernel wall the run says so in its first lines and in enforcedBy, and plugins still run, without required', async t => {
  const plugins = await makePlugins({ echo: `export const transform = s => s + '!';` });
  try {
    const { result, lines } = await run(plugins.dir, { kernel: 'off' });
    t.is(lines[1], `  kernel wall: ABSENT (this host was made with kernel: "off"): plugins run behind SES and the host's capabilities alone, spawned without required: ['kernel'] (see node packages/kernel-native/bin/doctor.mjs)`);
    t.like(result, { kernelWall: false, locked: false, ok: true });
    const echo = byName(result.plugins, 'echo');
    t.like(echo, { kind: 'value', value: 'hello, plugins!' });
    t.deepEqual(echo.limits?.required, []);
    t.regex(echo.limits?.enforcement['kernel'] ?? '', /^absent: the host was made with kernel: "off"$/);
    t.true(lines.includes('          limits  process tier, enforced as in [1]; cpuMs 1000, wallMs 5000, heapMb 64; ceiling fs.read'));
  } finally {
    await plugins.remove();
  }
});

test('runPluginHost - with locks, a plugin whose code changed is refused with LOCK_MISMATCH before it runs, and one with no lock is not run', async t => {
  const plugins = await makePlugins({
    kept: `export const run = async () => 'as locked';`,
    changed: `export const run = async () => 'as locked';`,
  });
  try {
    const locks = await recordPluginLocks({ pluginsDir: plugins.dir, systemDir });
    t.deepEqual(Object.keys(locks).sort(), ['changed', 'kept']);
    // After the lock: one plugin's code is changed, and a plugin is added.
    await writeFile(join(plugins.dir, 'changed', 'main.js'), `console.log('changed code ran');\nexport const run = async () => 'changed';`);
    await mkdir(join(plugins.dir, 'added'));
    await writeFile(join(plugins.dir, 'added', 'main.js'), `export const run = async () => 'never locked';`);
    const { result, lines } = await run(plugins.dir, { locks });
    t.like(byName(result.plugins, 'kept'), { kind: 'value', value: 'as locked', limits: { locked: true } });
    const changed = byName(result.plugins, 'changed') as FailedResult;
    t.like(changed, { kind: 'failed', code: 'LOCK_MISMATCH', limits: undefined });
    t.regex(changed.message, /^spawn "lock" in realm "changed": the code and data bound differ from the lock: changed app:\/\/main\.js\. Rule: a realm spawned with a lock runs only the content recorded in it/);
    // Its code never ran: the line it prints first is not there.
    t.deepEqual(changed.log, []);
    t.like(byName(result.plugins, 'added'), { kind: 'failed', code: 'UNLOCKED' });
    t.like(result, { locked: true, failed: 2, ok: false });
    t.true(lines.some(l => /^ {2}FAILED +changed +LOCK_MISMATCH: the code and data bound differ from the lock: changed app:\/\/main\.js/.test(l)));
  } finally {
    await plugins.remove();
  }
});

test.serial('main.js - exits 0 and prints every plugin and the summary to stdout, nothing to stderr, from any working directory', async t => {
  const { code, stdout, stderr } = await runMain();
  t.is(code, 0, stderr);
  t.is(stderr, '');
  t.regex(stdout, /^Cathedral plugin host$/m);
  t.regex(stdout, wall.present ? /^ {2}kernel wall: present \(.*\): every plugin is spawned with required: \['kernel'\]$/m : /^ {2}kernel wall: ABSENT \(/m);
  t.regex(stdout, /each verified against its lock at spawn$/m);
  t.regex(stdout, /^ {2}ok +poller +run\(\) → 4 fetches, 3 escape attempts, 3 refused$/m);
  t.regex(stdout, /^ {6}fetch 3 +200 +2030-01-01T00:00:03\.000Z /m);
  t.regex(stdout, /^ {2}ok +uppercase +transform\("hello, plugins"\) → "HELLO, PLUGINS"$/m);
  t.regex(stdout, /^ {2}ok +wordsmith +run\(\) → "5 words: /m);
  t.regex(stdout, /^ {2}stopped spinner +run\(\) → budget: cpu, as this host expects$/m);
  t.regex(stdout, /^ {6}ok +snoop +run\(\) → 5 escape attempts, 5 refused$/m);
  t.regex(stdout, /^ {2}ok +reader +run\(\) → 2 reads: OK, then REVOKED$/m);
  t.regex(stdout, /^ {6}refused +PATH_ESCAPE +read outside its own root/m);
  t.regex(stdout, /^8 plugins ran, and 3 hosted by them; 1 stopped by the runtime, as expected; 26 escape attempts, 26 refused; 3 host checks, all passed; the system root is unchanged$/m);
  t.regex(stdout, /^Every plugin behaved as expected\.$/m);
  t.notRegex(stdout, /SUCCEEDED|FAILED|STOPPED/);
});

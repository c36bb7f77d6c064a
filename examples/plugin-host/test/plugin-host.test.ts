import test from 'ava';
import { type EscapesResult, type PluginHostResult, type PluginResult, runPluginHost } from '../src/host-app.js';
import { makePlugins, pluginsDir, runMain, systemDir } from './_example.js';

const run = async (dir = pluginsDir, extra: { timeoutMs?: number } = {}): Promise<{ result: PluginHostResult; lines: string[] }> => {
  const lines: string[] = [];
  const result = await runPluginHost({ pluginsDir: dir, systemDir, log: line => lines.push(line), ...extra });
  return { result, lines };
};

const byName = (result: PluginHostResult, name: string): PluginResult => {
  const found = result.plugins.find(p => p.name === name);
  if (found === undefined) throw new Error(`no plugin ${name}`);
  return found;
};

test('runPluginHost - each well-behaved plugin returns its result', async t => {
  const { result } = await run();
  t.like(byName(result, 'uppercase'), { kind: 'value', call: 'transform("hello, plugins")', value: 'HELLO, PLUGINS' });
  t.like(byName(result, 'greeter'), { kind: 'value', call: 'run()', value: 'Hello, plugin authors!' });
  t.like(byName(result, 'wordsmith'), {
    kind: 'value',
    value: '5 words: Capability · Realm · Root · Ceiling · Attenuation',
  });
});

test('runPluginHost - every escape attempt of the hostile plugin is refused with the expected code', async t => {
  const { result } = await run();
  const hostile = byName(result, 'hostile') as EscapesResult;
  t.is(hostile.kind, 'escapes');
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
    ],
  );
  t.like(result, { attempts: 13, refused: 13, succeeded: 0, ok: true });
});

test('runPluginHost - refusals name the realm and the rule, never a host path', async t => {
  const { result } = await run();
  const details = (byName(result, 'hostile') as EscapesResult).attempts.map(a => a.detail);
  const write = details[9]!;
  t.regex(write, /^write "system:\/\/etc\/greeting\.json/);
  t.regex(write, /in realm "hostile"/);
  t.regex(write, /add "fs\.write" to the realm's ceiling/);
  t.regex(details[0]!, /^resolve "app:\/\/\.\.\/\.\.\/etc\/passwd" in realm "hostile"/);
  t.regex(details[7]!, /Node built-ins are unreachable/);
  for (const detail of details) t.false(detail.includes(systemDir) || detail.includes(pluginsDir), detail);
});

test('runPluginHost - the hostile plugin runs in the middle and the plugins after it keep working', async t => {
  const { result } = await run();
  t.deepEqual(result.plugins.map(p => [p.name, p.kind]), [
    ['greeter', 'value'],
    ['hostile', 'escapes'],
    ['uppercase', 'value'],
    ['wordsmith', 'value'],
  ]);
  t.is(result.failed, 0);
});

test('runPluginHost - the shared system root is unchanged after every plugin ran', async t => {
  const { result } = await run();
  t.true(result.systemUnchanged);
});

test('runPluginHost - prints a header, one line per plugin, each attempt and the summary', async t => {
  const { lines } = await run();
  t.is(lines[0], 'Cathedral plugin host');
  t.true(lines.some(l => /^ {2}ok +greeter +run\(\) → "Hello, plugin authors!"$/.test(l)));
  t.true(lines.some(l => /^ {2}ok +hostile +run\(\) → 13 escape attempts, 13 refused$/.test(l)));
  t.true(lines.some(l => /^ {6}refused +CEILING +write system:\/\/etc\/greeting\.json$/.test(l)));
  t.true(lines.some(l => l === '      [hostile] trying 13 ways out'));
  t.true(lines.includes('4 plugins ran; 13 escape attempts, 13 refused; the system root is unchanged'));
  t.is(lines.at(-1), 'Every plugin behaved as expected.');
});

// Serial: the silent plugin is cut off by the host's wait limit, which must
// not also catch the others while other tests keep the event loop busy.
test.serial('runPluginHost - a reported escape, a throwing plugin and a silent one make the run fail, and the rest still run', async t => {
  const plugins = await makePlugins({
    a_liar: `export const run = async () => ({ attempts: [{ attempt: 'got out', outcome: 'succeeded', code: 'SUCCEEDED', detail: 'reached object' }, { attempt: 'odd', outcome: 'maybe' }] });`,
    b_thrower: `export const run = () => {\n  throw new RangeError('bad plugin');\n};`,
    c_silent: `export const run = () => new Promise(() => {});`,
    d_nothing: `export const other = 1;`,
    e_good: `export const transform = s => s.split('').reverse().join('');`,
  });
  try {
    const { result, lines } = await run(plugins.dir, { timeoutMs: 2_000 });
    t.false(result.ok);
    t.like(result, { attempts: 2, refused: 0, succeeded: 2, failed: 3 });
    t.like(byName(result, 'b_thrower'), { kind: 'failed', code: 'GUEST' });
    t.regex((byName(result, 'b_thrower') as { problem: string }).problem, /RangeError: bad plugin \(at app:\/\/main\.js:2:\d+\)/);
    t.like(byName(result, 'c_silent'), { kind: 'failed', code: 'BUDGET_EXCEEDED' });
    t.like(byName(result, 'd_nothing'), { kind: 'failed', code: 'NO_ENTRY' });
    t.like(byName(result, 'e_good'), { kind: 'value', value: 'snigulp ,olleh' });
    t.true(lines.some(l => /^ {6}SUCCEEDED +got out/.test(l)));
    t.true(lines.includes('2 plugins ran, 3 failed; 2 escape attempts, 0 refused, 2 SUCCEEDED; the system root is unchanged'));
  } finally {
    await plugins.remove();
  }
});

test('runPluginHost - guest text cannot forge lines of the output', async t => {
  const plugins = await makePlugins({
    forger: `export const run = async () => '\\u001b[2J\\nok      fake  run() → "all good"';`,
  });
  try {
    const { lines } = await run(plugins.dir);
    const line = lines.find(l => l.includes('forger'))!;
    t.false(line.includes('\u001b'));
    t.false(line.includes('\n'));
    t.false(lines.some(l => l.startsWith('ok      fake')));
  } finally {
    await plugins.remove();
  }
});

test('main.js - exits 0 and prints every plugin and the summary, from any working directory', async t => {
  const { code, stdout, stderr } = await runMain();
  t.is(code, 0, stderr);
  t.regex(stdout, /^Cathedral plugin host$/m);
  t.regex(stdout, /^ {2}ok +uppercase +transform\("hello, plugins"\) → "HELLO, PLUGINS"$/m);
  t.regex(stdout, /^ {2}ok +wordsmith +run\(\) → "5 words: /m);
  t.regex(stdout, /^ {6}refused +PATH_ESCAPE +read outside its own root/m);
  t.regex(stdout, /^4 plugins ran; 13 escape attempts, 13 refused; the system root is unchanged$/m);
  t.notRegex(stdout, /SUCCEEDED|FAILED/);
});

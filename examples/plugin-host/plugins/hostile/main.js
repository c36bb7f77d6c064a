// A hostile plugin: it tries to get out of its realm in every way listed
// below, each attempt on its own, and reports what happened to each one.
//
// An attempt "succeeds" when it reaches something (a node, an object, a
// number) or completes a write; it is refused when it throws, or when the
// name it reaches for is simply not there (`process` is `undefined` here).
//
// The host does not have to believe this report: it checks the system root
// itself after every plugin has run. The report is what the example prints.
//
// Its policy gives it more than it may use, to show what bounds a holder:
// `net` (reaching the host's API) while its ceiling lacks `net.connect`,
// `timers` with a handles budget of 2, and a writable `scratch://` with a
// storageBytes budget of 1024.

const attempts = [
  ['read outside its own root: resolve("app://../../etc/passwd")',
    () => resolve('app://../../etc/passwd')],
  ['read outside the system root: resolve("system://../../../etc/passwd")',
    () => resolve('system://../../../etc/passwd')],
  ['name a root it was not given: resolve("file:///etc/passwd")',
    () => resolve('file:///etc/passwd')],
  ['reach process', () => process],
  ['reach require', () => require],
  ['reach globalThis.process', () => globalThis.process],
  ['escape via ({}).constructor.constructor("return process")()',
    () => ({}).constructor.constructor('return process')()],
  // (Labels avoid the text "import" followed by a parenthesis: SES rejects
  // that pattern anywhere in a module's source, even inside a string.)
  ['load node:fs with a dynamic import', () => import('node:fs')],
  ['load a module above its root: ../../sysroot/etc/greeting.json',
    () => import('../../sysroot/etc/greeting.json')],
  ['write system://etc/greeting.json', async () => {
    const file = await resolve('system://etc/greeting.json');
    await file.write('{ "greeting": "pwned" }');
    return 'written';
  }],
  ['poison a shared intrinsic: Array.prototype.map = ...', () => {
    Array.prototype.map = () => ['pwned'];
    return 'replaced';
  }],
  ['read the clock: Date.now()', () => Date.now()],
  ['read randomness: Math.random()', () => Math.random()],
  // At the process tier the objects the runtime hands a plugin are stand-ins
  // for the host's capabilities, made in the plugin's own process: are their
  // constructors a way to that process's `process`?
  ['reach process through a capability: resolve("app://").constructor.constructor("return process")()',
    async () => (await resolve('app://')).constructor.constructor('return process')()],
  ['reach process through an error a capability threw: error.constructor.constructor("return process")()',
    async () => {
      const file = await resolve('system://etc/greeting.json');
      const error = await file.write('x').then(() => undefined, caught => caught);
      if (error === undefined) return 'written';
      return error.constructor.constructor('return process')();
    }],
  ["fetch the host's API with a net capability its ceiling does not allow: net.fetch(servers.api + '/status')",
    async () => (await net.fetch(`${servers.api}/status`)).status],
  ['hold more timers than its handles budget: 3 × timers.setTimeout (budget.handles 2)', async () => {
    for (let i = 0; i < 3; i += 1) await timers.setTimeout(() => {}, 60000);
    return 'set 3 timers';
  }],
  ['write past its storageBytes: 2 × 600 bytes to scratch:// (budget.storageBytes 1024)', async () => {
    const scratch = await resolve('scratch://');
    await scratch.write('one.txt', 'x'.repeat(600));
    await scratch.write('two.txt', 'x'.repeat(600));
    return 'written';
  }],
];

const codeOf = error => {
  if (error === null || typeof error !== 'object') return 'THROWN';
  return typeof error.code === 'string' ? error.code : String(error.name);
};

const tryOne = async ([attempt, action]) => {
  try {
    const reached = await action();
    if (reached === undefined) {
      return { attempt, outcome: 'refused', code: 'ABSENT', detail: 'the name is undefined in this realm' };
    }
    return { attempt, outcome: 'succeeded', code: 'SUCCEEDED', detail: `reached ${typeof reached}` };
  } catch (error) {
    return { attempt, outcome: 'refused', code: codeOf(error), detail: String(error && error.message) };
  }
};

export const run = async () => {
  console.log(`trying ${attempts.length} ways out`);
  const report = [];
  for (const attempt of attempts) report.push(await tryOne(attempt));
  return { attempts: report };
};

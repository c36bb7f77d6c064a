// A sub-plugin of the gallery that reaches for what the gallery did not give
// it: the gallery's own files, a sibling's, the rest of the system root, and
// the gallery's own powers. Each attempt is reported the way plugins/hostile
// reports its own; the gallery passes the report on.

const attempts = [
  ["read the gallery's own main.js: resolve(\"app://../../main.js\")",
    () => resolve('app://../../main.js')],
  ["read a sibling's files: resolve(\"app://../caption/title.txt\")",
    () => resolve('app://../caption/title.txt')],
  ['read the full system root: resolve("system://lib/words.js")',
    async () => (await resolve('system://lib/words.js')).readText()],
  ['climb out of system://etc: resolve("system://../lib/words.js")',
    () => resolve('system://../lib/words.js')],
  ["use the gallery's authority", () => globalThis.authority],
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
  const report = [];
  for (const attempt of attempts) report.push(await tryOne(attempt));
  return { attempts: report };
};

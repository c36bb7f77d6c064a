/**
 * Escape scenarios: every evaluator a guest has — `eval`, indirect eval,
 * `Function`, `import()` of Node built-ins, files, URLs, climbing paths, and
 * packages the guest writes into its own `node_modules` — evaluates only in
 * the realm and loads only from its roots.
 */
import { type Escape, guest, js } from './_escape-kit.js';

/** A scenario whose attack imports each specifier and fails if any loads. */
const imports = (name: string, specifiers: readonly string[], files?: Escape['files']): Escape => ({
  name,
  family: 'evaluators',
  ...(files === undefined ? {} : { files }),
  source: guest(js`
const specifiers = ${JSON.stringify(specifiers)};
export const attack = async () => {
  const findings = [];
  const refusals = [];
  for (const specifier of specifiers) {
    try {
      const ns = await import(specifier);
      findings.push(specifier + ' loaded with ' + Object.keys(ns).join(','));
    } catch (error) {
      refusals.push(textOf(error.name));
      const where = reach(error, 'import ' + specifier, [specifier]);
      if (where) findings.push(where);
    }
  }
  return verdict(findings, 'refused: ' + refusals.join(', '));
};`),
});

export const evaluators: readonly Escape[] = [
  {
    name: 'direct eval is rejected and cannot see process',
    family: 'evaluators',
    source: guest(js`
export const attack = async () => {
  const body = 'return ev' + 'al("[typeof process, typeof require].join()")';
  let out;
  try { out = Function(body)(); } catch (e) { return held('direct eval refused with ' + e.name); }
  return out === 'undefined,undefined' ? held('direct eval saw no host') : escaped('direct eval saw ' + out);
};`),
  },
  {
    name: 'indirect eval cannot see process or another global object',
    family: 'evaluators',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  const indirect = globalThis.eval;
  const seen = indirect('[typeof process, typeof require, typeof Buffer, typeof module, typeof exports].join()');
  if (seen !== 'undefined,undefined,undefined,undefined,undefined') findings.push('indirect eval saw ' + seen);
  if (indirect('globalThis') !== globalThis) findings.push('indirect eval reached another global object');
  const self = (0, indirect)('this');
  if (self !== undefined && self !== globalThis) findings.push('indirect eval this is a foreign object');
  const found = await evalVia(src => () => indirect(src.replace('return ', '')), 'indirect eval');
  if (found) findings.push(found);
  return verdict(findings, 'indirect eval sees only the realm');
};`),
  },
  {
    name: 'the Function global evaluates only in the realm scope',
    family: 'evaluators',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  if (Function('return globalThis')() !== globalThis) findings.push('Function reached another global object');
  if (Function('return this')() !== undefined) findings.push('Function code runs sloppy, with a this');
  for (const [label, F] of [['Function', Function], ['new Function', src => new Function(src)], ['Reflect.construct(Function)', src => Reflect.construct(Function, [src])]]) {
    const found = await evalVia(F, label);
    if (found) findings.push(found);
  }
  try { Function('return arguments.callee.caller')(); findings.push('arguments.callee.caller is readable'); } catch (e) {}
  return verdict(findings, 'Function evaluates strict code in the realm own scope');
};`),
  },
  {
    name: 'dynamic import inside evaluated code is rejected',
    family: 'evaluators',
    source: guest(js`
export const attack = async () => {
  const code = 'imp' + 'ort("node:fs")';
  const findings = [];
  for (const [label, run] of [['eval', () => (0, globalThis.eval)(code)], ['Function', () => Function('return ' + code)()]]) {
    let p;
    try { p = run(); } catch (e) { continue; }
    const r = await settle(() => p);
    findings.push(label + (r.ok ? ' loaded node:fs' : ' accepted the import expression'));
  }
  return verdict(findings, 'an import expression in evaluated code is rejected before it runs');
};`),
  },
  imports('import of node:fs and other Node built-ins is refused', ['node:fs', 'node:child_process', 'node:process', 'node:module', 'node:vm', 'node:worker_threads']),
  imports('import of bare Node built-in names is refused', ['fs', 'child_process', 'process', 'module', 'vm', 'fs/promises']),
  imports('import of file:///etc/passwd and other file URLs is refused', ['file:///etc/passwd', 'file:///etc/passwd.js', 'FILE:///etc/passwd.js', 'file:/etc/passwd.js', 'file://localhost/etc/passwd.js']),
  imports('import of data:, http: and blob: URLs is refused', ['data:text/javascript,export default 1', 'data:text/javascript;base64,ZXhwb3J0IGRlZmF1bHQgMQ==', 'data://x.js', 'http://example.com/x.js', 'https://example.com/x.js', 'blob:nodedata:x']),
  imports('absolute, protocol-relative and backslash specifiers are refused', ['/etc/passwd', '/etc/passwd.js', '//etc/passwd.js', 'C:\\Windows\\x.js', '\\\\server\\share\\x.js', '.\\..\\x.js']),
  imports('realm URIs with dot-dot, encoded or absolute paths are refused', ['app://../../etc/passwd.js', 'app://a/../../x.js', 'app://%2e%2e/x.js', 'app://a/%2E%2E/%2e%2e/x.js', 'app:///etc/passwd.js', 'app://./../x.js', 'app://a\\..\\..\\x.js']),
  {
    name: 'relative imports climbing above the root are refused, statically and dynamically',
    family: 'evaluators',
    files: {
      sub: {
        'deep.js': js`export const climb = async () => {
  const out = [];
  for (const s of ['../../x.js', '../../../etc/passwd.js', './../../x.js', '.././../x.js']) {
    try { await import(s); out.push(s); } catch (e) {}
  }
  return out;
};`,
        'static.js': `import secret from '../../../etc/passwd.js';\nexport default secret;\n`,
      },
    },
    source: guest(js`
export const attack = async () => {
  const findings = [];
  const deep = await import('./sub/deep.js');
  for (const s of await deep.climb()) findings.push('sub/deep.js loaded ' + s);
  for (const s of ['../x.js', '../../etc/passwd.js', './sub/static.js']) {
    try { await import(s); findings.push(s + ' loaded'); } catch (e) {}
  }
  return verdict(findings, 'no import climbs above app://');
};`),
  },
  {
    name: 'a package written into node_modules cannot reach Node built-ins or the realm endowments',
    family: 'evaluators',
    caps: true,
    source: guest(js`
const write = async (app, name, manifest, index) => {
  await app.write('node_modules/' + name + '/package.json', JSON.stringify(Object.assign({ name }, manifest)), { parents: true });
  await app.write('node_modules/' + name + '/index.js', index);
};
export const attack = async () => {
  const app = await resolve('app://');
  const findings = [];
  await write(app, 'esm-fs', { type: 'module', main: 'index.js' }, "import fs from 'fs'; export default fs;");
  await write(app, 'esm-node-fs', { type: 'module', main: 'index.js' }, "import fs from 'node:fs'; export default fs;");
  await write(app, 'cjs-fs', { main: 'index.js' }, "module.exports = require('fs');");
  await write(app, 'cjs-process', { main: 'index.js' }, "module.exports = require('process');");
  await write(app, 'dep-fs', { type: 'module', main: 'index.js', dependencies: { fs: '*' } }, "import fs from 'fs'; export default fs;");
  await write(app, 'dyn-fs', { type: 'module', main: 'index.js' }, 'export const load = () => imp' + 'ort("node:fs");');
  await write(app, 'globals', { type: 'module', main: 'index.js' },
    'export default [typeof process, typeof require, typeof Buffer, typeof resolve, typeof probe, typeof request, typeof Compartment, typeof lockdown, typeof fetch].join();');
  for (const name of ['esm-fs', 'esm-node-fs', 'cjs-fs', 'cjs-process', 'dep-fs']) {
    const r = await settle(() => import(name));
    if (r.ok) findings.push(name + ' loaded, exporting ' + Object.keys(r.value.default || r.value).slice(0, 5).join(','));
  }
  const dyn = await settle(async () => (await import('dyn-fs')).load());
  if (dyn.ok) findings.push('a package imported node:fs dynamically');
  const globals = await settle(async () => (await import('globals')).default);
  if (!globals.ok) findings.push('the globals package did not load: ' + textOf(globals.error && globals.error.message));
  else if (globals.value !== 'undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined') findings.push('a package sees ' + globals.value);
  return verdict(findings, 'packages reach no built-in, no host global and no realm capability');
};`),
  },
  {
    name: 'a package entry or import that leaves node_modules reaches nothing',
    family: 'evaluators',
    caps: true,
    source: guest(js`
const write = async (app, name, manifest, index) => {
  await app.write('node_modules/' + name + '/package.json', JSON.stringify(Object.assign({ name, type: 'module' }, manifest)), { parents: true });
  if (index !== undefined) await app.write('node_modules/' + name + '/index.js', index);
};
export const attack = async () => {
  const app = await resolve('app://');
  await app.write('secret.js', 'export default "app secret";');
  await write(app, 'up-main', { main: '../../secret.js' });
  await write(app, 'abs-main', { main: 'file:///etc/passwd.js' });
  await write(app, 'abs-exports', { exports: { '.': '/etc/passwd.js' } });
  await write(app, 'climb', { main: 'index.js' }, "import x from '../../../../../etc/passwd.js'; export default x;");
  await write(app, 'encoded', { main: 'index.js' }, "import x from '../%2e%2e/%2e%2e/%2e%2e/etc/passwd.js'; export default x;");
  await write(app, 'absolute', { main: 'index.js' }, "import x from 'file:///etc/passwd.js'; export default x;");
  const findings = [];
  for (const name of ['up-main', 'abs-main', 'abs-exports', 'climb', 'encoded', 'absolute']) {
    const r = await settle(() => import(name));
    if (r.ok) findings.push(name + ' loaded ' + textOf(r.value.default));
    else { const where = reach(r.error, 'import ' + name, ['file:///etc/passwd.js', '/etc/passwd.js']); if (where) findings.push(where); }
  }
  return verdict(findings, 'no package module loads from outside app://node_modules');
};`),
  },
  {
    name: 'import.meta names no host location, in the main module or in a package',
    family: 'evaluators',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const app = await resolve('app://');
  await app.write('node_modules/meta/package.json', JSON.stringify({ name: 'meta', type: 'module', main: 'index.js' }), { parents: true });
  await app.write('node_modules/meta/index.js', 'export default JSON.stringify(import.meta);');
  const findings = [];
  const own = JSON.stringify(import.meta) + Object.getOwnPropertyNames(import.meta).join();
  if (leaks(own)) findings.push('import.meta of main.js is ' + own);
  const where = reach(import.meta, 'import.meta');
  if (where) findings.push(where);
  const pkg = await settle(async () => (await import('meta')).default);
  if (pkg.ok && leaks(pkg.value)) findings.push('import.meta of a package is ' + pkg.value);
  return verdict(findings, 'import.meta is ' + own + (pkg.ok ? ' and ' + pkg.value + ' in a package' : ''));
};`),
  },
];

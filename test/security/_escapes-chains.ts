/**
 * Escape scenarios: constructor chains. Every constructor a guest can walk
 * to — from literals, function kinds, errors of its own, of the host, of
 * capabilities and of the module loader — must be its realm's own or inert,
 * and no Error constructor it reaches may carry the host's stack powers.
 */
import { type Escape, guest, js } from './_escape-kit.js';

const viaKind = (name: string, expression: string): Escape => ({
  name: `${name} constructor cannot see process`,
  family: 'constructor chains',
  source: guest(js`
export const attack = async () => {
  const F = Object.getPrototypeOf(${expression}).constructor;
  const found = await evalVia(F, '${name} constructor');
  const where = reach(F, '${name} constructor');
  return verdict([found, where].filter(Boolean), 'the ${name} constructor is inert or sees only the realm');
};`),
});

export const constructorChains: readonly Escape[] = [
  {
    name: 'Function constructor reached from an object literal cannot see process',
    family: 'constructor chains',
    source: guest(js`
export const attack = async () => {
  const F = ({}).constructor.constructor;
  const found = await evalVia(F, '({}).constructor.constructor');
  let direct;
  try { direct = F('return process')(); } catch (e) { direct = undefined; }
  const findings = [found].filter(Boolean);
  if (direct !== undefined) findings.push('Function("return process")() gave ' + typeof direct);
  return verdict(findings, 'the Function constructor reached from a literal is inert');
};`),
  },
  viaKind('async function', 'async function () {}'),
  viaKind('generator function', 'function* () {}'),
  viaKind('async generator function', 'async function* () {}'),
  viaKind('async arrow function', 'async () => {}'),
  {
    name: 'Error.prototype.constructor and the native error classes carry no stack powers',
    family: 'constructor chains',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  for (const C of [Error.prototype.constructor, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError]) {
    findings.push(...await stackPowers(C, C.name));
    const where = reach(C, C.name);
    if (where) findings.push(where);
  }
  const found = await evalVia(Error.prototype.constructor.constructor, 'Error.prototype.constructor.constructor');
  if (found) findings.push(found);
  return verdict(findings, 'the realm Error constructors are powerless');
};`),
  },
  {
    name: 'errors from resolving an unknown name lead to no host Error constructor',
    family: 'constructor chains',
    source: guest(js`
export const attack = async () => {
  const r = await settle(() => resolve('nope://x'));
  if (r.ok) return escaped('nope://x resolved');
  const findings = await stackPowers(r.error, 'the refusal');
  const where = reach(r.error, 'refusal');
  if (where) findings.push(where);
  for (const C of errorConstructorsFrom(r.error)) {
    const found = await evalVia(C.constructor, 'refusal constructor chain');
    if (found) findings.push(found);
  }
  return verdict(findings, 'refused with ' + codeOf(r.error) + '; its constructor chain is the realm own');
};`),
  },
  {
    name: 'errors from a capability refusal lead to no host Error constructor',
    family: 'constructor chains',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const findings = [];
  const refusals = [];
  const failed = await settle(() => probe.fail());
  if (failed.ok) findings.push('probe.fail did not fail'); else refusals.push(['probe.fail', failed.error]);
  const sys = await resolve('system://');
  for (const [label, op] of [['read of a missing file', () => sys.read('missing')], ['write of bad data', () => sys.write('scratch/x', 42)],
    ['mkdir of an existing dir', () => sys.mkdir('etc')], ['path escape', () => sys.read('../x')]]) {
    const r = await settle(op);
    if (r.ok) findings.push(label + ' succeeded'); else refusals.push([label, r.error]);
  }
  for (const [label, error] of refusals) {
    findings.push(...await stackPowers(error, label));
    const where = reach(error, label);
    if (where) findings.push(where);
  }
  return verdict(findings, refusals.length + ' capability refusals lead only to the realm Error');
};`),
  },
  {
    name: 'errors from E, Far and harden lead to no host Error constructor',
    family: 'constructor chains',
    source: guest(js`
export const attack = async () => {
  const errors = [];
  try { Far('x', mine({ notAMethod: 1 })); } catch (e) { errors.push(['Far with a non-method', e]); }
  try { Far(mine({}), mine({})); } catch (e) { errors.push(['Far with an object interface', e]); }
  for (const [label, op] of [['E of undefined', () => E(undefined).m()], ['E of a missing method', () => E(Far('y', {})).missing()],
    ['E.get of null', () => E.get(null).x]]) {
    const r = await settle(op);
    if (!r.ok) errors.push([label, r.error]);
  }
  const findings = [];
  for (const [label, error] of errors) {
    findings.push(...await stackPowers(error, label));
    const where = reach(error, label);
    if (where) findings.push(where);
  }
  return verdict(findings, errors.length + ' errors from E and Far lead only to the realm Error');
};`),
  },
  {
    name: 'errors from refused imports lead to no host Error constructor',
    family: 'constructor chains',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  let count = 0;
  for (const specifier of ['./missing.js', 'node:fs', '../x.js', 'nope://x.js', 'no-such-package', './main.txt']) {
    try { await import(specifier); findings.push(specifier + ' loaded'); } catch (error) {
      count += 1;
      findings.push(...await stackPowers(error, 'import ' + specifier));
      const where = reach(error, 'import ' + specifier, [specifier]);
      if (where) findings.push(where);
    }
  }
  return verdict(findings, count + ' refused imports lead only to the realm Error');
};`),
  },
  {
    name: 'errors from a module that does not parse lead to no shared host object',
    family: 'constructor chains',
    files: { 'bad.js': 'export const = ;' },
    advisory: '2026-11-29-parser-objects-through-syntax-error',
    source: guest(js`
export const attack = async () => {
  try { await import('./bad.js'); } catch (error) {
    const findings = await stackPowers(error, 'syntax error');
    const where = reach(error, 'syntax error');
    if (where) findings.push(where);
    return verdict(findings, 'the syntax error leads to nothing of the host');
  }
  return escaped('a module that does not parse loaded');
};`),
  },
  {
    name: 'the global object constructor leads to no evaluator',
    family: 'constructor chains',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  if (globalThis.constructor !== Object) findings.push('globalThis.constructor is not the realm Object');
  for (const [label, F] of [['globalThis.constructor.constructor', globalThis.constructor.constructor],
    ['Object.getPrototypeOf(globalThis).constructor.constructor', Object.getPrototypeOf(globalThis).constructor.constructor]]) {
    const found = await evalVia(F, label);
    if (found) findings.push(found);
  }
  const where = reach(globalThis.constructor, 'globalThis.constructor');
  if (where) findings.push(where);
  return verdict(findings, 'globalThis.constructor is the realm frozen Object');
};`),
  },
  {
    name: 'endowments and capability methods lead to no Function constructor that sees the host',
    family: 'constructor chains',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const sys = await resolve('system://');
  const file = await resolve('system://etc/app.json');
  const things = [['resolve', resolve], ['E', E], ['Far', Far], ['harden', harden], ['console.log', console.log],
    ['TextEncoder', TextEncoder], ['sys.read', sys.read], ['file.readText', file.readText], ['probe.echo', probe.echo],
    ['E.when', E.when]];
  const findings = [];
  for (const [label, f] of things) {
    const a = await evalVia(f.constructor, label + '.constructor');
    const b = await evalVia(Object.getPrototypeOf(f).constructor, label + ' prototype constructor');
    const where = reach(f, label);
    findings.push(...[a, b, where].filter(Boolean));
  }
  return verdict(findings, things.length + ' host-made functions lead to no evaluator');
};`),
  },
];

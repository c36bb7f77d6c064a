/**
 * Escape scenarios: the shared guest kit — the console and the text codecs.
 * Whatever a guest prints reaches the host as a bounded, neutralised string
 * formatted by guest-realm code; the codecs are guest JavaScript, frozen,
 * and lead to no host function.
 */
import { type Escape, guest, js } from './_escape-kit.js';

export const consoleEscapes: readonly Escape[] = [
  {
    name: 'a Proxy passed to console.log reaches the host route only as a string',
    family: 'console',
    source: guest(js`
export const attack = async () => {
  const calls = [];
  const record = traps(mine({ a: 1, nested: mine({ b: 2 }) }), calls);
  const fn = traps(mine(function named() {}), calls);
  const throwing = mine(new Proxy(mine({}), mine({
    get: mine(() => { throw mine(new Error('trap get')); }),
    ownKeys: mine(() => { throw mine(new Error('trap keys')); }),
    getPrototypeOf: mine(() => { throw mine(new Error('trap proto')); }),
  })));
  const thrownOut = [];
  for (const args of [['a proxy', record], [throwing], [mine([record, throwing])], [fn], [mine({ deep: record })]]) {
    try { console.log(...args); } catch (e) { thrownOut.push(textOf(e && e.message)); }
  }
  const findings = foreign(calls, 'console');
  return verdict(findings, 'console.log formatted Proxies in the realm' + (thrownOut.length ? ' (it threw ' + thrownOut.join(', ') + ')' : ''));
};`),
  },
  {
    name: 'getters and throwing toString passed to console.log run only with the guest own values',
    family: 'console',
    source: guest(js`
export const attack = async () => {
  const calls = [];
  const obj = mine({ get secret() {
    calls.push(['a getter', [], this]);
    return mine({ toString: mine(function (...args) { calls.push(['toString', args, this]); throw mine(new Error('no')); }) });
  } });
  class Weird extends Error {
    get name() { calls.push(['an error name getter', [], this]); return mine({ toString: mine(() => { throw mine(new Error('no name')); }) }); }
  }
  mine(Weird); mine(Weird.prototype);
  const named = mine(function f() {});
  Object.defineProperty(named, 'name', { get: mine(function () { calls.push(['a function name getter', [], this]); return 'n'; }) });
  const thrownOut = [];
  for (const args of [[obj], [mine({ toString() { throw mine(new Error('x')); } })], [mine(new Weird('w'))], [named],
    [mine(Object.create(null))], [Symbol('s'), 10n, undefined, null], [mine({ toJSON: mine(function (...a) { calls.push(['toJSON', a, this]); return 1; }) })]]) {
    try { console.log(...args); } catch (e) { thrownOut.push(textOf(e && e.message)); }
  }
  return verdict(foreign(calls, 'console'), calls.length + ' guest hooks ran, all with guest values' + (thrownOut.length ? ' (console threw ' + thrownOut.join(', ') + ')' : ''));
};`),
  },
  {
    name: 'console methods cannot be replaced and lead to no evaluator',
    family: 'console',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  if (!Object.isFrozen(console)) findings.push('console is not frozen');
  findings.push(...mutate(console, 'console'));
  for (const key of Reflect.ownKeys(console)) {
    const f = console[key];
    if (typeof f !== 'function') continue;
    findings.push(...mutate(f, 'console.' + textOf(key)));
    const found = await evalVia(f.constructor, 'console.' + textOf(key) + '.constructor');
    if (found) findings.push(found);
  }
  const where = reach(console, 'console');
  if (where) findings.push(where);
  return verdict(findings, 'console is frozen and inert');
};`),
  },
  {
    name: 'control characters and huge lines printed by the guest reach the host neutralised and bounded',
    family: 'console',
    source: guest(js`
export const attack = async () => {
  console.log('\u001b[2J\u001b[H\u001b]0;owned\u0007fake prompt$ \r\u009b31m\u0000');
  console.error('line one\nline two\t\u007f');
  console.warn('x'.repeat(100000));
  console.info(mine({ ['\u001b[31mkey']: '\u001b[0mvalue' }));
  return held('printed control characters and a huge line; the host route decides');
};`),
  },
];

export const textCodecs: readonly Escape[] = [
  {
    name: 'TextEncoder and TextDecoder are guest source, not native code',
    family: 'text codecs',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  const sources = [['TextEncoder', TextEncoder], ['TextDecoder', TextDecoder], ['encode', TextEncoder.prototype.encode],
    ['encodeInto', TextEncoder.prototype.encodeInto], ['decode', TextDecoder.prototype.decode]];
  for (const [label, f] of sources) {
    const text = Function.prototype.toString.call(f);
    if (text.includes('[native code]')) findings.push(label + ' is native code');
  }
  if (!TextEncoder.toString().startsWith('class TextEncoder')) findings.push('TextEncoder source is ' + TextEncoder.toString().slice(0, 60));
  const bytes = new TextEncoder().encode('hé');
  if (!(bytes instanceof Uint8Array) || bytes.constructor !== Uint8Array) findings.push('encode returned a foreign byte array');
  if (new TextDecoder().decode(bytes) !== 'hé') findings.push('the codecs do not round-trip');
  return verdict(findings, 'the codecs are guest JavaScript');
};`),
  },
  {
    name: 'the codecs lead to no Function constructor and no host object',
    family: 'text codecs',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  const fns = [['TextEncoder', TextEncoder], ['TextDecoder', TextDecoder], ['encode', TextEncoder.prototype.encode],
    ['decode', TextDecoder.prototype.decode], ['the encoding getter', Object.getOwnPropertyDescriptor(TextEncoder.prototype, 'encoding').get]];
  for (const [label, f] of fns) {
    for (const [how, F] of [['constructor', f.constructor], ['prototype constructor', Object.getPrototypeOf(f).constructor]]) {
      const found = await evalVia(F, label + ' ' + how);
      if (found) findings.push(found);
    }
    const where = reach(f, label);
    if (where) findings.push(where);
  }
  for (const [label, value] of [['an encoder', new TextEncoder()], ['a decoder', new TextDecoder()], ['encoded bytes', new TextEncoder().encode('x')],
    ['encodeInto result', new TextEncoder().encodeInto('x', new Uint8Array(4))]]) {
    const where = reach(value, label);
    if (where) findings.push(where);
  }
  return verdict(findings, 'the codecs lead nowhere');
};`),
  },
  {
    name: 'the codecs cannot be modified',
    family: 'text codecs',
    source: guest(js`
export const attack = async () => {
  const findings = [];
  for (const [label, target] of [['TextEncoder', TextEncoder], ['TextEncoder.prototype', TextEncoder.prototype],
    ['TextDecoder', TextDecoder], ['TextDecoder.prototype', TextDecoder.prototype]]) {
    if (!Object.isFrozen(target)) findings.push(label + ' is not frozen');
    findings.push(...mutate(target, label));
  }
  const original = TextEncoder.prototype.encode;
  try { TextEncoder.prototype.encode = mine(() => 'guest'); } catch (e) {}
  if (TextEncoder.prototype.encode !== original) findings.push('encode was replaced');
  return verdict(findings, 'the codecs are frozen');
};`),
  },
  {
    name: 'the codecs run guest hooks only with the guest own values',
    family: 'text codecs',
    source: guest(js`
export const attack = async () => {
  const calls = [];
  const input = mine({ toString: mine(function (...args) { calls.push(['toString', args, this]); return 'hi'; }) });
  const options = mine({ get fatal() { calls.push(['fatal getter', [], this]); return false; }, get ignoreBOM() { calls.push(['ignoreBOM getter', [], this]); return false; } });
  const label = mine({ toString: mine(function (...args) { calls.push(['label toString', args, this]); return 'utf-8'; }) });
  const tries = [() => new TextEncoder().encode(input), () => new TextDecoder(label, options).decode(traps(mine(new Uint8Array([104, 105])), calls)),
    () => new TextDecoder().decode(traps(mine([104, 105]), calls)), () => new TextEncoder().encodeInto(input, traps(mine(new Uint8Array(4)), calls))];
  for (const t of tries) { try { t(); } catch (e) {} }
  return verdict(foreign(calls, 'codec'), calls.length + ' guest hooks ran with guest values only');
};`),
  },
];

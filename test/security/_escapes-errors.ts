/**
 * Escape scenarios: stack-trace hooks and error messages. A guest's Error
 * has no stack powers; no error it receives carries a host frame, path or
 * object; and what the host formats into a message never hands a guest hook
 * a host object.
 */
import { type Escape, guest, js } from './_escape-kit.js';

/** Guest code collecting every error the host's functions throw at it, as `[label, error]`. */
const COLLECT = js`
const collect = async () => {
  const sys = await resolve('system://');
  const out = [];
  const tries = [
    ['resolve of an unknown name', () => resolve('nope://x')], ['resolve of a number', () => resolve(42)],
    ['a path escape', () => sys.read('../x')], ['a missing file', () => sys.read('missing')], ['bad data', () => sys.write('scratch/x', mine({}))],
    ['a non-empty remove', () => sys.remove('etc')], ['a missing module', () => import('./missing.js')], ['a Node built-in', () => import('node:fs')],
    ['a capability refusal', () => probe.fail()], ['a host failure', () => probe.failHost()], ['a guest throw through the host', () => probe.call(mine(() => { throw mine(new Error('guest')); }))],
    ['Far with a bad method', () => Far('x', mine({ a: 1 }))], ['E of undefined', () => E(undefined).m()], ['a request', () => request(mine({ kind: 'fs.read', purpose: 'more' }))],
  ];
  for (const [label, f] of tries) {
    const r = await settle(f);
    if (!r.ok) out.push([label, r.error]);
  }
  return out;
};`;

/**
 * Guest code judging a refusal that stands for a host failure: it must be a
 * generic IO refusal naming no host path, file or error code (`secrets`),
 * and lead to no host thing.
 */
const JUDGE_HOST_FAILURE = js`
const judgeHostFailure = (error, secrets, label, what) => {
  const findings = [];
  const props = Object.getOwnPropertyNames(error).map(k => { const d = Object.getOwnPropertyDescriptor(error, k); return k + '=' + textOf(d && d.value); });
  const text = props.join(' ') + ' ' + textOf(error);
  if (secrets.some(s => text.includes(s))) findings.push('the ' + what + ' leaked: ' + text.slice(0, 300));
  if (codeOf(error) !== 'IO') findings.push('the failure came back as ' + codeOf(error) + ', not IO');
  const where = reach(error, label);
  if (where) findings.push(where);
  return verdict(findings, 'the ' + label + ' became a generic ' + codeOf(error));
};`;

export const stackTraceHooks: readonly Escape[] = [
  {
    name: 'Error.prepareStackTrace set by the guest never runs, even for errors thrown inside a capability call',
    family: 'stack-trace hooks',
    caps: true,
    source: guest(js`
${COLLECT}
export const attack = async () => {
  const calls = [];
  const hook = mine((error, frames) => { calls.push(frames && frames[0] && frames[0].getThis && frames[0].getThis()); return 'hooked'; });
  try { Error.prepareStackTrace = hook; } catch (e) {}
  try { TypeError.prepareStackTrace = hook; } catch (e) {}
  const errors = await collect();
  for (const [, error] of errors) { try { void error.stack; } catch (e) {} }
  try { void new Error('own').stack; } catch (e) {}
  const findings = [];
  if (calls.length > 0) findings.push('the hook ran ' + calls.length + ' times, the first frame this being ' + typeof calls[0]);
  if (errors.some(([, e]) => textOf(e.stack) === 'hooked')) findings.push('a stack came from the hook');
  return verdict(findings, 'the hook never ran for ' + errors.length + ' errors');
};`),
  },
  {
    name: 'Error.captureStackTrace gives the guest no host frames',
    family: 'stack-trace hooks',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const findings = [];
  const targets = [];
  const capture = label => { const o = mine({}); try { Error.captureStackTrace(o); } catch (e) {} targets.push([label, o]); };
  capture('top level');
  await probe.call(mine(() => capture('inside a capability callback')));
  await settle(() => probe.echo(mine({ get x() { capture('inside a getter the host reads'); return 1; } })));
  const err = mine(new Error('own'));
  try { Error.captureStackTrace(err); } catch (e) {}
  targets.push(['an own error', err]);
  for (const [label, o] of targets) {
    const stack = textOf(o.stack);
    if (leaks(stack) || /:\d+:\d+/.test(stack)) findings.push(label + ': ' + stack.slice(0, 200));
  }
  return verdict(findings, 'captureStackTrace gives no frames');
};`),
  },
  {
    name: 'stacks and messages of errors thrown by the host name no host path',
    family: 'stack-trace hooks',
    caps: true,
    source: guest(js`
${COLLECT}
export const attack = async () => {
  const errors = await collect();
  const findings = [];
  for (const [label, error] of errors) {
    for (const text of [textOf(error.stack), textOf(error.message), textOf(error)]) {
      if (leaks(text) || /\bat .*:\d+:\d+/.test(text)) findings.push(label + ': ' + text.slice(0, 200));
    }
  }
  return verdict(findings, errors.length + ' host errors carry no host frame or path');
};`),
  },
  {
    name: 'Error.stackTraceLimit set by the guest does not change the host',
    family: 'stack-trace hooks',
    source: guest(js`
export const attack = async () => {
  for (const C of [Error, TypeError, RangeError]) { try { C.stackTraceLimit = 0; } catch (e) {} try { C.stackTraceLimit = Infinity; } catch (e) {} }
  return held('stackTraceLimit assignments were accepted or refused; the host fingerprint decides');
};`),
  },
  {
    name: 'a host Error constructor reached through a promise inside a capability result cannot install a stack hook',
    family: 'stack-trace hooks',
    caps: true,
    advisory: '2026-11-29-stack-hook-through-rejected-capability-promise',
    source: guest(js`
export const attack = async () => {
  const job = await probe.job();
  const r = await settle(() => job.done);
  if (r.ok) return held('the job did not fail');
  const findings = await stackPowers(r.error, 'the job failure');
  const where = reach(r.error, 'the job failure');
  if (where) findings.push(where);
  return verdict(findings, 'the job failure is a guest-facing refusal (' + codeOf(r.error) + ')');
};`),
  },
  {
    name: 'an error the guest throws through a capability callback keeps no host frames',
    family: 'stack-trace hooks',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const thrown = mine(new TypeError('from the guest callback'));
  const r = await settle(() => probe.call(mine(() => { throw thrown; })));
  if (r.ok) return held('the callback error was swallowed');
  const findings = [];
  for (const text of [textOf(r.error.stack), textOf(thrown.stack), textOf(r.error.message)]) {
    if (leaks(text) || /\bat .*:\d+:\d+/.test(text)) findings.push(text.slice(0, 200));
  }
  const where = reach(r.error, 'callback failure');
  if (where) findings.push(where);
  return verdict(findings, 'the callback failure came back as ' + codeOf(r.error) + ' with no frames');
};`),
  },
];

export const errorMessages: readonly Escape[] = [
  {
    name: 'hooks on values the host formats into messages never receive a host object',
    family: 'error messages',
    caps: true,
    source: guest(js`
export const attack = async () => {
  const calls = [];
  const hooked = label => mine({
    toString: mine(function (...args) { calls.push([label + '.toString', args, this]); return 'etc/app.json'; }),
    valueOf: mine(function (...args) { calls.push([label + '.valueOf', args, this]); return 7; }),
    toJSON: mine(function (...args) { calls.push([label + '.toJSON', args, this]); return 'hooked'; }),
    [Symbol.toPrimitive]: mine(function (...args) { calls.push([label + '.toPrimitive', args, this]); return 'etc/app.json'; }),
    get name() { calls.push([label + '.name', [], this]); return 'hooked'; },
    get message() { calls.push([label + '.message', [], this]); return 'hooked'; },
  });
  const sys = await resolve('system://');
  const ops = [() => resolve(hooked('uri')), () => sys.read(hooked('path')), () => sys.write('scratch/x', hooked('data')),
    () => sys.write('scratch/x', 'd', hooked('options')), () => sys.rename(hooked('from'), hooked('to')), () => Far(hooked('iface'), mine({})),
    () => E(hooked('target')).method(), () => probe.echo(hooked('echo')), () => request(hooked('request')), () => harden(hooked('harden')),
    () => console.log(hooked('console')), () => new TextDecoder(hooked('label'))];
  const messages = [];
  for (const op of ops) { const r = await settle(op); if (!r.ok) messages.push(textOf(r.error && r.error.message)); }
  const findings = foreign(calls, 'a formatting hook');
  for (const m of messages) if (leaks(m)) findings.push('a message names a host location: ' + m.slice(0, 200));
  return verdict(findings, calls.length + ' hook calls, all with guest values; ' + messages.length + ' refusals');
};`),
  },
  {
    name: 'a host answer whose copy fails reaches the guest as a generic refusal, without the host error',
    family: 'error messages',
    caps: true,
    advisory: '2026-11-29-host-error-through-a-failed-answer-copy',
    source: guest(js`
${JUDGE_HOST_FAILURE}
export const attack = async () => {
  const r = await settle(() => probe.failingAnswer());
  if (r.ok) return escaped('the answer arrived although its copy must fail: ' + textOf(r.value).slice(0, 200));
  return judgeHostFailure(r.error, ['/work/secret', 'host-only.key', 'EACCES'], 'failed answer', 'host error');
};`),
  },
  {
    name: 'a host failure inside a capability reaches the guest without the host path or the host error',
    family: 'error messages',
    caps: true,
    source: guest(js`
${JUDGE_HOST_FAILURE}
export const attack = async () => {
  const r = await settle(() => probe.failHost());
  if (r.ok) return escaped('the failing capability returned');
  return judgeHostFailure(r.error, ['/work/secret', 'host-only.key', 'ENOENT'], 'host failure', 'host failure');
};`),
  },
  {
    name: 'refusals carry only strings, never functions or host objects',
    family: 'error messages',
    caps: true,
    source: guest(js`
${COLLECT}
export const attack = async () => {
  const errors = await collect();
  const findings = [];
  for (const [label, error] of errors) {
    if (typeof error !== 'object' || error === null) continue;
    for (const key of Reflect.ownKeys(error)) {
      const d = Object.getOwnPropertyDescriptor(error, key);
      if (!('value' in d)) findings.push(label + ': ' + textOf(key) + ' is an accessor');
      else if (typeof d.value === 'function' || (typeof d.value === 'object' && d.value !== null && !guestMade.has(d.value))) {
        findings.push(label + ': ' + textOf(key) + ' holds a ' + typeof d.value);
      }
    }
  }
  return verdict(findings, errors.length + ' refusals hold only primitive details');
};`),
  },
];

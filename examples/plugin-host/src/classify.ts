/**
 * Turning what a plugin answered (already copied into host data, see
 * ./guest-data.ts) into a result: a plain value, or one of the report shapes
 * the shipped plugins use:
 *   { attempts: [{ attempt, outcome, code, detail }] }   escape attempts (plugins/hostile)
 *   { reads: [{ outcome, code?, text?, message? }] }      reads of a file (plugins/reader)
 *   { polls: [{ url, at, status, body }], attempts }   fetches, and tries beyond its grants (plugins/poller)
 *   { hosted: [{ name, call, value } | { name, error }] }  what a nested host's plugins answered (plugins/gallery)
 *
 * A report is the plugin's word, never trusted for anything but printing
 * and counting: anything but an explicit "refused" counts as an escape
 * (fail closed), and the host checks what matters itself (host-app.ts).
 *
 * Deliberately not done: hosted reports nested deeper than MAX_HOSTING;
 * deeper levels are shown as plain values.
 */
import { type Data, field } from './guest-data.js';
import type { EscapeAttempt, LogLine, PluginResult, Poll, Read } from './results.js';

const MAX_HOSTING = 2;

const text = (entry: Data, key: string): string => {
  const value = field(entry, key);
  return typeof value === 'string' ? value : '';
};

const toAttempt = (entry: Data): EscapeAttempt => {
  const outcome = text(entry, 'outcome') === 'refused' ? 'refused' : 'succeeded';
  return harden({ attempt: text(entry, 'attempt') || '(unnamed attempt)', outcome, code: text(entry, 'code') || 'SUCCEEDED', detail: text(entry, 'detail') });
};

const toRead = (entry: Data): Read => {
  const ok = text(entry, 'outcome') === 'ok';
  return harden({ outcome: ok ? 'ok' : 'refused', code: ok ? 'OK' : text(entry, 'code') || 'ERROR', text: ok ? text(entry, 'text') : text(entry, 'message') });
};

const number = (entry: Data, key: string): number | undefined => {
  const value = field(entry, key);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

const toPoll = (entry: Data): Poll => harden({ url: text(entry, 'url'), at: number(entry, 'at'), status: number(entry, 'status'), body: text(entry, 'body') });

export interface Context {
  /** The realm's name in the runtime. */
  readonly realm: string;
  /** Lines printed under a realm, by realm name (the host's console route fills them). */
  readonly logOf: (realm: string) => readonly LogLine[];
}

const list = (value: Data, key: string): readonly Data[] | undefined => {
  const found = field(value, key);
  return Array.isArray(found) ? (found as readonly Data[]) : undefined;
};

/** A hosted plugin's entry of a `{ hosted }` report. */
const hostedChild = (entry: Data, parent: string, logOf: Context['logOf'], depth: number): PluginResult => {
  const name = text(entry, 'name') || '(unnamed)';
  // The runtime names a child realm `parent/child`: that is where its console lines went.
  const realm = `${parent}/${name}`;
  const common = { name, realm, log: [...logOf(realm)], checks: [], limits: undefined };
  const error = field(entry, 'error');
  if (error !== undefined) {
    const message = text(error, 'message');
    return harden({ ...common, kind: 'failed', code: text(error, 'code') || 'ERROR', message, problem: message });
  }
  return classify(text(entry, 'call') || 'run()', field(entry, 'value') ?? null, { realm, logOf }, depth + 1, common);
};

type CommonFields = Pick<PluginResult, 'name' | 'realm' | 'log' | 'checks' | 'limits'>;

/** The result for a plugin that answered `value` to `call`. */
export const classify = (call: string, value: Data, context: Context, depth: number, common: CommonFields): PluginResult => {
  const attempts = list(value, 'attempts');
  const polls = list(value, 'polls');
  if (polls !== undefined) return harden({ ...common, kind: 'polls', call, polls: polls.map(toPoll), attempts: (attempts ?? []).map(toAttempt) });
  if (attempts !== undefined) return harden({ ...common, kind: 'escapes', call, attempts: attempts.map(toAttempt) });
  const reads = list(value, 'reads');
  if (reads !== undefined) return harden({ ...common, kind: 'reads', call, reads: reads.map(toRead) });
  const hosted = list(value, 'hosted');
  if (hosted !== undefined && depth < MAX_HOSTING) {
    const children = hosted.map(entry => hostedChild(entry, context.realm, context.logOf, depth));
    return harden({ ...common, kind: 'hosted', call, children });
  }
  return harden({ ...common, kind: 'value', call, value });
};

/** Every result, its hosted ones after it, depth first. */
export const flatten = (results: readonly PluginResult[]): PluginResult[] =>
  results.flatMap(result => [result, ...(result.kind === 'hosted' ? flatten(result.children) : [])]);

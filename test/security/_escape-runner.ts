/**
 * Runs one escape scenario (./_escapes.ts) at a tier and says what went wrong.
 *
 * What a scenario gets, and nothing more: a `memory()` app root holding its
 * source; with `caps`, a `memory()` system root (never hostDir) and the
 * `probe` capability below; with `lifecycle: 'terminate'`, the `harness`
 * capability. The runner then judges: the attack failed (it threw, or its
 * verdict says `held:`) and it told nothing of the host (no host path in a
 * verdict or an error message; the host received only strings and Cathedral
 * errors back); the host is intact (its fingerprint is unchanged, a fresh
 * realm still answers, the system root changed only under `scratch/`, every
 * console line and report the host received was a bounded, neutralised
 * string, and a terminated realm's exports refuse to run).
 *
 * This module only observes; it repairs nothing a scenario broke.
 */
import { memory } from '@cathedral/powerbox';
import type { DirNode, TreeLiteral } from '@cathedral/sdk';
import { CeilingError, NotFoundError, isCathedralError } from '@cathedral/sdk';
import { type Host, type Realm, type Tier, createHost } from '@cathedral/runtime';
import { type Fingerprint, changes, fingerprint, hostMarkers } from '../_helpers.js';
import type { Escape } from './_escape-kit.js';

/** What one exported call did. */
export type Outcome = { readonly kind: 'returned'; readonly value: unknown } | { readonly kind: 'threw'; readonly error: unknown };

/** One line the host's console route received, as it received it. */
interface RoutedLine {
  readonly args: readonly unknown[];
}

/** The system root's content: fake, so nothing a guest finds there is the host's. */
const systemTree = () => ({
  etc: { 'app.json': '{"name":"probe"}', passwd: 'guest-visible fake passwd' },
  lib: { 'util.js': 'export const util = 1;' },
  scratch: {},
});

/**
 * Host functions a real host might hand a guest: they return what they are
 * given, call back, await, refuse, fail with a host error naming a host
 * path, and return values the gate must not hand over raw (a promise inside
 * a record, a Map holding a node and a function, a class instance).
 */
export const makeProbe = () => {
  const store = memory({ secret: 'host-only secret' });
  return {
    echo: (value: unknown) => value,
    call: (fn: unknown) => (typeof fn === 'function' ? (fn as (s: string) => unknown)('from the host') : undefined),
    settle: async (value: unknown) => typeof (await value),
    fail: () => {
      throw new NotFoundError({ operation: 'probe', target: 'probe://thing', problem: 'no such thing', rule: 'probes find nothing' });
    },
    failHost: () => {
      throw Object.assign(new Error("ENOENT: no such file or directory, open '/work/secret/host-only.key'"), {
        code: 'ENOENT',
        path: '/work/secret/host-only.key',
      });
    },
    job: () => {
      const done = Promise.reject(
        new CeilingError({ operation: 'job', target: 'probe://job/1', problem: 'the job needs net.connect', rule: 'jobs stay inside the ceiling' }),
      );
      done.catch(() => {}); // the guest is handed a derived promise; this one is the host's
      return { id: 1, done };
    },
    table: () => new Map<string, unknown>([['store', store], ['greet', () => 'hello from the host']]),
    url: () => new URL('https://example.com/probe'),
  };
};

/** Every file under `dir` with its text, by path; directories end with '/'. */
const dump = async (dir: DirNode, prefix = ''): Promise<Map<string, string>> => {
  const out = new Map<string, string>();
  for (const entry of await dir.list(prefix)) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.kind === 'dir') {
      out.set(`${path}/`, '');
      for (const [k, v] of await dump(dir, path)) out.set(k, v);
    } else out.set(path, await dir.readText(path));
  }
  return out;
};

const messageOf = (error: unknown): string => {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return '[unprintable]';
  }
};

/** Why an outcome counts as a successful attack, or undefined when the attack failed. */
export const judge = (outcome: Outcome, markers: readonly RegExp[]): string | undefined => {
  if (outcome.kind === 'threw') {
    if (!isCathedralError(outcome.error)) return `the host received a raw thrown value: ${messageOf(outcome.error)}`;
    const text = messageOf(outcome.error);
    if (text.includes('FORGED-BY-GUEST') && !isCathedralError(outcome.error, 'GUEST')) {
      return `the host took an error the guest made for its own refusal: ${text}`;
    }
    const marker = markers.find(m => m.test(text));
    return marker === undefined ? undefined : `the error the host received names a host location (${String(marker)}): ${text}`;
  }
  const { value } = outcome;
  if (typeof value !== 'string') return `the attack returned a ${typeof value}, not a verdict string`;
  const marker = markers.find(m => m.test(value));
  if (marker !== undefined) return `the verdict names a host location (${String(marker)}): ${value}`;
  return value.startsWith('held: ') ? undefined : value;
};

const outcomeOf = async (run: () => Promise<unknown>): Promise<Outcome> => {
  try {
    return { kind: 'returned', value: await run() };
  } catch (error) {
    return { kind: 'threw', error };
  }
};

const callAttack = (realm: Realm): Promise<unknown> => {
  const attack = realm.exports['attack'];
  if (typeof attack !== 'function') return Promise.reject(new Error(`realm ${realm.name} exports no attack`));
  return (attack as () => Promise<unknown>)();
};

/** Everything a scenario run found wrong; empty lists mean the attack failed and the host is intact. */
export interface Findings {
  readonly verdicts: readonly string[];
  readonly escapes: readonly string[];
  readonly damage: readonly string[];
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const MAX_LINE = 16 * 1024 + 64;
const LEVELS = new Set(['log', 'info', 'warn', 'error', 'debug']);

/** A host shared by a whole suite, with what its routes received. */
export interface SuiteHost {
  readonly host: Host;
  readonly lines: RoutedLine[];
  readonly reports: unknown[][];
  readonly before: Fingerprint;
  readonly markers: readonly RegExp[];
}

export const makeSuiteHost = async (): Promise<SuiteHost> => {
  const lines: RoutedLine[] = [];
  const reports: unknown[][] = [];
  const host = await createHost({
    console: (...args: unknown[]) => {
      lines.push({ args });
    },
    report: (...args: unknown[]) => {
      reports.push(args);
    },
  });
  return { host, lines, reports, before: fingerprint(), markers: hostMarkers() };
};

export const runEscape = async (suite: SuiteHost, tier: Tier, scenario: Escape, index: number): Promise<Findings> => {
  const { host, lines, reports, before, markers } = suite;
  const verdicts: string[] = [];
  const escapes: string[] = [];
  const damage: string[] = [];
  const firstLine = lines.length;
  const firstReport = reports.length;
  const system = memory(systemTree());
  const systemBefore = await dump(system);
  const realms: Realm[] = [];
  const names = [`esc-${index}-a`, `esc-${index}-b`];

  const spawn = async (name: string, source: string, extraCaps: Record<string, unknown>): Promise<Realm> => {
    const realm = await host.spawn({
      tier,
      name,
      main: 'app://main.js',
      realms: {
        app: memory({ ...(scenario.files ?? {}), 'main.js': source } satisfies TreeLiteral),
        ...(scenario.caps === true ? { system } : {}),
      },
      caps: { ...(scenario.caps === true ? { probe: makeProbe() } : {}), ...extraCaps },
    });
    realms.push(realm);
    return realm;
  };

  const attackWith = async (name: string, source: string): Promise<Outcome> => {
    if (scenario.lifecycle !== 'terminate') {
      const realm = await spawn(name, source, {});
      return outcomeOf(() => callAttack(realm));
    }
    let ready!: () => void;
    let terminated!: () => void;
    const isReady = new Promise<void>(r => (ready = r));
    const isTerminated = new Promise<void>(r => (terminated = r));
    const realm = await spawn(name, source, { harness: { ready: () => ready(), terminated: isTerminated } });
    const pending = outcomeOf(() => callAttack(realm));
    await Promise.race([isReady, pending]);
    await realm.terminate();
    terminated();
    const outcome = await pending;
    const again = await outcomeOf(() => callAttack(realm));
    if (again.kind !== 'threw' || !isCathedralError(again.error, 'REVOKED')) damage.push(`the exports of terminated realm ${name} still run`);
    return outcome;
  };

  try {
    const sources: Array<readonly [string, string]> = [[names[0]!, scenario.source]];
    if (scenario.observer !== undefined) sources.push([names[1]!, scenario.observer]);
    for (const [name, source] of sources) {
      let outcome: Outcome;
      try {
        outcome = await attackWith(name, source);
      } catch (error) {
        escapes.push(`realm ${name} did not start, so the scenario proves nothing: ${messageOf(error)}`);
        continue;
      }
      verdicts.push(`${name}: ${outcome.kind === 'returned' ? String(outcome.value) : `threw ${messageOf(outcome.error)}`}`);
      const why = judge(outcome, markers);
      if (why !== undefined) escapes.push(`${name}: ${why}`);
    }
  } finally {
    for (const realm of realms) await realm.terminate();
  }

  damage.push(...changes(before, fingerprint()));
  const systemAfter = await dump(system);
  for (const key of new Set([...systemBefore.keys(), ...systemAfter.keys()])) {
    if (key.startsWith('scratch/')) continue;
    if (systemBefore.get(key) !== systemAfter.get(key)) damage.push(`system://${key} changed outside scratch/`);
  }
  const fresh = await host.spawn({ tier, name: `esc-${index}-fresh`, main: 'app://main.js', realms: { app: memory({ 'main.js': 'export const ping = () => "pong";' }) } });
  const pong = await outcomeOf(() => (fresh.exports['ping'] as () => Promise<unknown>)());
  await fresh.terminate();
  if (pong.kind !== 'returned' || pong.value !== 'pong') damage.push('a fresh realm no longer answers ping');

  for (const { args } of lines.slice(firstLine)) {
    const [realm, level, line] = args;
    if (args.length !== 3 || typeof realm !== 'string' || typeof level !== 'string' || typeof line !== 'string') {
      damage.push(`the console route was called with ${args.map(a => typeof a).join(', ')}, not three strings`);
      continue;
    }
    if (!names.includes(realm)) continue;
    if (!LEVELS.has(level)) damage.push(`a console line came with level ${JSON.stringify(level)}`);
    if (CONTROL.test(line)) damage.push(`a console line reached the host with a control character: ${JSON.stringify(line.slice(0, 80))}`);
    if (line.length > MAX_LINE) damage.push(`a console line of ${line.length} characters reached the host`);
    if (scenario.forbidConsole?.test(line) === true) damage.push(`a forbidden console line reached the host: ${JSON.stringify(line.slice(0, 80))}`);
  }
  for (const args of reports.slice(firstReport)) {
    if (args.length !== 1 || typeof args[0] !== 'string') damage.push(`the report route was called with ${args.map(a => typeof a).join(', ')}`);
  }
  return { verdicts, escapes, damage };
};

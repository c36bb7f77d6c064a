/**
 * Runs one escape scenario (./_escapes.ts) at a tier and says what went wrong.
 *
 * What a scenario gets, and nothing more: a `memory()` app root holding its
 * source; with `caps`, a `memory()` system root (never hostDir), the `probe`
 * capability below (a Far object) and `probeRecord` (the same functions as a
 * plain record); with `lifecycle: 'terminate'`, the `harness` capability.
 * The runner then judges (./_escape-judge.ts): the attack failed (it threw,
 * or its verdict says `held:`; with `answers: 'data'`, what it answered is
 * host-made plain data) and it told nothing of the host (no host path in a
 * verdict or an error message; the host received only strings and Cathedral
 * errors back); the call settled (an attack still pending after `HANG_MS`
 * is a hang); the host is intact (its fingerprint is unchanged, a fresh
 * realm still answers, the system root changed only under `scratch/`, every
 * console line and report the host received was a bounded, neutralised
 * string, with `forbidHostOutput` nothing reached the host's own stdout or
 * stderr, a terminated realm's exports refuse to run, and every capability
 * it answered refuses with REVOKED).
 *
 * Tiers. A suite host serves one tier. At `worker` and `process` the guest
 * runs in its own thread or process, so:
 *  - the host's fingerprint is taken after one realm of the tier has run:
 *    the boundary's first use makes Node materialise lazy globals of the
 *    host (`atob`, `btoa`), the host's own doing and not a guest's;
 *  - the fresh realm that shows the host still answers after each scenario
 *    is spawned at `compartment`, in the host's own heap where damage would
 *    show, which costs milliseconds instead of a thread or process; that the
 *    tier itself still spawns is shown by the next scenario and by the
 *    suite's last test;
 *  - with `lifecycle: 'terminate'`, the guest's thread or process is stopped
 *    at terminate, so it cannot run after it: once it said `ready()`, its
 *    pending attack must be refused with REVOKED (an answer would mean the
 *    ended realm still talks to the host).
 * At every tier, no effect may land on the system root after `terminate()`
 * resolved (writes racing the end of the realm land before it or not at all).
 *
 * A scenario's `tiers` entry for the suite's tier may replace its sources
 * (`adapted`); `not applicable` and `open` are handled by ./_escape-suite.ts.
 *
 * This module only observes; it repairs nothing a scenario broke.
 */
import { E, Far } from '@endo/far';
import { memory } from '@cathedral/powerbox';
import type { DirNode, TreeLiteral } from '@cathedral/sdk';
import { CeilingError, NotFoundError, isCathedralError } from '@cathedral/sdk';
import { type Host, type Realm, type Tier, createHost } from '@cathedral/runtime';
import { type Fingerprint, changes, fingerprint, hostMarkers } from '../_helpers.js';
import type { Escape } from './_escape-kit.js';
import { CONTROL, type Outcome, captureHostOutput, describe, judge, judgeData, messageOf, outcomeOf } from './_escape-judge.js';

export type { Outcome } from './_escape-judge.js';

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
 * a record, a Map holding a node and a function, a class instance, a record
 * whose copy fails with a host error).
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
    // An answer whose copy fails in the host: listing the keys of `detail` throws a host error naming a host path.
    failingAnswer: () => ({
      status: 200,
      detail: new Proxy(
        {},
        {
          ownKeys: () => {
            throw Object.assign(new Error("EACCES: permission denied, open '/work/secret/host-only.key'"), { code: 'EACCES' });
          },
        },
      ),
    }),
    greeter: () => (name: unknown) => (typeof name === 'string' ? `hello ${name}` : 'hello'),
  };
};

/**
 * The probe as scenarios get it: a Far object, the shape every tier hands
 * over as one capability; `probeRecord` holds the same functions as a plain
 * record, a shape hosts also pass (see the 'boundary' scenarios).
 */
const probeCaps = () => ({ probe: Far('Probe', makeProbe()), probeRecord: makeProbe() });

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

const MAX_LINE = 16 * 1024 + 64;
const LEVELS = new Set(['log', 'info', 'warn', 'error', 'debug']);

/** A host shared by a whole suite, with what its routes received. */
export interface SuiteHost {
  readonly host: Host;
  readonly tier: Tier;
  readonly lines: RoutedLine[];
  readonly reports: unknown[][];
  readonly before: Fingerprint;
  readonly markers: readonly RegExp[];
}

const isRemote = (tier: Tier): boolean => tier !== 'compartment';

const PING = 'export const ping = bytes => (bytes instanceof Uint8Array && bytes[0] === 7 ? new Uint8Array([8]) : "no");';

/** Spawns a realm at `tier` answering `ping` (bytes both ways), and says whether it answered. */
export const pingAt = async (host: Host, tier: Tier, name: string): Promise<boolean> => {
  const fresh = await host.spawn({ tier, name, main: 'app://main.js', realms: { app: memory({ 'main.js': PING }) } });
  const pong = await outcomeOf(() => (fresh.exports['ping'] as (b: Uint8Array) => Promise<unknown>)(new Uint8Array([7])));
  await fresh.terminate();
  return pong.kind === 'returned' && pong.value instanceof Uint8Array && pong.value[0] === 8;
};

export const makeSuiteHost = async (tier: Tier = 'compartment'): Promise<SuiteHost> => {
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
  if (isRemote(tier) && !(await pingAt(host, tier, 'esc-warm-up'))) throw new Error(`the ${tier} tier does not answer a ping`);
  return { host, tier, lines, reports, before: fingerprint(), markers: hostMarkers() };
};


const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

export const runEscape = async (suite: SuiteHost, scenario: Escape, index: number): Promise<Findings> => {
  const { host, tier, lines, reports, before, markers } = suite;
  const at = scenario.tiers?.[tier];
  const source = at?.kind === 'adapted' && at.source !== undefined ? at.source : scenario.source;
  const observer = at?.kind === 'adapted' && at.observer !== undefined ? at.observer : scenario.observer;
  const caps: unknown[] = [];
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
      caps: { ...(scenario.caps === true ? probeCaps() : {}), ...extraCaps },
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
    let wasReady = false;
    const isReady = new Promise<void>(r => (ready = () => {
      wasReady = true;
      r();
    }));
    const isTerminated = new Promise<void>(r => (terminated = r));
    const realm = await spawn(name, source, { harness: Far('Harness', { ready: () => ready(), terminated: () => isTerminated }) });
    const pending = outcomeOf(() => callAttack(realm));
    await Promise.race([isReady, pending]);
    await realm.terminate();
    const atTerminate = await dump(system);
    terminated();
    const outcome = await pending;
    await sleep(20);
    const later = await dump(system);
    for (const key of new Set([...atTerminate.keys(), ...later.keys()])) {
      if (atTerminate.get(key) !== later.get(key)) damage.push(`system://${key} changed after realm ${name} was terminated`);
    }
    const again = await outcomeOf(() => callAttack(realm));
    if (again.kind !== 'threw' || !isCathedralError(again.error, 'REVOKED')) damage.push(`the exports of terminated realm ${name} still run`);
    if (isRemote(tier) && wasReady && (outcome.kind !== 'threw' || !isCathedralError(outcome.error, 'REVOKED'))) {
      escapes.push(`${name}: the guest of a terminated ${tier} realm answered: ${describe(outcome, false)}`);
    }
    return outcome;
  };

  const output = scenario.forbidHostOutput === true ? captureHostOutput() : undefined;
  try {
    const sources: Array<readonly [string, string]> = [[names[0]!, source]];
    if (observer !== undefined) sources.push([names[1]!, observer]);
    for (const [name, source] of sources) {
      let outcome: Outcome;
      try {
        outcome = await attackWith(name, source);
      } catch (error) {
        escapes.push(`realm ${name} did not start, so the scenario proves nothing: ${messageOf(error)}`);
        continue;
      }
      verdicts.push(`${name}: ${describe(outcome, scenario.answers === 'data')}`);
      const why = scenario.answers === 'data' && outcome.kind === 'returned' ? judgeData(outcome.value, markers, caps) : judge(outcome, markers);
      if (why !== undefined) escapes.push(`${name}: ${why}`);
    }
  } finally {
    for (const realm of realms) await realm.terminate();
    if (output !== undefined) {
      await sleep(100); // a thread's output reaches the host's streams a little later
      const printed = output.stop().join('');
      if (printed.length > 0) {
        damage.push(`the host's stdout or stderr received ${printed.length} characters outside its routes: ${JSON.stringify(printed.slice(0, 200))}`);
        if (CONTROL.test(printed)) damage.push('what reached the host\'s stdout or stderr holds control characters');
      }
    }
  }
  // A function, or a method of a capability record, must refuse with REVOKED (the README's promise for
  // what the host keeps of an ended realm); a remote presence must not answer (its thread or process is gone).
  for (const cap of caps) {
    const calls: Array<readonly [string, () => unknown]> = [];
    if (typeof cap === 'function') calls.push(['a function', cap as () => unknown]);
    else {
      for (const key of Object.keys(cap as object)) {
        const method = (cap as Record<string, unknown>)[key];
        if (typeof method === 'function') calls.push([`method ${key}`, () => Reflect.apply(method, cap, [''])]);
      }
      if (calls.length === 0) {
        const after = await outcomeOf(async () => E(cap as never as () => unknown)());
        if (after.kind === 'returned') damage.push(`a presence a terminated realm answered still answers: ${describe(after, false)}`);
      }
    }
    for (const [what, call] of calls) {
      const after = await outcomeOf(async () => call());
      if (after.kind !== 'threw' || !isCathedralError(after.error, 'REVOKED')) {
        damage.push(`${what} of a capability a terminated realm answered does not refuse with REVOKED: ${describe(after, false)}`);
      }
    }
  }

  damage.push(...changes(before, fingerprint()));
  const systemAfter = await dump(system);
  for (const key of new Set([...systemBefore.keys(), ...systemAfter.keys()])) {
    if (key.startsWith('scratch/')) continue;
    if (systemBefore.get(key) !== systemAfter.get(key)) damage.push(`system://${key} changed outside scratch/`);
  }
  if (!(await pingAt(host, 'compartment', `esc-${index}-fresh`))) damage.push('a fresh realm no longer answers ping');

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

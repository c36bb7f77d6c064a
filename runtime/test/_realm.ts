/** Test helpers: a host whose console lines are collected, and exported-function calls. */
import test, { type ExecutionContext } from 'ava';
import { createHost, type Host, type Realm, type Tier } from '../src/index.js';

export interface Line {
  readonly realm: string;
  readonly level: string;
  readonly line: string;
}

export const makeTestHost = async (): Promise<{ host: Host; lines: Line[]; reports: string[] }> => {
  const lines: Line[] = [];
  const reports: string[] = [];
  const host = await createHost({
    console: (realm, level, line) => lines.push({ realm, level, line }),
    report: message => reports.push(message),
  });
  return { host, lines, reports };
};

/** Calls an exported function of a realm's main module. */
export const call = <R = unknown>(realm: Realm, name: string, ...args: unknown[]): Promise<R> => {
  const fn = realm.exports[name];
  if (typeof fn !== 'function') throw new Error(`the realm exports no function "${name}"`);
  return (fn as (...a: unknown[]) => Promise<R>)(...args);
};

/** Every tier; the realm suites run once per tier. */
export const tiers = ['compartment', 'worker', 'process'] as const;

/** Registers one test per tier, named `[tier] title`. */
export const eachTier = (title: string, impl: (t: ExecutionContext, tier: Tier) => Promise<void>): void => {
  // Remote-tier tests run one at a time: each spawn is a thread or process
  // that takes a second or two of CPU, and this machine has two cores.
  for (const tier of tiers) (tier === 'compartment' ? test : test.serial)(`[${tier}] ${title}`, t => impl(t, tier));
};

/** Test helpers: a host whose console lines are collected, and exported-function calls. */
import { createHost, type Host, type Realm } from '../src/index.js';

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

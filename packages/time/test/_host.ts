/** Test helpers: a host that collects console lines and reports, and the tiers the realm tests run at. */
import test, { type ExecutionContext } from 'ava';
import { createHost, type Host, type Tier } from '@cathedral/runtime';

export const makeTestHost = async (): Promise<{ host: Host; reports: string[] }> => {
  const reports: string[] = [];
  const host = await createHost({ console: () => {}, report: message => reports.push(message) });
  return { host, reports };
};

/** The compartment tier, and the process tier (one at a time: each spawn is a process on a two-core machine). */
export const eachTier = (title: string, impl: (t: ExecutionContext, tier: Tier) => Promise<void>): void => {
  test(`[compartment] ${title}`, t => impl(t, 'compartment'));
  test.serial(`[process] ${title}`, t => impl(t, 'process'));
};

/** How many ref'd host timers the process holds. */
export const hostTimeouts = (): number => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length;

export const pause = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

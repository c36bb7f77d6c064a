/**
 * The realm escape suite, as data: every scenario, by family. The suite
 * runs all of them at each tier (./escapes.test.ts, ./escapes-worker.test.ts,
 * ./escapes-process.test.ts, through ./_escape-suite.ts); the scenario shape
 * and the guest prelude are in ./_escape-kit.ts, the families in
 * ./_escapes-*.ts (the ones written for the remote tiers in
 * ./_escapes-node-powers.ts and ./_escapes-boundary.ts).
 */
import type { Escape, Family } from './_escape-kit.js';
import { constructorChains } from './_escapes-chains.js';
import { consoleEscapes, textCodecs } from './_escapes-endowments.js';
import { errorMessages, stackTraceHooks } from './_escapes-errors.js';
import { evaluators } from './_escapes-evaluators.js';
import { missingGlobals, prototypePollution } from './_escapes-globals.js';
import { forgery, species, thenables } from './_escapes-hooks.js';
import { proxiesAndGetters } from './_escapes-proxies.js';
import { crossRealm, revocationEscapes } from './_escapes-realms.js';
import { boundary } from './_escapes-boundary.js';
import { nodePowers } from './_escapes-node-powers.js';

export type { Escape, Family } from './_escape-kit.js';

export const escapes: readonly Escape[] = [
  ...constructorChains,
  ...evaluators,
  ...stackTraceHooks,
  ...proxiesAndGetters,
  ...thenables,
  ...species,
  ...prototypePollution,
  ...missingGlobals,
  ...errorMessages,
  ...consoleEscapes,
  ...textCodecs,
  ...forgery,
  ...crossRealm,
  ...revocationEscapes,
  ...nodePowers,
  ...boundary,
];

/** How many scenarios each family has. */
export const countByFamily = (): ReadonlyMap<Family, number> => {
  const counts = new Map<Family, number>();
  for (const { family } of escapes) counts.set(family, (counts.get(family) ?? 0) + 1);
  return counts;
};

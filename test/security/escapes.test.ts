/**
 * The realm escape suite at the compartment tier: every scenario of
 * ./_escapes.ts must fail to escape and leave the host intact.
 *
 * One host serves the whole file, so damage a scenario leaves behind shows
 * up in its own check (its fingerprint is compared with the one taken before
 * the suite) and cannot hide. Scenarios run one at a time: some install
 * process-wide state for a moment when an escape is open, and a concurrent
 * scenario would see it. The same scenarios run at the worker and process
 * tiers (./escapes-worker.test.ts, ./escapes-process.test.ts).
 *
 * A scenario with an `advisory` is the permanent repro of an escape once
 * found (test/security/advisories/<advisory>.md); it must stay green.
 */
import test from 'ava';
import { families } from './_escape-kit.js';
import { countByFamily, escapes } from './_escapes.js';
import { declareEscapeSuite } from './_escape-suite.js';

test.serial('escape suite - has at least 40 scenarios, covering every family', t => {
  t.true(escapes.length >= 40, `only ${escapes.length} scenarios`);
  t.deepEqual([...countByFamily().keys()].sort(), [...families].sort());
  t.is(new Set(escapes.map(e => `${e.family}/${e.name}`)).size, escapes.length, 'scenario names are unique');
});

declareEscapeSuite('compartment');

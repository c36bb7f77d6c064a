/**
 * The realm escape suite at the compartment tier: every scenario of
 * ./_escapes.ts must fail to escape and leave the host intact.
 *
 * One host serves the whole file, so damage a scenario leaves behind shows
 * up in its own check (its fingerprint is compared with the one taken before
 * the suite) and cannot hide. Scenarios run one at a time: some install
 * process-wide state for a moment when an escape is open, and a concurrent
 * scenario would see it.
 *
 * A scenario with an `advisory` is the permanent repro of an escape once
 * found (test/security/advisories/<advisory>.md); it must stay green.
 */
import test from 'ava';
import type { Tier } from '@cathedral/runtime';
import { countByFamily, escapes } from './_escapes.js';
import { type SuiteHost, makeSuiteHost, runEscape } from './_escape-runner.js';

const tier: Tier = 'compartment';
let suite: SuiteHost | undefined;

test.before(async () => {
  suite = await makeSuiteHost();
});

test.serial('escape suite - has at least 40 scenarios, covering every family', t => {
  t.true(escapes.length >= 40, `only ${escapes.length} scenarios`);
  t.is(countByFamily().size, 14);
  t.is(new Set(escapes.map(e => `${e.family}/${e.name}`)).size, escapes.length, 'scenario names are unique');
});

escapes.forEach((scenario, index) => {
  const declare = test.serial;
  declare(`escape (${scenario.family}) - ${scenario.name}`, async t => {
    if (suite === undefined) throw new Error('the suite host was not made');
    const { verdicts, escapes: found, damage } = await runEscape(suite, tier, scenario, index);
    for (const verdict of verdicts) t.log(verdict);
    for (const line of damage) t.log(`damage: ${line}`);
    t.deepEqual(found, [], 'the attack failed');
    t.deepEqual(damage, [], 'the host is intact');
  });
});

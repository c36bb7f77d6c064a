/**
 * Declares the escape suite at one tier: every scenario of ./_escapes.ts as
 * one serial ava test, judged by ./_escape-runner.ts against one host made
 * for the whole file.
 *
 * A scenario's `tiers` entry for the tier decides how its test is declared,
 * with the reason in its title so that nothing is skipped silently:
 * `not applicable` is listed as skipped, `open` (an escape found and not yet
 * closed) is `failing`, `adapted` runs like any other. The last test spawns
 * a fresh realm at the tier, so the tier itself is shown to still work
 * after every scenario ran.
 *
 * It does not decide what a scenario means at a tier: the scenario's own
 * `tiers` field does, next to the scenario.
 */
import test from 'ava';
import type { Tier } from '@cathedral/runtime';
import { escapes } from './_escapes.js';
import { type SuiteHost, makeSuiteHost, pingAt, runEscape } from './_escape-runner.js';

/** How long one scenario may take: a remote realm costs a thread or process start, more on a loaded machine. */
const timeoutOf = (tier: Tier): number => (tier === 'compartment' ? 10_000 : 90_000);

export const declareEscapeSuite = (tier: Tier): void => {
  let suite: SuiteHost | undefined;

  test.before(async t => {
    t.timeout(timeoutOf(tier));
    suite = await makeSuiteHost(tier);
  });

  escapes.forEach((scenario, index) => {
    const at = scenario.tiers?.[tier];
    const title = `escape (${scenario.family}) - ${scenario.name}`;
    const run = async (t: import('ava').ExecutionContext) => {
      t.timeout(timeoutOf(tier));
      if (suite === undefined) throw new Error('the suite host was not made');
      if (at?.kind === 'adapted') t.log(`adapted at ${tier}: ${at.reason}`);
      if (at?.kind === 'open') t.log(`open ${at.severity} at ${tier}: ${at.finding}`);
      const { verdicts, escapes: found, damage } = await runEscape(suite, scenario, index);
      for (const verdict of verdicts) t.log(verdict);
      for (const line of damage) t.log(`damage: ${line}`);
      t.deepEqual(found, [], 'the attack failed');
      t.deepEqual(damage, [], 'the host is intact');
    };
    switch (at?.kind) {
      case undefined:
      case 'adapted':
        test.serial(title, run);
        break;
      case 'not applicable':
        test.serial.skip(`${title} [not applicable at ${tier}: ${at.reason}]`, run);
        break;
      case 'open':
        test.serial.failing(`${title} [open ${at.severity} at ${tier}]`, run);
        break;
      default: {
        const never: never = at;
        throw new Error(`unknown tier entry ${JSON.stringify(never)}`);
      }
    }
  });

  test.serial(`the host still spawns a ${tier} realm that answers after the whole suite`, async t => {
    t.timeout(timeoutOf(tier));
    if (suite === undefined) throw new Error('the suite host was not made');
    t.true(await pingAt(suite.host, tier, 'esc-last'));
  });
};

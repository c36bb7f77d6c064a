/**
 * Lockdown cost, measured with fresh child processes.
 *
 * Ours: a fresh `node` that imports `ses` and calls `lockdown()`, then exits.
 * Baseline: a fresh `node` that does nothing (`-e ''`), so the figure's
 * excess over it is what SES costs a process at start. A context row does
 * the same with `@cathedral/sdk/shims` (what a Cathedral host or guest
 * imports first: SES, the eventual-send shim, and lockdown with
 * Cathedral's options).
 *
 * Each figure is the wall time from `execFile` to the child's exit; the
 * three run in the same rotating rounds. The children run in this package's
 * directory, so `ses` resolves as it does for the bench.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LockdownProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { rotate, summarize } from './stats.js';

const benchDir = fileURLToPath(new URL('../..', import.meta.url));

const SES = "import 'ses'; lockdown(); if (!Object.isFrozen(Array.prototype)) process.exit(3);";
const SHIMS = "import '@cathedral/sdk/shims'; if (!Object.isFrozen(Array.prototype)) process.exit(3);";

/** ms from spawning `node --input-type=module -e source` to its exit; throws unless it exits 0. */
const timeNode = (source: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    execFile(process.execPath, ['--input-type=module', '-e', source], { cwd: benchDir }, (error, _stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (error !== null) reject(new Error(`lockdown benchmark: node -e ${JSON.stringify(source)} failed: ${error.message} ${stderr}`));
      else resolve(ms);
    });
  });

export const benchLockdown = async (profile: LockdownProfile): Promise<readonly Row[]> => {
  const samples = await rotate(profile, {
    bare: () => timeNode(''),
    ses: () => timeNode(SES),
    shims: () => timeNode(SHIMS),
  });
  const bare = summarize(samples.bare);
  return [
    makeRow({
      id: 'lockdown',
      title: "lockdown: fresh node, import 'ses' + lockdown()",
      unit: 'ms',
      ours: summarize(samples.ses),
      peer: 'baseline: fresh node doing nothing',
      baseline: bare,
      target: { kind: 'context' },
      note: "node --input-type=module -e \"import 'ses'; lockdown()\" vs node -e '' (wall time from spawn to exit; the excess is SES's start-up cost)",
    }),
    makeRow({
      id: 'lockdown-shims',
      title: "lockdown: fresh node, import '@cathedral/sdk/shims'",
      unit: 'ms',
      ours: summarize(samples.shims),
      peer: 'baseline: fresh node doing nothing',
      baseline: bare,
      target: { kind: 'context' },
      note: "node --input-type=module -e \"import '@cathedral/sdk/shims'\" (SES, eventual-send shim, lockdown with Cathedral's options) vs node -e ''",
    }),
  ];
};

/**
 * An overlay's diff (what upper and the whiteouts change over lower) and the
 * commit that applies it to lower. The order of a commit, and what it can
 * and cannot promise, are stated in overlay.ts.
 */
import type { NodeKind } from '@cathedral/sdk';
import { type CathedralError, IoError, isCathedralError, makeError } from '@cathedral/sdk';
import { type CheckedPath, checkPath, showPath } from '../path.js';
import { type OverlayState, child, whiteoutsBelow } from './overlay-view.js';

/** One change of the overlay over lower. */
export interface OverlayChange {
  readonly path: string;
  readonly change: 'write' | 'mkdir' | 'remove';
}

interface Step extends OverlayChange {
  readonly at: CheckedPath;
}

const listing = async (node: OverlayState['upper'], at: CheckedPath, present: boolean): Promise<Map<string, NodeKind>> =>
  new Map(present ? (await node.list(showPath(at))).map(({ name, kind }) => [name, kind] as const) : []);

/**
 * Walks upper, and lower where upper or a whiteout touches it, in tree
 * order. `hidden`: lower's entries here are all whited out (an opaque
 * directory). Lower subtrees that nothing touches are not visited.
 */
const walk = async (state: OverlayState, at: CheckedPath, inUpper: boolean, inLower: boolean, hidden: boolean, out: Step[]): Promise<void> => {
  const ups = await listing(state.upper, at, inUpper);
  const lows = await listing(state.lower, at, inLower);
  const names = [...new Set([...ups.keys(), ...lows.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const path = child('diff', at, name);
    const key = showPath(path);
    const step = (change: OverlayChange['change']) => out.push({ path: key, change, at: path });
    const up = ups.get(name);
    const low = lows.get(name);
    const gone = hidden || state.whiteouts.has(key);
    if (up === undefined) {
      if (gone) step('remove');
      else if (low === 'dir' && whiteoutsBelow(state, key)) await walk(state, path, false, true, false, out);
      continue;
    }
    if (low !== undefined && low !== up) step('remove');
    if (up === 'file') {
      step('write');
    } else if (low === 'dir') {
      await walk(state, path, true, true, gone, out);
    } else {
      step('mkdir');
      await walk(state, path, true, false, false, out);
    }
  }
};

/**
 * The changes, sorted by path segment by segment (a directory before what
 * is inside it); at one path a `remove` comes before the `write` or `mkdir`
 * that replaces it with another kind.
 */
export const diffSteps = async (state: OverlayState): Promise<readonly Step[]> => {
  const out: Step[] = [];
  await walk(state, checkPath('diff', ''), true, true, false, out);
  return out;
};

/**
 * The order a commit applies `steps` in, so that lower keeps the most data
 * at every moment: first every write and mkdir that replaces nothing, then
 * each replacement of one kind by another (remove, then create it and what is
 * below it), and the plain removes last.
 */
const commitOrder = (steps: readonly Step[]): Step[] => {
  const replaced = steps.filter(s => s.change !== 'remove' && steps.some(r => r.change === 'remove' && r.path === s.path));
  const under = (s: Step, r: Step) => s.at.length >= r.at.length && r.at.every((x, i) => s.at[i] === x);
  const creates = steps.filter(s => s.change !== 'remove');
  return [
    ...creates.filter(s => !replaced.some(r => under(s, r))),
    ...replaced.flatMap(r => [
      ...steps.filter(s => s.change === 'remove' && s.path === r.path),
      ...creates.filter(s => under(s, r)),
    ]),
    ...steps.filter(s => s.change === 'remove' && !replaced.some(r => r.path === s.path)),
  ];
};

const apply = async (state: OverlayState, step: Step): Promise<void> => {
  switch (step.change) {
    case 'write':
      return state.lower.write(step.path, await state.upper.read(step.path));
    case 'mkdir':
      return state.lower.mkdir(step.path);
    case 'remove':
      return state.lower.remove(step.path, { recursive: true });
    default:
      return step.change satisfies never;
  }
};

const summary = (changes: readonly OverlayChange[]): string => {
  const shown = changes.slice(0, 8).map(c => `${c.change} ${JSON.stringify(c.path)}`);
  return changes.length > 8 ? `${shown.join(', ')} and ${changes.length - 8} more` : shown.join(', ');
};

/**
 * The refusal of a commit, with its cause's code, saying which change failed
 * (none: lower refused the first, no-op, mutation) and what had been applied.
 */
const failed = (error: unknown, step: Step | undefined, applied: readonly OverlayChange[], total: number): CathedralError => {
  const where = step === undefined ? 'lower refuses changes' : `${step.change} in lower failed`;
  const done =
    applied.length === 0
      ? 'nothing was applied to lower'
      : `${applied.length} of ${total} changes were applied to lower before it (${summary(applied)})`;
  const after = 'the overlay is unchanged and still shows every change; commit again once lower accepts them';
  const target = step?.path;
  if (isCathedralError(error)) {
    const { code, realm, rule, allow } = error;
    const problem = typeof error.problem === 'string' ? error.problem : String(error.message);
    return makeError(code, { operation: 'commit', target, realm, problem: `${where}: ${problem}; ${done}; ${after}`, rule: rule ?? 'lower must accept every change', allow, cause: error });
  }
  return new IoError({
    operation: 'commit',
    target,
    problem: `${where} (${String(error)}); ${done}; ${after}`,
    rule: 'a commit applies the overlay to lower through lower’s own node',
    cause: error,
  });
};

/** Empties upper and forgets the whiteouts: the view is lower again. */
export const reset = async (state: OverlayState): Promise<void> => {
  for (const { name } of await state.upper.list('')) await state.upper.remove(name, { recursive: true });
  state.whiteouts.clear();
};

/** Applies the diff to lower, then resets; on failure lower holds a prefix of the commit order and the overlay is untouched. */
export const commitTo = async (state: OverlayState): Promise<readonly OverlayChange[]> => {
  const steps = commitOrder(await diffSteps(state));
  const applied: OverlayChange[] = [];
  let current: Step | undefined;
  try {
    // A no-op mutation first, so a lower that refuses every change (readOnly, revoked) is found before any.
    if (steps.length > 0) await state.lower.mkdir('', { recursive: true });
    for (const step of steps) {
      current = step;
      await apply(state, step);
      applied.push(harden({ path: step.path, change: step.change }));
    }
  } catch (error) {
    throw failed(error, current, applied, steps.length);
  }
  await reset(state);
  return harden(applied);
};

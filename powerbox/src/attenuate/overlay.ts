/**
 * `overlay(upper, lower)` → `{ node, control }`: a copy-on-write directory.
 *
 * The node is a `Dir` that shows `upper` laid over `lower`:
 * - a path shows upper's entry if upper has one; otherwise lower's, unless a
 *   whiteout hides it (or an upper file stands where lower has a directory);
 * - `list` merges both, sorted, each name once, upper's kind winning;
 * - every change lands in upper: missing parent directories are made there
 *   (copy-up of structure), renaming something of lower copies it, a whole
 *   directory tree included, into upper and whites out the source;
 * - removing an entry of lower records a whiteout (a path in the overlay's
 *   private `Set`; it hides everything below it too). A file written at a
 *   whited-out path clears it; a directory made there keeps it, so the new
 *   directory is opaque and lower's old entries stay hidden;
 * - refusals are the memory store's, in the memory store's order: a
 *   whited-out path is NOT_FOUND exactly like a missing one.
 * The node never calls a mutating method of `lower`.
 *
 * `control` is for the host and is not reachable from the node:
 * - `diff()` lists what upper and the whiteouts change over lower;
 * - `commit()` applies that to lower, then empties upper and the whiteouts;
 * - `discard()` empties upper and the whiteouts: the node shows lower again.
 *
 * Why a `Store` and not a forwarding `Layer`: a layer can only refuse, narrow
 * a path or filter an answer over one inner node, and an overlay routes every
 * operation to two. As a `Store` under `makeStoreRoot`, the node gets the
 * same guest-path checks, option parsing and data copies as every backend.
 *
 * What it does not promise:
 * - a commit is not atomic. Lower's node has no transactions, so commit does
 *   the next best thing: a no-op mutation first (so a lower that refuses all
 *   changes, such as `readOnly`, refuses before anything is applied), then
 *   every write and mkdir that replaces nothing, then each replacement of one
 *   kind by another (remove, then create), and plain removes last. A rename
 *   of a lower entry is a write plus a remove, so a commit that fails midway
 *   leaves both copies, never none. On failure the error has the cause's code
 *   and names what was applied; upper and the whiteouts are kept, so the node
 *   shows the same as before and commit can be retried. Lower may be left
 *   with a prefix of the changes, and each write is only as atomic as lower's
 *   own `write`.
 * - a change copied up (a rename of a lower directory) is not atomic in
 *   upper either: a failing upper can leave part of the copy. The source is
 *   whited out only after the copy is complete.
 * - operations run one at a time, in call order (a rename must not interleave
 *   with a read); a call on upper or lower that never settles stalls the node.
 * - it cannot see aliasing: an upper that is (a view of) lower would write
 *   into lower. Only `upper === lower` is refused.
 * - changes made to upper or lower by others while the overlay is in use are
 *   seen as they are; nothing is cached, nothing is locked.
 */
import type { DirNode } from '@cathedral/sdk';
import { InvalidArgumentError } from '@cathedral/sdk';
import { makeStoreRoot } from '../roots/store.js';
import { describeNode, recordLineage } from '../lineage.js';
import { type OverlayState, overlayDirect } from './overlay-view.js';
import { directTo } from '../direct.js';
import { makeOverlayStore } from './overlay-store.js';
import { type OverlayChange, commitTo, diffSteps, reset } from './overlay-commit.js';

export type { OverlayChange } from './overlay-commit.js';

/** The host's handle on an overlay; never give it to a guest. */
export interface OverlayControl {
  /** What upper and the whiteouts change over lower, sorted by path (a directory before its contents). */
  diff(): Promise<readonly OverlayChange[]>;
  /** Applies the diff to lower (which must be writable), then empties upper and the whiteouts; answers what was applied. */
  commit(): Promise<readonly OverlayChange[]>;
  /** Empties upper and forgets the whiteouts, so the node shows lower again. */
  discard(): Promise<void>;
}

export interface Overlay {
  readonly node: DirNode;
  readonly control: OverlayControl;
}

const makeSerial = (): OverlayState['serial'] => {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(run: () => Promise<R>): Promise<R> => {
    const result = tail.then(run);
    tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };
};

const assertDir = (role: string, node: unknown): void => {
  if (typeof node !== 'object' || node === null) {
    throw new InvalidArgumentError({
      operation: 'overlay',
      target: role,
      problem: `${role} must be a directory node, got ${node === null ? 'null' : typeof node}`,
      rule: 'an overlay lays one directory over another',
    });
  }
};

/** A copy-on-write directory: `upper` over `lower`; see the module header. */
export const overlay = (upper: DirNode, lower: DirNode): Overlay => {
  assertDir('upper', upper);
  assertDir('lower', lower);
  if (upper === lower) {
    throw new InvalidArgumentError({
      operation: 'overlay',
      target: 'upper',
      problem: 'upper and lower are the same node, so every write would change lower',
      rule: 'an overlay never changes lower',
      allow: 'pass an empty directory as upper, e.g. memory()',
    });
  }
  // Upper's kinds come from listings when it is not the powerbox's own (it
  // is usually small and usually lacks the entry); lower's from `stat`.
  const state: OverlayState = { upper, lower, up: overlayDirect(upper), down: directTo(lower), whiteouts: new Set(), serial: makeSerial() };
  // store.ts records nodes it makes with a label and no inner node, so nodes
  // reached through `resolve` carry the whole route in their label; the root
  // records lower as its inner node. Both describe as `overlay ← <lower>`.
  const node = makeStoreRoot(makeOverlayStore(state), `overlay ← ${describeNode(lower)}`);
  recordLineage(node, 'overlay', lower);
  const control: OverlayControl = harden({
    diff: () => state.serial(async () => harden((await diffSteps(state)).map(({ path, change }) => ({ path, change })))),
    commit: () => state.serial(() => commitTo(state)),
    discard: () => state.serial(() => reset(state)),
  });
  return harden({ node, control });
};

/**
 * `revocable(node)` → `{ node, revoke }`. After `revoke()`, every call on the
 * node and on every node reached through it fails at once with
 * `RevokedError`, including calls already in flight: their answer is
 * withheld when it arrives after the revocation.
 */
import type { Node } from '@cathedral/sdk';
import { RevokedError } from '@cathedral/sdk';
import { showPath } from '../path.js';
import { attenuate } from './forward.js';

export interface Revocable<N extends Node> {
  readonly node: N;
  revoke(reason?: string): void;
  readonly revoked: boolean;
}

export const revocable = <N extends Node>(node: N): Revocable<N> => {
  let reason: string | undefined;
  const refuse = (operation: string, target: string) => {
    if (reason === undefined) return;
    throw new RevokedError({
      operation,
      target,
      problem: `the capability was revoked (${reason})`,
      rule: 'a revoked capability refuses every use, and so does everything reached through it',
      allow: 'ask the grantor for a new grant',
    });
  };
  const attenuated = attenuate(node, {
    label: 'revocable',
    check: (operation, path) => refuse(operation, showPath(path)),
    after: (operation, path) => refuse(operation, showPath(path)),
  });
  return harden({
    node: attenuated,
    revoke: (why = 'revoked by its grantor') => {
      reason ??= why;
    },
    get revoked() {
      return reason !== undefined;
    },
  });
};

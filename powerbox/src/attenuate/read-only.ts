/**
 * `readOnly(node)`: every mutation refused, naming the operation and the
 * route of the node that refused it. Reads pass unchanged.
 */
import type { Node } from '@cathedral/sdk';
import { CeilingError, mutatingOperations } from '@cathedral/sdk';
import { showPath } from '../path.js';
import { describeNode } from '../lineage.js';
import { attenuate } from './forward.js';

export const readOnly = <N extends Node>(node: N): N =>
  attenuate(node, {
    label: 'readOnly',
    check: (operation, path) => {
      if (!mutatingOperations.has(operation)) return;
      throw new CeilingError({
        operation,
        target: showPath(path),
        problem: `it is not writable: held through readOnly ← ${describeNode(node)}`,
        rule: 'a readOnly node refuses every mutation',
        allow: 'ask the grantor for a node without the readOnly attenuation',
      });
    },
  });

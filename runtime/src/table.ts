/**
 * The resolution table: a realm's private binding of names to roots.
 *
 * Made by the spawner, closed over by the realm's `resolve`, never handed to
 * the guest itself: a guest can only ask for a URI, never list or replace a
 * binding. Two realms with different bindings for `system` get different
 * nodes for `system://etc/app.json` because each asks its own table.
 */
import type { DirNode, Node } from '@cathedral/sdk';
import { UnknownRealmError } from '@cathedral/sdk';
import { formatUri, parseUri } from './uri.js';

export interface Table {
  readonly names: readonly string[];
  /** The root bound to `name`, or an `UnknownRealmError` naming the names there are. */
  root(operation: string, name: string, target: string): DirNode;
  /** The node a `name://path` URI reaches. */
  resolve(uri: unknown): Promise<Node>;
}

/** Where a table finds its roots: a `Map`, or a view that makes each root only when first asked for. */
export type Roots = Pick<ReadonlyMap<string, DirNode>, 'get' | 'keys'>;

export const makeTable = (realm: string, roots: Roots): Table => {
  const root = (operation: string, name: string, target: string): DirNode => {
    const node = roots.get(name);
    if (node === undefined) {
      const names = [...roots.keys()].sort();
      throw new UnknownRealmError({
        operation,
        target,
        realm,
        problem: `no root is bound to "${name}"; this realm has ${names.length === 0 ? 'no names' : names.map(n => `"${n}"`).join(', ')}`,
        rule: "a realm reaches only the names in its own resolution table",
        allow: `bind "${name}" in the realms of the spawn that made this realm`,
      });
    }
    return node;
  };
  return Object.freeze({
    // Read when asked: a grant after the spawn adds a name.
    get names() {
      return Object.freeze([...roots.keys()].sort());
    },
    root,
    resolve: async (uri: unknown): Promise<Node> => {
      const { name, path } = parseUri('resolve', uri, realm);
      const node = root('resolve', name, formatUri(name, path));
      return node.resolve(path);
    },
  });
};

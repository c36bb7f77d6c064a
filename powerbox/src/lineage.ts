/**
 * Where a node came from: its backend and the attenuations stacked on it.
 *
 * Every node the powerbox makes is recorded here with a one-word label
 * (`hostDir`, `memory`, `readOnly`, `filter("docs/**")`) and the node it
 * forwards to, so a refusal can explain its route:
 * `readOnly ← filter("docs/**") ← hostDir`. The record is private to this
 * module; a node from elsewhere has no lineage and is described as `node`.
 */

interface Record {
  readonly label: string;
  readonly inner: object | undefined;
}

const records = new WeakMap<object, Record>();

/** Records that `node` is `label` over `inner` (or a backend when `inner` is undefined). */
export const recordLineage = <T extends object>(node: T, label: string, inner?: object): T => {
  records.set(node, { label, inner });
  return node;
};

/** The route of a node, outermost first: `readOnly ← filter("docs/**") ← hostDir`. */
export const describeNode = (node: unknown): string => {
  const labels: string[] = [];
  let current: unknown = node;
  for (let depth = 0; depth < 64 && typeof current === 'object' && current !== null; depth += 1) {
    const record = records.get(current);
    if (record === undefined) {
      labels.push('node');
      break;
    }
    labels.push(record.label);
    current = record.inner;
  }
  return labels.join(' ← ');
};

/** The node one layer below `node`, if the powerbox made it. */
export const innerOf = (node: object): object | undefined => records.get(node)?.inner;

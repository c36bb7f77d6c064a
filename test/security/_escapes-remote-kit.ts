/**
 * What the scenarios written for the remote tiers share (./_escapes-node-powers.ts,
 * ./_escapes-boundary.ts): guest helpers on top of the prelude, and the
 * tier entries for findings open at both remote tiers.
 *
 * At `worker` and `process` the guest's compartment shares its thread or
 * process with a bootstrap (runtime/src/tiers/guest-main.ts) whose start
 * compartment holds Node's powers: `process`, `import()`, the channel to
 * the host. Everything the guest gets from the host is made there: the
 * adapters (Proxies over a start-compartment function), the values the
 * codec decodes, the refusals `refusalError` builds, CapTP's promises and
 * errors, `E` and `Far`. Those scenarios run at the compartment tier too,
 * where the same attacks meet the gate's forwarders and must hold as well.
 */
import { type AtTier, guest, js } from './_escape-kit.js';

/**
 * Guest helpers on top of the prelude:
 *  - `functionsFrom(root)`: functions reachable from `root` through own
 *    data properties and prototypes (no getter runs), with their path;
 *  - `nodePowers(root, label)`: asks every constructor reachable from `root`
 *    (through a `constructor` key, a function's prototype chain, or `root`
 *    itself when `label` ends with `.constructor`)
 *    to make a function that looks for Node's globals (a finding only when
 *    that function answers the list of types it saw), walks `root` with
 *    `reach` (host paths and stack powers; mutability is another scenario's
 *    business), and reads stacks and messages of errors for host paths.
 */
const REMOTE_KIT = js`
const TYPES = '(?:undefined|object|function|string|number|boolean|symbol|bigint)';
const SAW = new RegExp(' saw ' + TYPES + '(?:,' + TYPES + '){6}$');
// A remote method answers a promise: it must not end as an unhandled rejection.
const quiet = F => mine(src => { const made = F(src); if (made !== null && typeof made === 'object' && typeof made.then === 'function') { made.then(undefined, () => {}); } return made; });
const functionsFrom = (root, limit = 600) => {
  const seen = new Set();
  const out = [];
  const queue = [[root, 'root', 0]];
  while (queue.length > 0 && seen.size < limit) {
    const [v, path, depth] = queue.shift();
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v) || guestMade.has(v)) continue;
    seen.add(v);
    if (typeof v === 'function') out.push([v, path]);
    if (depth >= 6) continue;
    let keys = [];
    try { keys = Reflect.ownKeys(v); } catch (e) {}
    for (const k of keys) {
      let d;
      try { d = Object.getOwnPropertyDescriptor(v, k); } catch (e) { continue; }
      if (d === undefined) continue;
      if ('value' in d) queue.push([d.value, path + '.' + textOf(k), depth + 1]);
      else { queue.push([d.get, path + '.' + textOf(k) + ' (getter)', depth + 1]); queue.push([d.set, path + '.' + textOf(k) + ' (setter)', depth + 1]); }
    }
    let p = null;
    try { p = Object.getPrototypeOf(v); } catch (e) {}
    queue.push([p, path + '.__proto__', depth + 1]);
  }
  return out;
};
const nodePowers = async (root, label) => {
  const findings = [];
  const where = reach(root, label, [], false);
  if (where) findings.push(where);
  const constructors = new Map();
  for (const [f, path] of functionsFrom(root)) {
    if ((path === 'root' && /\.constructor$/.test(label)) || path.endsWith('.constructor')) constructors.set(f, path);
    try { const c = Object.getPrototypeOf(f).constructor; if (typeof c === 'function' && !constructors.has(c)) constructors.set(c, path + '.__proto__.constructor'); } catch (e) {}
  }
  // Only an answer that is the probe's own list of types counts: a root such as E.sendOnly answers other things.
  for (const [F, path] of constructors) {
    const found = await evalVia(quiet(F), label + ' ' + path);
    if (found && SAW.test(found)) findings.push(found);
  }
  if (typeof root === 'object' && root !== null && !guestMade.has(root)) {
    for (const key of ['stack', 'message']) {
      let text = '';
      try { text = textOf(root[key]); } catch (e) {}
      if (leaks(text) || (key === 'stack' && /\bat .*:\d+:\d+/.test(text))) findings.push(label + '.' + key + ' names the host: ' + text.slice(0, 160));
    }
  }
  return findings;
};
`;

export const remote = (body: string): string => guest(`${REMOTE_KIT}\n${body}`);

/** The remote tiers, for scenarios that are found open there. */
export const atRemote = (entry: AtTier) => ({ worker: entry, process: entry });


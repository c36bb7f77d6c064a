/**
 * The realm authority: the power over one realm, handed to it (as the
 * global `authority`) when its spawner asks for it.
 *
 * Mint rule: an authority mints capabilities only over nodes within its own
 * realm — nodes its realm reached through one of the table names it owns
 * (`app` by default), or attenuations of them. Whether a node is one is
 * decided by provenance, never by what the node says about itself: the
 * node must lead, through attenuations the powerbox made, to a wrapper of
 * this realm's own gate, reached by a URI under an owned prefix. Anything
 * else — a `system:` node, a sibling's node, a node received in a message, a
 * forged `Far` — is refused with `MintError` naming both realms.
 *
 * A minted capability is `revocable(node)` (with `readOnly` unless `write`
 * is among its rights) registered under an unguessable token that resolves
 * through this authority only. Everything is recorded in the ledger.
 */
import { Far } from '@endo/pass-style';
import type { DirNode, EffectKind, Node } from '@cathedral/sdk';
import { CeilingError, InvalidArgumentError, MintError, RevokedError } from '@cathedral/sdk';
import { type Ledger, type Revocable, checkPath, describeNode, filter, innerOf, readOnly, revocable, showPath, subtree } from '@cathedral/powerbox';
import type { RealmInfo, RealmRecord, Registry } from './registry.js';
import { checkRealmName, parseUri } from './uri.js';

export interface ChildHandle {
  readonly record: RealmRecord;
  readonly exports: Readonly<Record<string, unknown>>;
}

export interface AuthorityContext {
  readonly record: RealmRecord;
  /** URI prefixes this authority owns, e.g. `app://` or `app://sub/`. */
  readonly own: readonly string[];
  /** How the authority is named in messages and the ledger. */
  readonly label: string;
  readonly registry: Registry;
  readonly ledger: Ledger;
  readonly randomToken: () => string;
  readonly spawnChild: (spec: unknown, parent: RealmRecord) => Promise<ChildHandle>;
}

const RIGHTS = new Set(['read', 'write']);

/** Where a node came from in `record`'s realm: the URI of the gate wrapper it leads to. */
export const provenance = (record: RealmRecord, value: unknown): string | undefined => {
  let current: unknown = value;
  for (let depth = 0; depth < 64; depth += 1) {
    if (typeof current !== 'object' || current === null) return undefined;
    const wrapped = record.gate.unwrap(current);
    if (wrapped !== undefined) {
      if (wrapped.uri !== undefined) return wrapped.uri;
      current = wrapped.original;
      continue;
    }
    current = innerOf(current);
  }
  return undefined;
};

const owns = (prefix: string, uri: string): boolean =>
  prefix.endsWith('://') ? uri.startsWith(prefix) : uri === prefix.slice(0, -1) || uri.startsWith(prefix);

export const makeAuthority = (context: AuthorityContext): object => {
  const { record, own, label, registry, ledger } = context;
  const realm = record.name;
  const minted = new Map<string, Revocable<Node>>();
  const tokenOf = new WeakMap<object, string>();
  const handles = new WeakMap<object, RealmRecord>();

  const requireEffect = (operation: string, effect: EffectKind): void => {
    if (record.ceiling.has(effect)) return;
    throw new CeilingError({
      operation,
      realm,
      problem: `the effect "${effect}" is outside the realm's ceiling`,
      rule: 'a realm never exercises an effect outside its declared ceiling',
      allow: `add "${effect}" to the realm's ceiling when spawning it`,
    });
  };

  // The realm whose gate made the node, looking through this realm's own
  // wrappers and the powerbox's attenuations.
  const ownerOf = (node: unknown) => {
    let current: unknown = node;
    for (let depth = 0; depth < 64 && typeof current === 'object' && current !== null; depth += 1) {
      const mine = record.gate.unwrap(current);
      if (mine !== undefined) {
        current = mine.original;
        continue;
      }
      const owner = registry.ownerOf(current);
      if (owner !== undefined) return owner;
      current = innerOf(current);
    }
    return undefined;
  };

  const foreign = (operation: string, node: unknown, uri: string | undefined, why: string) => {
    const owner = uri === undefined ? ownerOf(node) : undefined;
    const where =
      uri !== undefined
        ? `it was reached through ${uri.replace(/:\/\/.*$/, '://')}, bound by "${record.grantor}"`
        : owner !== undefined && owner !== record
          ? `it belongs to realm "${owner.name}"`
          : 'it is not a node of any realm this authority governs';
    return new MintError({
      operation,
      target: uri,
      realm,
      problem: `${why}: ${where}`,
      rule: `a realm authority mints only over objects within its own realm (authority "${label}" owns ${own.join(', ')})`,
      allow: 'ask the realm that owns the node to mint or grant it',
    });
  };

  /** The URI of a node this realm holds, or a MintError. */
  const held = (operation: string, node: unknown): string => {
    const uri = provenance(record, node);
    if (uri === undefined) throw foreign(operation, node, undefined, 'the node is not held by this realm');
    return uri;
  };

  const owned = (operation: string, node: unknown): string => {
    const uri = held(operation, node);
    if (!own.some(prefix => owns(prefix, uri))) throw foreign(operation, node, uri, 'the node is outside this authority');
    return uri;
  };

  const mintedEntry = (operation: string, value: unknown): [string, Revocable<Node>] => {
    if (typeof value === 'string') {
      const entry = minted.get(value);
      if (entry === undefined) {
        throw new MintError({
          operation,
          target: `${value.slice(0, 6)}…`,
          realm,
          problem: 'this authority never minted that token',
          rule: 'a sturdy reference resolves only through the authority that minted it',
        });
      }
      return [value, entry];
    }
    const original = typeof value === 'object' && value !== null ? (record.gate.unwrap(value)?.original ?? value) : undefined;
    const token = original === undefined ? undefined : tokenOf.get(original);
    if (token === undefined) {
      throw new MintError({
        operation,
        realm,
        problem: 'the capability was not minted by this authority',
        rule: 'an authority grants and revokes only what it minted',
        allow: 'mint the node first with authority.mint(node, rights)',
      });
    }
    return [token, minted.get(token) as Revocable<Node>];
  };

  const childRecord = (operation: string, handle: unknown): RealmRecord => {
    const original = typeof handle === 'object' && handle !== null ? (record.gate.unwrap(handle)?.original ?? handle) : undefined;
    const child = original === undefined ? undefined : handles.get(original);
    if (child === undefined || !record.children.has(child)) {
      throw new InvalidArgumentError({
        operation,
        realm,
        problem: 'the first argument is not a child realm of this realm',
        rule: 'an authority grants only to realms it spawned',
      });
    }
    return child;
  };

  const attenuated = <N extends Node>(operation: string, node: N, make: () => N | Promise<N>) => async () => {
    const uri = held(operation, node);
    const result = await make();
    ledger.record({ action: 'attenuate', by: label, target: uri, route: describeNode(result) });
    return result;
  };

  return Far('RealmAuthority', {
    mint: async (node: Node, rights: readonly string[] = ['read']) => {
      requireEffect('mint', 'authority.mint');
      const uri = owned('mint', node);
      if (!Array.isArray(rights) || !rights.every(r => typeof r === 'string' && RIGHTS.has(r))) {
        throw new InvalidArgumentError({ operation: 'mint', target: uri, realm, problem: 'rights must be a list of "read" and "write"', rule: 'rights are read and write' });
      }
      const entry = revocable(rights.includes('write') ? node : readOnly(node));
      const token = context.randomToken();
      minted.set(token, entry);
      tokenOf.set(entry.node, token);
      ledger.record({ action: 'mint', by: label, for: realm, target: uri, route: describeNode(entry.node), detail: rights.join('+') });
      return harden({ node: entry.node, token });
    },
    lookup: async (token: string) => {
      const [, entry] = mintedEntry('lookup', typeof token === 'string' ? token : String(typeof token));
      if (entry.revoked) {
        throw new RevokedError({ operation: 'lookup', realm, problem: 'the capability was revoked', rule: 'a revoked capability resolves to nothing' });
      }
      return entry.node;
    },
    revoke: async (capOrToken: unknown) => {
      const [token, entry] = mintedEntry('revoke', capOrToken);
      entry.revoke(`revoked by "${label}"`);
      ledger.record({ action: 'revoke', by: label, target: `${token.slice(0, 6)}…`, route: describeNode(entry.node) });
    },
    grant: async (child: unknown, name: string, cap: unknown) => {
      const target = childRecord('grant', child);
      const [token, entry] = mintedEntry('grant', cap);
      checkRealmName(String(name));
      target.bind(name, entry.node as DirNode);
      ledger.record({ action: 'grant', by: label, for: target.name, target: `${name}://`, route: describeNode(entry.node), detail: `${token.slice(0, 6)}…` });
    },
    spawn: async (spec: unknown) => {
      requireEffect('spawn', 'proc.spawn');
      const roots = typeof spec === 'object' && spec !== null ? (spec as { realms?: unknown }).realms : undefined;
      if (typeof roots === 'object' && roots !== null) {
        for (const node of Object.values(roots)) held('spawn', node);
      }
      const child = await context.spawnChild(spec, record);
      const handle = Far('Realm', {
        // Not `name`: E() cannot call a remote method named like a function's own property.
        realmName: () => child.record.name,
        exports: () => child.exports,
        terminate: async () => child.record.terminate('terminated by its parent'),
      });
      handles.set(handle, child.record);
      return handle;
    },
    carve: async (uri: string) => {
      requireEffect('carve', 'authority.mint');
      const { name, path } = parseUri('carve', uri, realm);
      const prefix = `${name}://${showPath(checkPath('carve', path))}/`;
      if (!own.some(p => owns(p, prefix.slice(0, -1)))) {
        throw new MintError({ operation: 'carve', target: uri, realm, problem: 'the path is outside this authority', rule: 'a carved authority is narrower than its carver' });
      }
      ledger.record({ action: 'attenuate', by: label, target: uri, detail: 'carve' });
      return makeAuthority({ ...context, own: [prefix], label: `${label}[${prefix}]` });
    },
    readOnly: (node: Node) => attenuated('readOnly', node, () => readOnly(node))(),
    filter: (node: DirNode, globs: readonly string[]) => attenuated('filter', node, () => filter(node, [...globs].map(String)))(),
    subtree: (node: DirNode, path: string) => attenuated('subtree', node, () => subtree(node, String(path)))(),
    children: async (): Promise<readonly RealmInfo[]> => {
      requireEffect('children', 'proc.list');
      return context.registry.list(record);
    },
  });
};

/**
 * The typed errors of the network capabilities, in the project's one
 * wording: operation, the peer as asked, the realm when known, the rule (the
 * allowlist) and how to allow it. Messages carry the peer as the guest wrote
 * it and system error codes (`ECONNREFUSED`), never host paths or stacks.
 *
 * The realm is left undefined when the capability does not know it: the
 * realm's gate fills it in when it restates the error for the guest.
 */
import type { EffectKind } from '@cathedral/sdk';
import { BudgetExceededError, CeilingError, InvalidArgumentError, IoError, RefusedError, RevokedError, UnsupportedError } from '@cathedral/sdk';

export const invalid = (operation: string, target: string | undefined, problem: string, rule: string, allow?: string) =>
  new InvalidArgumentError({ operation, target, problem, rule, allow });

/** What the caller asked for, as refusals name it: a string cut to 300 characters, a port number, or nothing. */
export const asText = (value: unknown): string => (typeof value === 'string' ? value.slice(0, 300) : typeof value === 'number' ? String(value) : '');

const quoteList = (peers: readonly string[]): string => `[${peers.map(p => `'${p}'`).join(', ')}]`;

/** The peer is not among those the capability reaches. */
export const notAllowed = (at: { operation: string; target: string; realm: string | undefined }, problem: string, rules: readonly string[], allowPeer: string, listen = false) =>
  new RefusedError({
    ...at,
    problem,
    rule: rules.length === 0 ? `this capability ${listen ? 'listens on' : 'reaches'} no peer at all` : `this capability ${listen ? 'listens only on' : 'reaches only'} ${rules.join(', ')}`,
    allow: listen ? `net.allow(peers, { listen: ${quoteList([allowPeer])} })` : `net.allow(${quoteList([allowPeer])})`,
  });

export const outsideCeiling = (at: { operation: string; target: string; realm: string | undefined }, effect: EffectKind) =>
  new CeilingError({
    ...at,
    problem: `the effect "${effect}" is outside the realm's ceiling`,
    rule: 'a realm never exercises an effect outside its declared ceiling',
    allow: `add "${effect}" to the realm's ceiling when spawning it`,
  });

export const budgetSpent = (at: { operation: string; target: string; realm: string | undefined }, kind: string, limit: number, used: number, asked: number) =>
  new BudgetExceededError({
    ...at,
    problem: `the ${kind} budget of ${limit} is spent (${used} used, ${asked} more asked)`,
    rule: `network use is metered against the ${kind} budget`,
    allow: `grant a larger budget: net.allow(peers, { budget: { ${kind}: ${Math.max(limit * 2, used + asked)} } })`,
  });

export const revoked = (at: { operation: string; target: string; realm: string | undefined }, reason: string) =>
  new RevokedError({
    ...at,
    problem: `the network capability was revoked (${reason})`,
    rule: 'a revoked capability refuses every use, and so do the streams and listeners opened through it',
    allow: 'ask the grantor for a new grant',
  });

export const refused = (at: { operation: string; target: string; realm: string | undefined }, problem: string, rule: string, allow?: string) =>
  new RefusedError({ ...at, problem, rule, allow });

export const closedAlready = (at: { operation: string; target: string; realm: string | undefined }, what: string) =>
  new RefusedError({ ...at, problem: `the ${what} is closed`, rule: `a closed ${what} refuses further use` });

/** A system failure, named by its code only (no host path or stack). */
export const ioFailure = (at: { operation: string; target: string; realm: string | undefined }, error: unknown) => {
  const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'an I/O error';
  return new IoError({ ...at, problem: `the network failed (${code})`, rule: 'network failures are reported by their system code' });
};

export const unsupported = (at: { operation: string; target: string; realm: string | undefined }, problem: string, allow?: string) =>
  new UnsupportedError({ ...at, problem, rule: 'what cannot be done is refused, never pretended', allow });

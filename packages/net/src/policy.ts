/**
 * The allowlist of one capability, and the check that turns a peer asked
 * for into the target to reach.
 *
 * A TCP peer is allowed when its port is an allowed peer's port and one of
 * the addresses it resolves to is one of the addresses that allowed peer
 * resolves to. Names are resolved once per check (the asked name and an
 * allowed name that is the same name share one answer), every address of the
 * answer is canonicalised, and the target returned is that checked address:
 * the connection goes to it, with no second lookup, so a resolver that
 * answers differently the next time (DNS rebinding) changes nothing. An
 * address in the answer that is not allowed is never used.
 *
 * Consequence, stated: the allowlist is about addresses. Two names served
 * from one allowed address (virtual hosts, a CDN) are the same peer to it.
 *
 * Unix peers are allowed by canonical path equality. On a network where
 * names are addresses (the synthetic one), a name is compared as it is.
 */
import { canonicalIp } from './ip.js';
import { type Peer, formatPeer, parsePeer } from './peer.js';
import { invalid, notAllowed, refused } from './refusals.js';
import type { Target } from './transport.js';

export interface Policy {
  /** The allowed peers, canonical, for messages and introspection. */
  readonly peers: readonly string[];
  readonly listens: readonly string[];
  /**
   * Checks a peer for connecting: the pinned target, or a `RefusedError`.
   * Answered (or refused) at once when no name has to be looked up (a socket
   * path, an IP literal the allowlist names as such); a promise otherwise.
   */
  checkConnect(operation: string, asked: string, peer: Peer, realm: string | undefined): Target | Promise<Target>;
  /** Checks a place to listen: allowed when it is one of the listen peers (port 0: any port the system picks). */
  checkListen(operation: string, asked: string, peer: Peer, realm: string | undefined): Target;
}

/**
 * 0.0.0.0/8 and `::`: a connection to them reaches this host (Linux), so
 * they never name a peer; in an allowlist they allow nothing.
 */
const isUnspecified = (canonical: string): boolean => canonical === '::' || canonical.startsWith('0.');

export const parsePeers = (operation: string, peers: unknown, allowPortZero: boolean): Peer[] => {
  if (!Array.isArray(peers)) {
    throw invalid(operation, undefined, `peers must be an array of strings, got ${typeof peers}`, 'an allowlist is a list', "net.allow(['api.example.com:443'])");
  }
  return (peers as unknown[]).map(p => parsePeer(operation, p, { allowPortZero }));
};

export interface Resolver {
  readonly namesAreAddresses: boolean;
  lookup(name: string): Promise<readonly string[]>;
}

export const makePolicy = (allowed: readonly Peer[], listens: readonly Peer[], resolver: Resolver): Policy => {
  const peerTexts = harden(allowed.map(formatPeer));
  const listenTexts = harden(listens.map(formatPeer));

  const resolve = async (host: string, hostKind: string): Promise<readonly string[]> => {
    if (hostKind !== 'name') return isUnspecified(host) ? [] : [host];
    if (resolver.namesAreAddresses) return [host];
    const out: string[] = [];
    for (const address of await resolver.lookup(host)) {
      // A resolver's answer is canonicalised like any other spelling; what is no address is dropped.
      const ip = canonicalIp(String(address));
      if (ip !== undefined && !isUnspecified(ip.text) && !out.includes(ip.text)) out.push(ip.text);
    }
    return out;
  };

  const checkConnect = (operation: string, asked: string, peer: Peer, realm: string | undefined): Target | Promise<Target> => {
    const at = { operation, target: asked, realm };
    if (peer.kind === 'tcp' && peer.hostKind !== 'name' && isUnspecified(peer.host)) {
      throw refused(at, `${formatPeer(peer)} is an unspecified address, which the system connects to this host`, 'a connection names the peer it reaches; 0.0.0.0/8 and :: name none', 'name the host, e.g. 127.0.0.1 for this host');
    }
    if (peer.kind === 'unix') {
      if (allowed.some(a => a.kind === 'unix' && a.path === peer.path)) return { kind: 'unix', path: peer.path };
      throw notAllowed(at, `${formatPeer(peer)} is not an allowed peer`, peerTexts, formatPeer(peer));
    }
    const candidates = allowed.filter((a): a is Peer & { kind: 'tcp' } => a.kind === 'tcp' && a.port === peer.port);
    // The common case, an allowed IP literal asked as such: no lookup at all.
    if (peer.hostKind !== 'name' && candidates.some(c => c.hostKind !== 'name' && c.host === peer.host)) {
      return { kind: 'tcp', address: peer.host, port: peer.port };
    }
    const spelled = formatPeer(peer) === asked ? '' : ` (${formatPeer(peer)})`;
    if (candidates.length === 0) throw notAllowed(at, `${asked}${spelled} is not an allowed peer`, peerTexts, formatPeer(peer));
    return lookUp(at, asked, spelled, peer, candidates);
  };

  /** The check of a peer that is a name, or of an address allowed only as a name: through the resolver. */
  const lookUp = async (at: { operation: string; target: string; realm: string | undefined }, asked: string, spelled: string, peer: Peer & { kind: 'tcp' }, candidates: ReadonlyArray<Peer & { kind: 'tcp' }>): Promise<Target> => {
    // One answer per name within this check.
    const answers = new Map<string, Promise<readonly string[]>>();
    const addressesOf = (host: string, hostKind: string) => {
      let known = answers.get(host);
      if (known === undefined) {
        known = resolve(host, hostKind);
        answers.set(host, known);
      }
      return known;
    };
    const asks = await addressesOf(peer.host, peer.hostKind);
    const permitted = new Set<string>();
    for (const c of candidates) for (const address of await addressesOf(c.host, c.hostKind)) permitted.add(address);
    const pinned = asks.find(address => permitted.has(address));
    if (pinned !== undefined) return { kind: 'tcp', address: pinned, port: peer.port };
    const reached = peer.hostKind === 'name' ? ` resolves to ${asks.length === 0 ? 'no address' : asks.join(', ')}, none of them allowed` : ' is not an allowed peer';
    throw notAllowed(at, `${asked}${spelled}${reached}`, peerTexts, formatPeer(peer));
  };

  const checkListen = (operation: string, asked: string, peer: Peer, realm: string | undefined): Target => {
    const at = { operation, target: asked, realm };
    const text = formatPeer(peer);
    if (listenTexts.includes(text)) {
      return peer.kind === 'unix' ? { kind: 'unix', path: peer.path } : { kind: 'tcp', address: peer.host, port: peer.port };
    }
    throw notAllowed(at, `listening on ${text} is not allowed`, listenTexts, text, true);
  };

  return harden({ peers: peerTexts, listens: listenTexts, checkConnect, checkListen });
};

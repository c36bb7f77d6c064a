/**
 * One network capability: `Far('Net', { connect, fetch, listen, peers })`
 * limited to an allowlist, over a transport.
 *
 * Every operation, in order: the effect ceiling the capability was given
 * (`net.connect` for connect and fetch, `net.listen` for listen), liveness,
 * the peer parsed and canonicalised, the allowlist check (which pins the
 * address, ./policy.ts), the handle charged, and only then the transport.
 * Revocation closes every stream, listener and request opened through it
 * and makes it and them refuse from then on.
 *
 * The capability takes and answers only plain data, bytes, promises and
 * other capabilities, so it crosses a realm's gate and CapTP unchanged.
 */
import { Far } from '@endo/far';
import type { EffectKind } from '@cathedral/sdk';
import { declareEffects, isCathedralError, isEffectKind } from '@cathedral/sdk';
import { netEffects } from './effects.js';
import { type FetchContext, type FetchResponse, makeUrlParser, runFetch } from './fetch.js';
import { type Meter, type NetBudget, giveAll, makeMeter, takeAll } from './meter.js';
import { type Peer, formatPeer, parsePeer } from './peer.js';
import { makePolicy, parsePeers } from './policy.js';
import { asText, invalid, ioFailure, notAllowed, outsideCeiling, revoked, unsupported } from './refusals.js';
import { type NetListener, type NetStream, type Scope, makeListener, makeStream } from './stream.js';
import type { Transport } from './transport.js';

export interface AllowOptions {
  /** Where the capability may listen: peers such as `127.0.0.1:8080` (port 0: a port the system picks) or `unix:/run/app.sock`. */
  readonly listen?: readonly string[];
  /** This capability's own budget (a fresh meter is made for it). */
  readonly budget?: NetBudget;
  /** A meter shared with other capabilities or handle users. */
  readonly meter?: Meter;
  /** The realm it is for, named in refusals made outside a gate (a gate names its realm itself). */
  readonly realm?: string;
  /** The effects the holder may exercise; when given, connect/fetch need `net.connect` and listen `net.listen`. */
  readonly ceiling?: Iterable<EffectKind>;
}

export { netEffects } from './effects.js';

export interface NetCapability {
  connect(peer: string): Promise<NetStream>;
  fetch(url: string, init?: Record<string, unknown>): Promise<FetchResponse>;
  listen(where: string | number): Promise<NetListener>;
  /** The allowlist, canonical: `{ peers, listen }`. */
  peers(): { readonly peers: readonly string[]; readonly listen: readonly string[] };
}

export interface CapabilityKit {
  readonly cap: NetCapability;
  revoke(reason: string): void;
}

export interface CapabilityOptions {
  readonly transport: Transport;
  readonly peers: unknown;
  readonly options: AllowOptions;
  /** Meters of the whole net, charged along with the capability's own. */
  readonly netMeters: readonly Meter[];
  readonly maxResponseBytes: number;
}

const readCeiling = (ceiling: Iterable<EffectKind> | undefined): ReadonlySet<EffectKind> | undefined => {
  if (ceiling === undefined) return undefined;
  const out = new Set<EffectKind>();
  for (const effect of ceiling) {
    if (!isEffectKind(effect)) throw invalid('allow', String(effect), 'not an effect kind', 'a ceiling is a list of effect kinds such as "net.connect"');
    out.add(effect);
  }
  return out;
};

export const makeCapability = ({ transport, peers, options, netMeters, maxResponseBytes }: CapabilityOptions): CapabilityKit => {
  const allowed = parsePeers('allow', peers, false);
  const listens = parsePeers('allow', options.listen ?? [], true);
  const policy = makePolicy(allowed, listens, transport);
  const realm = options.realm;
  const ceiling = readCeiling(options.ceiling);
  const meters = harden([...netMeters, options.meter ?? makeMeter(options.budget ?? {})]);
  let revokedBecause: string | undefined;
  const open = new Set<(reason: string) => void>();
  let client: ReturnType<Transport['makeHttpClient']> | null = null;

  const scope: Scope = {
    realm,
    meters,
    assertLive: (operation, target) => {
      if (revokedBecause !== undefined) throw revoked({ operation, target, realm }, revokedBecause);
    },
    checkEffect: (effect, operation, target) => {
      if (ceiling !== undefined && !ceiling.has(effect)) throw outsideCeiling({ operation, target, realm }, effect);
    },
    track: close => {
      open.add(close);
      return () => open.delete(close);
    },
  };
  // Parsed peers, by the text asked (a peer parses the same every time; the
  // answer is frozen). Bounded; per capability, so nothing is shared between holders.
  const parsedPeers = new Map<string, Peer>();
  const parse = (operation: string, input: unknown): Peer => {
    const known = typeof input === 'string' ? parsedPeers.get(input) : undefined;
    if (known !== undefined) return known;
    const peer = Object.freeze(parsePeer(operation, input));
    if (parsedPeers.size >= 256) parsedPeers.clear();
    parsedPeers.set(input as string, peer);
    return peer;
  };

  const connect = async (peerIn: unknown): Promise<NetStream> => {
    const asked = asText(peerIn);
    scope.checkEffect('net.connect', 'connect', asked);
    scope.assertLive('connect', asked);
    const peer = parse('connect', peerIn);
    const target = await policy.checkConnect('connect', asked, peer, realm);
    scope.assertLive('connect', asked);
    takeAll(meters, 'handles', 1, { operation: 'connect', target: asked, realm });
    let conn;
    try {
      conn = await transport.connect(target);
    } catch (error) {
      giveAll(meters, 'handles', 1);
      throw ioFailure({ operation: 'connect', target: asked, realm }, error);
    }
    if (revokedBecause !== undefined) {
      conn.destroy();
      giveAll(meters, 'handles', 1);
      scope.assertLive('connect', asked);
    }
    return makeStream(conn, formatPeer(peer), scope);
  };

  const fetchContext: FetchContext = {
    realm,
    url: makeUrlParser(),
    parse: text => parse('fetch', text),
    check: (operation, text, peer) => policy.checkConnect(operation, text, peer, realm),
    assertLive: scope.assertLive,
    begin: asked => {
      scope.checkEffect('net.connect', 'fetch', asked);
      scope.assertLive('fetch', asked);
      client ??= transport.makeHttpClient() ?? null;
      if (client === null) {
        throw unsupported({ operation: 'fetch', target: asked, realm }, 'this network carries streams, not HTTP', 'use connect() and speak the protocol over the stream');
      }
      takeAll(meters, 'handles', 1, { operation: 'fetch', target: asked, realm });
      return client;
    },
    end: () => giveAll(meters, 'handles', 1),
    charge: (bytes, at) => takeAll(meters, 'netBytes', bytes, at),
    track: (asked, abort) => scope.track(reason => abort(revoked({ operation: 'fetch', target: asked, realm }, reason))),
    failure: (error, asked) => (isCathedralError(error) ? error : ioFailure({ operation: 'fetch', target: asked, realm }, error)),
    maxResponseBytes,
  };

  const listen = async (whereIn: unknown): Promise<NetListener> => {
    const asked = asText(whereIn);
    scope.checkEffect('net.listen', 'listen', asked);
    scope.assertLive('listen', asked);
    let peer;
    if (typeof whereIn === 'number') {
      // A bare port: the one listen peer with that port.
      const matches = listens.filter(p => p.kind === 'tcp' && p.port === whereIn);
      if (matches.length !== 1) {
        throw notAllowed({ operation: 'listen', target: asked, realm }, matches.length === 0 ? `no listen peer has port ${whereIn}` : `several listen peers have port ${whereIn}: name one`, policy.listens, `127.0.0.1:${whereIn}`, true);
      }
      peer = matches[0] as (typeof matches)[number];
    } else peer = parsePeer('listen', whereIn, { allowPortZero: true });
    const target = policy.checkListen('listen', asked, peer, realm);
    takeAll(meters, 'handles', 1, { operation: 'listen', target: asked, realm });
    let acceptor;
    try {
      acceptor = await transport.listen(target);
    } catch (error) {
      giveAll(meters, 'handles', 1);
      throw ioFailure({ operation: 'listen', target: asked, realm }, error);
    }
    if (revokedBecause !== undefined) {
      acceptor.close();
      giveAll(meters, 'handles', 1);
      scope.assertLive('listen', asked);
    }
    const bound = acceptor.bound;
    const where = bound.kind === 'tcp' && peer.kind === 'tcp' ? formatPeer({ ...peer, port: bound.port }) : formatPeer(peer);
    return makeListener(acceptor, where, scope);
  };

  const cap = declareEffects(Far('Net', {
    connect: (peer: string) => connect(peer),
    fetch: (url: string, init?: Record<string, unknown>) => runFetch(url, init, fetchContext),
    listen: (where: string | number) => listen(where),
    peers: () => harden({ peers: policy.peers, listen: policy.listens }),
  }), netEffects.Net);
  return harden({
    cap,
    revoke: (reason: string) => {
      if (revokedBecause !== undefined) return;
      revokedBecause = reason;
      for (const close of [...open]) close(reason);
      open.clear();
      client?.close();
    },
  });
};

/**
 * `makeNet(options)` → the host's network, `host.net`: it mints peer-limited
 * capabilities (`allow`) and takes them back (`revoke`, `end`).
 *
 * `host.net` itself is host-side authority over the whole network: hand a
 * realm what `allow` mints, never `host.net`.
 */
import type { RealmBinding, RealmBound } from '@cathedral/sdk';
import { realmBound } from '@cathedral/sdk';
import { type AllowOptions, type NetCapability, makeCapability } from './capability.js';
import { type Meter, type NetBudget, makeMeter } from './meter.js';
import type { TlsOptions } from './node-http.js';
import { makeNodeTransport } from './node-transport.js';
import type { Transport } from './transport.js';

export interface NetOptions {
  /** The network (default: the host's sockets and DNS). */
  readonly transport?: Transport;
  /** Name lookup for the default transport (default `dns.lookup(name, { all: true })`). */
  readonly lookup?: (name: string) => Promise<readonly string[]>;
  /** Whom HTTPS trusts for the default transport: `{ ca }` (default: the system's certificate authorities). */
  readonly tls?: TlsOptions;
  /** A budget for everything minted by this net together. */
  readonly budget?: NetBudget;
  /** …or a meter shared with other users. */
  readonly meter?: Meter;
  /** The largest response body `fetch` reads (default 16 MiB). */
  readonly maxResponseBytes?: number;
}

export interface Net {
  /** A capability reaching only `peers` (and listening only on `options.listen`). */
  allow(peers: readonly string[], options?: AllowOptions): NetCapability;
  /**
   * The same capability, made per realm when a spawn is given it (`caps: {
   * net: net.forRealms(peers) }`): its bytes and connections are charged to
   * that realm's `netBytes` and `handles` budgets (and its ancestors'), its
   * calls checked against the realm's ceiling, and it is revoked when the
   * realm ends. `revoke(marker)` revokes it in every realm.
   */
  forRealms(peers: readonly string[], options?: Pick<AllowOptions, 'listen'>): RealmBound<NetCapability>;
  /**
   * Revokes a capability `allow` or `forRealms` minted: closes every stream, listener and
   * request opened through it, and makes them refuse. False for anything else.
   */
  revoke(cap: unknown, reason?: string): boolean;
  /** Revokes every capability minted so far (host shutdown). */
  end(reason?: string): void;
  /** What this net's own meter has in use. */
  used(): Readonly<Record<'netBytes' | 'handles', number>>;
}

/** A realm's meter (the runtime's, charging its ancestors too) as the net's meter. */
const realmMeter = (binding: RealmBinding): Meter =>
  Object.freeze({
    take: (kind: 'netBytes' | 'handles', amount: number, at: { operation: string; target: string }) =>
      binding.meter.charge(kind, amount, { operation: at.operation, target: at.target }),
    give: (kind: 'netBytes' | 'handles', amount: number) => binding.meter.release(kind, amount),
    used: () => Object.freeze({ netBytes: binding.meter.used('netBytes'), handles: binding.meter.used('handles') }),
  });

/** Builds a net over any transport: the real one (makeNet) or the synthetic one. */
export const makeNetOver = (transport: Transport, options: Omit<NetOptions, 'transport' | 'lookup' | 'tls'> = {}): Net => {
  const meter = options.meter ?? makeMeter(options.budget ?? {});
  const maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  const kits = new Map<object, (reason: string) => void>();
  const allow = (peers: readonly string[], allowOptions: AllowOptions = {}): NetCapability => {
    const kit = makeCapability({ transport, peers, options: allowOptions, netMeters: [meter], maxResponseBytes });
    kits.set(kit.cap, kit.revoke);
    return kit.cap;
  };
  return harden({
    allow,
    forRealms: (peers: readonly string[], realmOptions: Pick<AllowOptions, 'listen'> = {}) => {
      // Checked now, so a bad allowlist fails where it is written, not at a later spawn.
      const probe = allow(peers, realmOptions);
      kits.get(probe)?.('a probe of the allowlist');
      kits.delete(probe);
      const minted = new Set<NetCapability>();
      const marker = realmBound((binding: RealmBinding) => {
        const cap = allow(peers, { ...realmOptions, meter: realmMeter(binding), realm: binding.realm, ceiling: binding.ceiling as ReadonlySet<never> });
        minted.add(cap);
        binding.onEnd(reason => {
          minted.delete(cap);
          const revoke = kits.get(cap);
          kits.delete(cap);
          revoke?.(`the realm ended (${reason})`);
        });
        return cap;
      });
      kits.set(marker, reason => {
        for (const cap of minted) {
          kits.get(cap)?.(reason);
          kits.delete(cap);
        }
        minted.clear();
      });
      return marker;
    },
    revoke: (cap: unknown, reason = 'revoked by its grantor') => {
      const revoke = typeof cap === 'object' && cap !== null ? kits.get(cap) : undefined;
      if (revoke === undefined) return false;
      kits.delete(cap as object);
      revoke(reason);
      return true;
    },
    end: (reason = 'the network was shut down') => {
      for (const revoke of kits.values()) revoke(reason);
      kits.clear();
    },
    used: () => meter.used(),
  });
};

export const makeNet = (options: NetOptions = {}): Net =>
  makeNetOver(
    options.transport ??
      makeNodeTransport({ ...(options.lookup === undefined ? {} : { lookup: options.lookup }), ...(options.tls === undefined ? {} : { tls: options.tls }) }),
    options,
  );

/**
 * What a network is, below the capabilities: name lookup, connections,
 * listeners and (where the network carries it) one HTTP exchange.
 *
 * A transport acts on checked, pinned targets only (an address, never a
 * name), so whatever it does, it reaches the peer the policy checked. Two
 * transports: the host's sockets (./node-transport.ts) and the synthetic
 * in-memory network (./synthetic.ts). Capabilities (./capability.ts) are
 * built over either, the same way.
 */

/** A checked destination: an address (never a name to look up again) or a socket path. */
export type Target =
  | { readonly kind: 'tcp'; readonly address: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** One open connection, pull-based: data waits (bounded) until read. */
export interface Conn {
  /** The next bytes, or null at the end of the peer's data. */
  read(): Promise<Uint8Array | null>;
  /** Sends bytes; settles when the transport has taken them. */
  write(bytes: Uint8Array): Promise<void>;
  /** Ends this side's data (half-close); reading goes on. */
  end(): void;
  /** Closes both directions at once. */
  destroy(): void;
}

export interface Acceptor {
  /** Where it listens (the real port when 0 was asked). */
  readonly bound: Target;
  /** The next incoming connection. */
  accept(): Promise<Conn>;
  close(): void;
}

/** One HTTP request to a pinned address, no redirects followed. */
export interface HttpHop {
  readonly secure: boolean;
  readonly target: Target & { readonly kind: 'tcp' };
  /** The Host header, e.g. `api.example.com:8443`. */
  readonly hostHeader: string;
  /** The TLS server name when the URL host is a name. */
  readonly servername: string | undefined;
  readonly path: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | undefined;
}

export interface HopResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface HopControl {
  /** Called with the size of each incoming piece (headers, body chunks); throwing aborts the exchange. Call it as a method. */
  charge(bytes: number): void;
  /** Registers how to abort the exchange (revocation); returns a function that unregisters it. Call it as a method. */
  onAbort(abort: (reason: Error) => void): () => void;
}

/** The HTTP client of one capability: its own connection pool, closed with it. */
export interface HttpClient {
  hop(request: HttpHop, control: HopControl): Promise<HopResponse>;
  close(): void;
}

export interface Transport {
  /**
   * True on a network where a name is its own address (the synthetic one):
   * names are compared as they are and never looked up. False on the real
   * network, where only IP addresses are ever connected to.
   */
  readonly namesAreAddresses: boolean;
  /** Every address a name stands for, in the transport's order. */
  lookup(name: string): Promise<readonly string[]>;
  connect(target: Target): Promise<Conn>;
  listen(target: Target): Promise<Acceptor>;
  /** An HTTP client for one capability, or undefined when this network carries no HTTP. */
  makeHttpClient(): HttpClient | undefined;
}

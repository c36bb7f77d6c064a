/**
 * `fetch(url, init)` over a capability's allowlist: the request and every
 * redirect are checked like a `connect`, each to its own pinned address.
 *
 * Redirects are followed here, by hand, at most ten: 303 (and 301/302 after
 * a POST) become a GET without body, 307/308 keep method and body, and a
 * redirect to another origin drops `authorization`, `cookie` and
 * `proxy-authorization`, as WHATWG fetch does. `redirect: 'manual'` answers
 * the redirect itself; `'error'` refuses it.
 *
 * The answer is plain data: `{ status, statusText, headers, body, url,
 * redirected }` with lowercase header names and the whole body as bytes
 * (bounded by `maxResponseBytes` and the `netBytes` budget). No streaming
 * body in this version.
 */
import type { Peer } from './peer.js';
import { RefusedError } from '@cathedral/sdk';
import { toBytes } from './bytes.js';
import type { At } from './meter.js';
import { asText, invalid } from './refusals.js';
import type { HopControl, HttpClient, Target } from './transport.js';

export interface FetchResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** The URL that answered, after redirects. */
  readonly url: string;
  readonly redirected: boolean;
}

/**
 * What a capability lends its fetches: made once per capability (./capability.ts)
 * and shared by every call, so a request allocates no closures of its own.
 */
export interface FetchContext {
  readonly realm: string | undefined;
  /** Parses the URL asked for, as `parseUrl` does (./capability.ts keeps the answers of one capability). */
  readonly url: (text: unknown) => FetchUrl;
  /** Parses a peer (`host:port`) as `parsePeer` does. */
  readonly parse: (text: string) => Peer;
  /** The pinned target, or a promise of it when a name had to be looked up. */
  readonly check: (operation: string, asked: string, peer: Peer) => Target | Promise<Target>;
  /** A `RevokedError` once the capability is revoked (checked after each lookup). */
  readonly assertLive: (operation: string, target: string) => void;
  /** The ceiling and liveness checked, one handle taken: the HTTP client (or a refusal, and no handle). */
  readonly begin: (asked: string) => HttpClient;
  /** Gives back the handle `begin` took. */
  readonly end: () => void;
  /** Charges bytes against the budgets (throws `BudgetExceededError`). */
  readonly charge: (bytes: number, at: At) => void;
  /** Registers how to abort the fetch of `asked` when the capability is revoked (with its `RevokedError`); answers how to unregister. */
  readonly track: (asked: string, abort: (reason: Error) => void) => () => void;
  /** What a failure that is not one of ours becomes (an `IoError` by its code). */
  readonly failure: (error: unknown, asked: string) => unknown;
  readonly maxResponseBytes: number;
}

const MAX_REDIRECTS = 10;
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CREDENTIALS = ['authorization', 'cookie', 'proxy-authorization'];
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

interface Init {
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  redirect: 'follow' | 'manual' | 'error';
}

const isRecord = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** Reads `init` once, into host-made values: no guest getter runs later. */
const readInit = (url: string, init: unknown): Init => {
  if (init === undefined) return { method: 'GET', headers: {}, body: undefined, redirect: 'follow' };
  if (!isRecord(init)) throw invalid('fetch', url, 'init must be a plain record', 'fetch takes (url, { method, headers, body, redirect })');
  const known = ['method', 'headers', 'body', 'redirect'];
  const out: Init = { method: 'GET', headers: {}, body: undefined, redirect: 'follow' };
  for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(init))) {
    if (!known.includes(key)) throw invalid('fetch', url, `init.${key} is not supported`, `init holds ${known.join(', ')}`);
    if (!('value' in desc)) throw invalid('fetch', url, `init.${key} is an accessor`, 'init is plain data');
    const value: unknown = desc.value;
    if (value === undefined) continue;
    if (key === 'method') {
      if (typeof value !== 'string' || !METHOD.test(value)) throw invalid('fetch', url, 'init.method must be an HTTP method token', 'methods are tokens such as GET or POST');
      out.method = value.toUpperCase();
    } else if (key === 'headers') {
      if (!isRecord(value)) throw invalid('fetch', url, 'init.headers must be a plain record of strings', 'headers are { name: value }');
      for (const [name, hdesc] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
        const v: unknown = 'value' in hdesc ? hdesc.value : undefined;
        if (typeof v !== 'string') throw invalid('fetch', url, `header ${JSON.stringify(name)} must be a string`, 'headers are { name: value }');
        const lower = name.toLowerCase();
        if (lower === 'host') throw invalid('fetch', url, 'the Host header is set from the URL', 'a request goes to the host its URL names', 'put the host in the URL');
        // Defined, not assigned: `constructor` or `__proto__` is a header name here (assigning would throw under lockdown, or set the prototype).
        Object.defineProperty(out.headers, lower, { value: v, enumerable: true, writable: true, configurable: true });
      }
    } else if (key === 'body') {
      out.body = toBytes('fetch', url, value);
    } else if (value === 'follow' || value === 'manual' || value === 'error') {
      out.redirect = value;
    } else throw invalid('fetch', url, 'init.redirect must be "follow", "manual" or "error"', 'redirects are followed, answered or refused');
  }
  if ((out.method === 'GET' || out.method === 'HEAD') && out.body !== undefined) {
    throw invalid('fetch', url, `a ${out.method} request has no body`, 'GET and HEAD carry no body');
  }
  return out;
};

/** What a fetch reads of a checked http(s) URL: WHATWG URL's parts, read once, frozen. */
export interface FetchUrl {
  readonly href: string;
  readonly protocol: 'http:' | 'https:';
  readonly origin: string;
  /** `host:port` as written in the URL (the Host header). */
  readonly host: string;
  readonly hostname: string;
  readonly port: string;
  /** The request target: path and query. */
  readonly path: string;
  /** The peer asked for, `hostname:port` with the scheme's port when none is written. */
  readonly peer: string;
}

/** Parses and checks a URL (relative to `base`, for a redirect); an `InvalidArgumentError` otherwise. */
export const parseUrl = (text: unknown, base?: FetchUrl): FetchUrl => {
  if (typeof text !== 'string' || text.length > 8192) throw invalid('fetch', undefined, 'the URL must be a string', 'fetch takes an http: or https: URL');
  let url: URL;
  try {
    url = base === undefined ? new URL(text) : new URL(text, base.href);
  } catch {
    throw invalid('fetch', text.slice(0, 200), 'the URL is not valid', 'fetch takes an absolute http: or https: URL');
  }
  const protocol = url.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') throw invalid('fetch', url.href, `the scheme ${protocol} is not fetched`, 'fetch takes http: and https: URLs');
  if (url.username !== '' || url.password !== '') {
    throw invalid('fetch', `${protocol}//${url.host}${url.pathname}`, 'the URL holds credentials', 'credentials go in headers, never in URLs', 'pass an authorization header');
  }
  const { href, origin, host, hostname, port } = url;
  const peer = `${hostname}:${port === '' ? (protocol === 'https:' ? 443 : 80) : port}`;
  return Object.freeze({ href, protocol, origin, host, hostname, port, path: `${url.pathname}${url.search}`, peer });
};

/**
 * `parseUrl` with a memory of the URLs last asked for: a URL parses the same
 * every time, and parsing one cost ~6 µs of a ~200 µs loopback request.
 * Bounded (at most 128 URLs of at most 1 KiB); one per capability, so what
 * one holder fetched is never timed by another.
 */
export const makeUrlParser = (): ((text: unknown) => FetchUrl) => {
  const known = new Map<string, FetchUrl>();
  return (text: unknown): FetchUrl => {
    const hit = typeof text === 'string' ? known.get(text) : undefined;
    if (hit !== undefined) return hit;
    const url = parseUrl(text);
    if ((text as string).length <= 1024) {
      if (known.size >= 128) known.clear();
      known.set(text as string, url);
    }
    return url;
  };
};

/**
 * One hop's side of the exchange, as the transport sees it: the response's
 * bytes counted against `maxResponseBytes` and charged, and the abort that
 * revocation calls. A class, so a hop costs one object, not a record and
 * four closures.
 */
class Hop implements HopControl {
  readonly #context: FetchContext;
  readonly #asked: string;
  readonly #at: At;
  #received = 0;

  constructor(context: FetchContext, asked: string, href: string) {
    this.#context = context;
    this.#asked = asked;
    this.#at = { operation: 'fetch', target: href, realm: context.realm };
  }

  charge(bytes: number): void {
    this.#received += bytes;
    const max = this.#context.maxResponseBytes;
    if (this.#received > max) {
      throw invalid('fetch', this.#at.target, `the response exceeds ${max} bytes`, 'a response is read whole, up to maxResponseBytes', 'raise maxResponseBytes in makeNet, or use connect for a stream');
    }
    this.#context.charge(bytes, this.#at);
  }

  onAbort(abort: (reason: Error) => void): () => void {
    return this.#context.track(this.#asked, abort);
  }
}

/**
 * The whole fetch, the capability's bookkeeping included (handle, error
 * wording), in one async function. A promise layer between the response's
 * end and the caller costs far more than its own ~0.2 µs: in same-process
 * A/B on a ~200 µs loopback request, one async wrapper around the hop added
 * ~3 µs CPU and two added 7–11 µs, as each delays the next request.
 */
export const runFetch = async (urlIn: unknown, initIn: unknown, context: FetchContext): Promise<FetchResponse> => {
  const asked = asText(urlIn);
  const client = context.begin(asked);
  try {
    let url = context.url(urlIn);
    const init = readInit(url.href, initIn);
    let { method, body } = init;
    // readInit made it for this call alone: redirects change it in place.
    const { headers } = init;
    for (let hops = 0; ; hops += 1) {
      const peerText = url.peer;
      const peer = context.parse(peerText);
      if (peer.kind !== 'tcp') throw invalid('fetch', url.href, 'an http URL names a TCP peer', 'fetch takes http: and https: URLs');
      const checked = context.check('fetch', peerText, peer);
      const target = checked instanceof Promise ? await checked : checked;
      context.assertLive('fetch', peerText);
      if (target.kind !== 'tcp') throw invalid('fetch', url.href, 'an http URL names a TCP peer', 'fetch takes http: and https: URLs');
      const hop = new Hop(context, asked, url.href);
      // A body-less request charges nothing: a charge of 0 can never be refused.
      if (body !== undefined && body.length > 0) context.charge(body.length, { operation: 'fetch', target: url.href, realm: context.realm });
      const response = await client.hop(
        {
          secure: url.protocol === 'https:',
          target,
          hostHeader: url.host,
          servername: peer.hostKind === 'name' ? peer.host : undefined,
          path: url.path,
          method,
          headers,
          body,
        },
        hop,
      );
      const location = response.headers['location'];
      const isRedirect = REDIRECTS.has(response.status) && location !== undefined;
      if (!isRedirect || init.redirect === 'manual') {
        // Frozen, not hardened: every part is host-made data (a record of strings,
        // fresh bytes) whose prototypes are hardened intrinsics; a realm's gate
        // copies it again as it crosses. harden's traversal cost ~4% of a request.
        // Written out, not spread: a spread of the hop's record cost ~3 µs a request.
        const { status, statusText, headers: answered, body: bytes } = response;
        return Object.freeze({ status, statusText, headers: answered, body: bytes, url: url.href, redirected: hops > 0 });
      }
      if (init.redirect === 'error' || hops >= MAX_REDIRECTS) {
        throw new RefusedError({
          operation: 'fetch',
          target: url.href,
          realm: context.realm,
          problem: init.redirect === 'error' ? `the response redirects to ${JSON.stringify(location)}` : `more than ${MAX_REDIRECTS} redirects`,
          rule: init.redirect === 'error' ? 'redirect: "error" refuses redirects' : `at most ${MAX_REDIRECTS} redirects are followed`,
          allow: init.redirect === 'error' ? "pass redirect: 'follow' or 'manual'" : "pass redirect: 'manual' and follow them yourself",
        });
      }
      const next = parseUrl(location, url);
      if (response.status === 303 ? method !== 'HEAD' : (response.status === 301 || response.status === 302) && method === 'POST') {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
        delete headers['content-length'];
      }
      if (next.origin !== url.origin) for (const name of CREDENTIALS) delete headers[name];
      url = next;
    }
  } catch (error) {
    throw context.failure(error, asked);
  } finally {
    context.end();
  }
};

/**
 * Peers as written (`host:port`, `[v6]:port`, `unix:/path`) and their
 * canonical form, so that two spellings of one peer compare equal and no
 * spelling compares equal to another peer.
 *
 * Hosts: IP literals in any spelling become their canonical text (./ip.ts);
 * names are lowercased, lose one trailing dot, go through IDNA
 * (`domainToASCII`) and must be LDH labels; a name whose last label is
 * numeric but which is no IPv4 literal (`1.2.3.256`, `foo.0x1`) is refused,
 * as the WHATWG URL parser refuses it. Unix paths must be absolute and are
 * normalised lexically (`/run/./a/../app.sock` is `/run/app.sock`).
 *
 * This module does not resolve names; ./policy.ts does.
 */
import { posix } from 'node:path';
import { domainToASCII } from 'node:url';
import { canonicalIp, endsInNumber } from './ip.js';
import { invalid } from './refusals.js';

export type HostKind = 'ip4' | 'ip6' | 'name';

export type Peer =
  | { readonly kind: 'tcp'; readonly host: string; readonly hostKind: HostKind; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** The canonical text of a peer: `127.0.0.1:80`, `[::1]:80`, `example.com:443`, `unix:/run/app.sock`. */
export const formatPeer = (peer: Peer): string => {
  switch (peer.kind) {
    case 'tcp':
      return peer.hostKind === 'ip6' ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`;
    case 'unix':
      return `unix:${peer.path}`;
    default:
      return assertNever(peer);
  }
};

const assertNever = (value: never): never => {
  throw new TypeError(`unexpected ${JSON.stringify(value)}`);
};

const SUN_PATH_MAX = 107;

/** A host (no port) in canonical form: `{ host, hostKind }`, or a typed refusal. */
export const canonicalHost = (operation: string, target: string, raw: string): { host: string; hostKind: HostKind } => {
  const ip = canonicalIp(raw);
  if (ip !== undefined) return { host: ip.text, hostKind: ip.family === 4 ? 'ip4' : 'ip6' };
  if (raw.includes(':') || raw.includes('%')) {
    throw invalid(operation, target, `${JSON.stringify(raw)} is not an IP address`, 'IPv6 addresses are written in brackets, without a zone: [::1]:443');
  }
  if (endsInNumber(raw)) {
    throw invalid(operation, target, `${JSON.stringify(raw)} ends in a number but is not an IPv4 address`, 'a host is an IP address or a DNS name');
  }
  const lowered = raw.toLowerCase();
  const stripped = lowered.endsWith('.') ? lowered.slice(0, -1) : lowered;
  const ascii = /^[\x21-\x7e]*$/.test(stripped) ? stripped : domainToASCII(stripped);
  const labels = ascii.split('.');
  if (ascii.length === 0 || ascii.length > 253 || labels.some(l => !/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) {
    throw invalid(operation, target, `${JSON.stringify(raw)} is not a valid host name`, 'a host name is dot-separated labels of letters, digits, "-" and "_"');
  }
  return { host: ascii, hostKind: 'name' };
};

const parsePort = (operation: string, target: string, raw: string, allowZero: boolean): number => {
  const port = /^[0-9]{1,5}$/.test(raw) ? Number.parseInt(raw, 10) : Number.NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    throw invalid(operation, target, `${JSON.stringify(raw)} is not a port`, `a port is a number from ${allowZero ? 0 : 1} to 65535`);
  }
  return port;
};

export interface ParseOptions {
  /** Port 0 (an ephemeral port) is allowed: for listening only. */
  readonly allowPortZero?: boolean;
}

/** Parses a peer as written, in canonical form; a typed refusal for anything else. */
export const parsePeer = (operation: string, input: unknown, options: ParseOptions = {}): Peer => {
  if (typeof input !== 'string' || input.length === 0 || input.length > 300) {
    throw invalid(operation, undefined, `a peer must be a string such as "api.example.com:443", got ${typeof input === 'string' ? JSON.stringify(input.slice(0, 40)) : typeof input}`, 'peers are host:port, [v6]:port or unix:/path');
  }
  if (/[\s\0]/.test(input)) throw invalid(operation, input, 'a peer holds no spaces or control characters', 'peers are host:port, [v6]:port or unix:/path');
  if (input.startsWith('unix:')) {
    const raw = input.slice('unix:'.length);
    if (!raw.startsWith('/')) throw invalid(operation, input, 'a unix socket path must be absolute', 'unix peers are unix:/absolute/path');
    const path = posix.normalize(raw);
    if (Buffer.byteLength(path) > SUN_PATH_MAX) throw invalid(operation, input, `a unix socket path is at most ${SUN_PATH_MAX} bytes`, 'the kernel bounds socket paths');
    return { kind: 'unix', path };
  }
  let hostRaw: string;
  let portRaw: string;
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close < 0 || input[close + 1] !== ':') throw invalid(operation, input, 'a bracketed IPv6 peer is [address]:port', 'peers are host:port, [v6]:port or unix:/path');
    hostRaw = input.slice(1, close);
    portRaw = input.slice(close + 2);
    if (canonicalIp(hostRaw) === undefined) throw invalid(operation, input, `${JSON.stringify(hostRaw)} is not an IPv6 address`, 'brackets hold an IPv6 address');
  } else {
    const colon = input.lastIndexOf(':');
    if (colon < 0) throw invalid(operation, input, 'a peer needs a port', 'peers are host:port, [v6]:port or unix:/path');
    hostRaw = input.slice(0, colon);
    portRaw = input.slice(colon + 1);
    if (hostRaw.includes(':')) throw invalid(operation, input, 'an IPv6 address in a peer is written in brackets', 'peers are host:port, [v6]:port or unix:/path', `write [${hostRaw}]:${portRaw}`);
  }
  const port = parsePort(operation, input, portRaw, options.allowPortZero === true);
  return { kind: 'tcp', ...canonicalHost(operation, input, hostRaw), port };
};

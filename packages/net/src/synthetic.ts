/**
 * A synthetic network: in memory, between realms of one host, no sockets.
 *
 * Peers are canonical peer texts (`db:5432`, `10.0.0.1:80`,
 * `unix:/run/app.sock`); a name is its own address (no DNS), so the
 * allowlist, metering, ceilings and revocation work exactly as on the real
 * network. `listen('db:5432')` in one realm accepts `connect('db:5432')`
 * from another; bytes are copied across, so neither side can change what
 * the other received. It carries streams, not HTTP: `fetch` is refused as
 * unsupported.
 */
import { type Net, type NetOptions, makeNetOver } from './net.js';
import type { Acceptor, Conn, Target, Transport } from './transport.js';

const keyOf = (target: Target): string => (target.kind === 'unix' ? `unix:${target.path}` : `${target.address.includes(':') ? `[${target.address}]` : target.address}:${target.port}`);

const failure = (code: string, message: string): Error => Object.assign(new Error(message), { code });

const HIGH_WATER = 64 * 1024;
const PENDING_MAX = 64;

/**
 * One direction of a connection: a queue of chunks with an end. A writer
 * waits while more than HIGH_WATER bytes are unread, as a socket would make
 * it, so a reader that never reads does not make the host buffer without end.
 */
const makeQueue = () => {
  const chunks: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  const readers: Array<(value: Uint8Array | null) => void> = [];
  const drained: Array<() => void> = [];
  const wake = () => {
    while (readers.length > 0 && (chunks.length > 0 || ended)) {
      const chunk = chunks.shift() ?? null;
      queued -= chunk?.length ?? 0;
      (readers.shift() as (v: Uint8Array | null) => void)(chunk);
    }
    if (queued <= HIGH_WATER || ended) for (const resume of drained.splice(0)) resume();
  };
  return {
    push: async (bytes: Uint8Array): Promise<boolean> => {
      if (ended) return false;
      chunks.push(new Uint8Array(bytes));
      queued += bytes.length;
      wake();
      if (queued > HIGH_WATER) await new Promise<void>(resolve => drained.push(resolve));
      return true;
    },
    end: () => {
      ended = true;
      wake();
    },
    read: () =>
      new Promise<Uint8Array | null>(resolve => {
        readers.push(resolve);
        wake();
      }),
  };
};

/** Two connected ends. */
const makePair = (): [Conn, Conn] => {
  const ab = makeQueue();
  const ba = makeQueue();
  let destroyed = false;
  const end = (incoming: ReturnType<typeof makeQueue>, outgoing: ReturnType<typeof makeQueue>): Conn => ({
    read: () => incoming.read(),
    write: async bytes => {
      if (destroyed || !(await outgoing.push(bytes))) throw failure('EPIPE', 'the connection is closed');
    },
    end: () => outgoing.end(),
    destroy: () => {
      destroyed = true;
      ab.end();
      ba.end();
    },
  });
  return [end(ba, ab), end(ab, ba)];
};

export const makeSyntheticTransport = (): Transport => {
  const listeners = new Map<string, (conn: Conn) => void>();
  return harden({
    namesAreAddresses: true,
    lookup: async (name: string) => [name],
    connect: async (target: Target) => {
      const deliver = listeners.get(keyOf(target));
      if (deliver === undefined) throw failure('ECONNREFUSED', 'nothing listens there');
      const [mine, theirs] = makePair();
      try {
        deliver(theirs);
      } catch (error) {
        mine.destroy();
        throw error;
      }
      return mine;
    },
    listen: async (target: Target): Promise<Acceptor> => {
      const key = keyOf(target);
      if (listeners.has(key)) throw failure('EADDRINUSE', 'something already listens there');
      if (target.kind === 'tcp' && target.port === 0) throw failure('EINVAL', 'the synthetic network has no ephemeral ports');
      const pending: Conn[] = [];
      const waiting: Array<{ resolve: (c: Conn) => void; reject: (e: Error) => void }> = [];
      listeners.set(key, conn => {
        const waiter = waiting.shift();
        if (waiter !== undefined) waiter.resolve(conn);
        else if (pending.length < PENDING_MAX) pending.push(conn);
        else throw failure('ECONNREFUSED', 'the listener has too many connections waiting');
      });
      let closed = false;
      return {
        bound: target,
        accept: async () => {
          if (closed) throw failure('ECONNABORTED', 'the listener is closed');
          const conn = pending.shift();
          if (conn !== undefined) return conn;
          return new Promise<Conn>((resolve, reject) => waiting.push({ resolve, reject }));
        },
        close: () => {
          if (closed) return;
          closed = true;
          listeners.delete(key);
          for (const conn of pending.splice(0)) conn.destroy();
          for (const waiter of waiting.splice(0)) waiter.reject(failure('ECONNABORTED', 'the listener is closed'));
        },
      };
    },
    makeHttpClient: () => undefined,
  });
};

/** A synthetic network with the same shape as `makeNet()`'s: `allow`, `revoke`, `end`, `used`. */
export const makeSyntheticNet = (options: Omit<NetOptions, 'transport' | 'lookup' | 'tls'> = {}): Net => makeNetOver(makeSyntheticTransport(), options);

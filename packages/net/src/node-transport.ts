/**
 * The host's own network: sockets (`node:net`) and name lookup
 * (`node:dns`). One of the two modules of this package that hold ambient
 * network authority (with ./node-http.ts); everything else is handed a
 * transport.
 *
 * Connections go to the checked address as given (an IP literal or a
 * socket path): `net.connect` does no lookup for a literal. Incoming data is
 * buffered up to a high-water mark, then the socket is paused until read, so
 * a peer cannot fill the host's memory faster than the guest reads.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { type Socket, createServer, connect as netConnect } from 'node:net';
import { type TlsOptions, makeNodeHttpClient } from './node-http.js';
import type { Acceptor, Conn, Target, Transport } from './transport.js';

const HIGH_WATER = 64 * 1024;
const PENDING_MAX = 64;

/** A socket as a pull-based connection. */
export const adoptSocket = (socket: Socket): Conn => {
  const chunks: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | undefined;
  const readers: Array<{ resolve: (v: Uint8Array | null) => void; reject: (e: Error) => void }> = [];

  const wake = () => {
    while (readers.length > 0) {
      const chunk = chunks.shift();
      if (chunk !== undefined) {
        queued -= chunk.length;
        (readers.shift() as (typeof readers)[number]).resolve(chunk);
        continue;
      }
      if (failure !== undefined) (readers.shift() as (typeof readers)[number]).reject(failure);
      else if (ended) (readers.shift() as (typeof readers)[number]).resolve(null);
      else break;
    }
    if (queued <= HIGH_WATER && socket.isPaused() && !ended) socket.resume();
  };
  socket.setNoDelay(true);
  socket.on('data', (data: Buffer) => {
    // A private copy: a Buffer may be a view of memory shared with other data.
    chunks.push(new Uint8Array(data));
    queued += data.length;
    if (queued > HIGH_WATER) socket.pause();
    wake();
  });
  socket.on('end', () => {
    ended = true;
    wake();
  });
  socket.on('error', (error: Error) => {
    failure ??= error;
    wake();
  });
  socket.on('close', () => {
    ended = true;
    wake();
  });
  socket.resume();

  return {
    read: () =>
      new Promise<Uint8Array | null>((resolve, reject) => {
        readers.push({ resolve, reject });
        wake();
      }),
    write: bytes =>
      new Promise<void>((resolve, reject) => {
        if (socket.destroyed || socket.writableEnded) {
          reject(failure ?? Object.assign(new Error('the connection is closed'), { code: 'EPIPE' }));
          return;
        }
        if (socket.write(bytes)) resolve();
        else {
          const settle = () => {
            socket.off('drain', settle);
            socket.off('close', settle);
            if (socket.destroyed && failure !== undefined) reject(failure);
            else resolve();
          };
          socket.on('drain', settle);
          socket.on('close', settle);
        }
      }),
    end: () => {
      socket.end();
    },
    destroy: () => {
      socket.destroy();
      ended = true;
      wake();
    },
  };
};

const connectSocket = (target: Target): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = target.kind === 'unix' ? netConnect({ path: target.path }) : netConnect({ host: target.address, port: target.port });
    const onError = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });

const listenOn = (target: Target): Promise<Acceptor> =>
  new Promise((resolve, reject) => {
    const pending: Socket[] = [];
    const waiting: Array<{ resolve: (c: Conn) => void; reject: (e: Error) => void }> = [];
    let closed = false;
    const server = createServer({ pauseOnConnect: true }, socket => {
      if (closed || pending.length >= PENDING_MAX) {
        socket.destroy();
        return;
      }
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter.resolve(adoptSocket(socket));
      else {
        pending.push(socket);
        socket.once('close', () => {
          const i = pending.indexOf(socket);
          if (i >= 0) pending.splice(i, 1);
        });
      }
    });
    server.once('error', reject);
    const onListening = () => {
      server.off('error', reject);
      const address = server.address();
      const bound: Target =
        target.kind === 'unix' || address === null || typeof address === 'string'
          ? target
          : { kind: 'tcp', address: target.address, port: address.port };
      resolve({
        bound,
        accept: () =>
          new Promise<Conn>((resolveAccept, rejectAccept) => {
            if (closed) {
              rejectAccept(Object.assign(new Error('the listener is closed'), { code: 'ECONNABORTED' }));
              return;
            }
            const socket = pending.shift();
            if (socket !== undefined) resolveAccept(adoptSocket(socket));
            else waiting.push({ resolve: resolveAccept, reject: rejectAccept });
          }),
        close: () => {
          if (closed) return;
          closed = true;
          server.close();
          for (const socket of pending.splice(0)) socket.destroy();
          for (const waiter of waiting.splice(0)) waiter.reject(Object.assign(new Error('the listener is closed'), { code: 'ECONNABORTED' }));
        },
      });
    };
    if (target.kind === 'unix') server.listen({ path: target.path }, onListening);
    else server.listen({ host: target.address, port: target.port }, onListening);
  });

export interface NodeTransportOptions {
  /** Name lookup: every address of a name. Default: `dns.lookup(name, { all: true })`. */
  readonly lookup?: (name: string) => Promise<readonly string[]>;
  /** Whom HTTPS trusts (default: the system's certificate authorities). */
  readonly tls?: TlsOptions;
}

export const makeNodeTransport = (options: NodeTransportOptions = {}): Transport => {
  const lookup = options.lookup ?? (async (name: string) => (await dnsLookup(name, { all: true, verbatim: true })).map(a => a.address));
  return harden({
    namesAreAddresses: false,
    lookup,
    connect: async (target: Target) => adoptSocket(await connectSocket(target)),
    listen: listenOn,
    makeHttpClient: () => makeNodeHttpClient(options.tls),
  });
};

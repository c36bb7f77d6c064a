/** Test helpers: real TCP and HTTP servers on loopback that count what reaches them. */
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';

export interface TcpServer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Connections open now. */
  open: number;
  /** Every byte received, in order. */
  received: Buffer;
  close(): Promise<void>;
}

const listen = (server: Server, host: string, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve((server.address() as AddressInfo).port));
  });

const closing = (server: Server, sockets: Set<Socket>) => () =>
  new Promise<void>(resolve => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });

/**
 * A TCP server: echoes what it receives, or, with `greeting`, sends it first.
 * With `blast`, sends that many bytes and ends.
 */
export const startTcp = async (options: { host?: string; port?: number; blast?: number } = {}): Promise<TcpServer> => {
  const sockets = new Set<Socket>();
  const state = { connections: 0, open: 0, received: Buffer.alloc(0) };
  const server = createServer(socket => {
    state.connections += 1;
    state.open += 1;
    sockets.add(socket);
    socket.on('close', () => {
      state.open -= 1;
      sockets.delete(socket);
    });
    socket.on('error', () => {});
    if (options.blast !== undefined) {
      socket.end(Buffer.alloc(options.blast, 120));
      socket.resume();
      return;
    }
    socket.on('data', data => {
      state.received = Buffer.concat([state.received, data]);
      socket.write(data);
    });
    socket.on('end', () => socket.end());
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0);
  return Object.assign(state, { host, port, close: closing(server, sockets) });
};

export interface HttpServer {
  readonly host: string;
  readonly port: number;
  /** Requests served so far: method and URL, with the Host header. */
  readonly requests: Array<{ method: string; url: string; host: string; body: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

/**
 * An HTTP server: `/hello` answers "hello from <name>"; `/redirect?to=URL&status=N`
 * redirects; `/loop` redirects to itself; `/echo` answers the request body;
 * `/big?n=N` answers N bytes; `/odd-headers` answers headers named like
 * what a record inherits (`constructor`, `__proto__`, `toString`), one twice.
 */
export const startHttp = async (name: string, options: { host?: string; port?: number } = {}): Promise<HttpServer> => {
  const requests: HttpServer['requests'] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      // From the raw headers: Node's own `req.headers` assigns each name, and under lockdown a request header named `constructor` throws there.
      const headers: Record<string, string> = {};
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        Object.defineProperty(headers, (req.rawHeaders[i] as string).toLowerCase(), { value: req.rawHeaders[i + 1], enumerable: true, writable: true, configurable: true });
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', host: headers['host'] ?? '', body, headers });
      const url = new URL(req.url ?? '/', 'http://x');
      switch (url.pathname) {
        case '/hello':
          res.setHeader('x-served-by', name);
          res.end(`hello from ${name}`);
          return;
        case '/redirect':
          res.statusCode = Number(url.searchParams.get('status') ?? 302);
          res.setHeader('location', url.searchParams.get('to') ?? '/hello');
          res.end();
          return;
        case '/loop':
          res.statusCode = 302;
          res.setHeader('location', '/loop');
          res.end();
          return;
        case '/echo':
          res.setHeader('x-method', req.method ?? '');
          res.end(body);
          return;
        case '/odd-headers':
          res.setHeader('constructor', 'c');
          res.setHeader('__proto__', 'p');
          res.setHeader('toString', ['t1', 't2']);
          res.end('odd');
          return;
        case '/cut':
          // Promises 100 bytes, sends 5, then drops the connection.
          res.writeHead(200, { 'content-length': '100' });
          res.write('hello', () => res.socket?.destroy());
          return;
        case '/big':
          res.end(Buffer.alloc(Number(url.searchParams.get('n') ?? 0), 97));
          return;
        default:
          res.statusCode = 404;
          res.end('not found');
      }
    });
  });
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server as unknown as Server, host, options.port ?? 0);
  return { host, port, requests, close: closing(server as unknown as Server, sockets) };
};

export const text = (bytes: Uint8Array | null): string => (bytes === null ? '<eof>' : Buffer.from(bytes).toString());

/** Reads a stream until it has `n` bytes or ends. */
export const readAtLeast = async (stream: { read(): Promise<Uint8Array | null> }, n: number): Promise<string> => {
  let out = '';
  while (out.length < n) {
    const chunk = await stream.read();
    if (chunk === null) break;
    out += text(chunk);
  }
  return out;
};

/** Waits until `check` holds (a server's counters settle a moment after the client side). */
export const eventually = async (check: () => boolean, ms = 2000): Promise<boolean> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  return check();
};

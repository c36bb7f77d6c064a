/**
 * The host's two small HTTP servers on 127.0.0.1, each on a port the system
 * picks: the API, which plugins granted `net` may reach, and the admin
 * server, which is in no plugin's allowlist. Each counts what reaches it, so
 * the host can check a plugin's report of its fetches against what arrived
 * (./host-app.ts), rather than believe it.
 *
 * The API answers `GET /status` with `status: ok (request <n>)`, where n
 * counts the requests it has received, and anything else with 404. The
 * admin server answers everything with 403.
 *
 * Deliberately small: loopback only, no keep-alive tuning, no TLS.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>`, as a net allowlist names it. */
  readonly peer: string;
  readonly port: number;
  /** Requests received so far. */
  requests(): number;
}

export interface HostServers {
  readonly api: HostServer;
  readonly admin: HostServer;
  close(): Promise<void>;
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve((server.address() as AddressInfo).port));
  });

const start = async (answer: (path: string, count: number) => { status: number; body: string }): Promise<{ server: Server; info: HostServer }> => {
  let count = 0;
  const server = createServer((request, response) => {
    count += 1;
    const { status, body } = answer(request.url ?? '', count);
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(body);
  });
  const port = await listen(server);
  return { server, info: Object.freeze({ url: `http://127.0.0.1:${port}`, peer: `127.0.0.1:${port}`, port, requests: () => count }) };
};

export const startServers = async (): Promise<HostServers> => {
  const api = await start((path, count) => (path === '/status' ? { status: 200, body: `status: ok (request ${count})` } : { status: 404, body: 'not found' }));
  const admin = await start(() => ({ status: 403, body: 'admin only' }));
  const close = (server: Server) =>
    new Promise<void>(resolve => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return Object.freeze({ api: api.info, admin: admin.info, close: async () => void (await Promise.all([close(api.server), close(admin.server)])) });
};

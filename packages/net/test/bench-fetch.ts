/**
 * Benchmark: a request through the net capability against a direct
 * `http.request` to the same loopback server, in the same run.
 *
 *   node packages/net/dist/test/bench-fetch.js [requests]
 *
 * Rows: direct (keep-alive agent), the capability called by the host, a
 * compartment-tier guest calling `net.fetch` in a loop, a process-tier guest
 * doing the same over CapTP. Rounds alternate the rows so drift hits all;
 * the figure is the median per-request time over rounds, and the ratio is
 * against direct. A no-op capability call per tier gives the tier's own
 * round trip, reported apart (the target: ≤ 1.2× plus that trip).
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Far } from '@cathedral/sdk';
import { memory } from '@cathedral/powerbox';
import { type Realm, createHost } from '@cathedral/runtime';
import { makeNet } from '../src/index.js';

const n = Number(process.argv[2] ?? 400);
const rounds = 9;

// A server that keeps nothing per request: the test servers' request logs
// would make every allocation on the measured side pay for a growing heap.
const server = createServer((_req, res) => res.end('hello from bench'));
await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const url = `http://127.0.0.1:${port}/hello`;
const agent = new Agent({ keepAlive: true });

const direct = () =>
  new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: port, path: '/hello', agent }, res => {
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
      });
      res.on('end', () => resolve(size));
    });
    req.on('error', reject);
    req.end();
  });

const net = makeNet();
const cap = net.allow([`127.0.0.1:${port}`]);
const host = await createHost({ console: () => {}, report: () => {} });
const guest = `
export const loop = async (url, n) => { let size = 0; for (let i = 0; i < n; i += 1) size += (await net.fetch(url)).body.length; return size; };
export const pings = async n => { for (let i = 0; i < n; i += 1) await noop.ping(); };
`;
// A capability that does nothing: its cost is the tier's own round trip.
const noop = Far('Noop', { ping: () => 1 });
const spawn = (tier: 'compartment' | 'process'): Promise<Realm> =>
  host.spawn({ tier, main: 'app://main.js', realms: { app: memory({ 'main.js': guest }) }, caps: { net: net.allow([`127.0.0.1:${port}`]), noop } });
const compartment = await spawn('compartment');
const processRealm = await spawn('process');

const rows: Record<string, (count: number) => Promise<unknown>> = {
  'direct http.request': async count => {
    for (let i = 0; i < count; i += 1) await direct();
  },
  'cap.fetch (host)': async count => {
    for (let i = 0; i < count; i += 1) await cap.fetch(url);
  },
  'net.fetch (compartment guest)': count => compartment.call('loop', url, count),
  'net.fetch (process guest)': count => processRealm.call('loop', url, count),
  'no-op cap call (compartment guest)': count => compartment.call('pings', count),
  'no-op cap call (process guest)': count => processRealm.call('pings', count),
};

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(rows).map(k => [k, []]));
for (const run of Object.values(rows)) await run(200); // warm up
for (let round = 0; round < rounds; round += 1) {
  for (const [name, run] of Object.entries(rows)) {
    const start = process.hrtime.bigint();
    await run(n);
    (samples[name] as number[]).push(Number(process.hrtime.bigint() - start) / 1000 / n);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const base = median(samples['direct http.request'] as number[]);
console.log(`${n} requests x ${rounds} rounds, median µs per request, ratio to direct`);
for (const [name, xs] of Object.entries(samples)) console.log(`${name.padEnd(36)} ${median(xs).toFixed(1).padStart(8)} µs  ${(median(xs) / base).toFixed(2)}x`);
for (const tier of ['compartment', 'process']) {
  const fetchUs = median(samples[`net.fetch (${tier} guest)`] as number[]);
  const tripUs = median(samples[`no-op cap call (${tier} guest)`] as number[]);
  console.log(`${tier}: net.fetch less the tier's round trip (${tripUs.toFixed(1)} µs): ${((fetchUs - tripUs) / base).toFixed(2)}x direct`);
}
await compartment.terminate();
await processRealm.terminate();
net.end();
agent.destroy();
await new Promise(resolve => server.close(resolve));

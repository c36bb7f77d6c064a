/**
 * A request through the net capability against a direct keep-alive
 * `http.request` to the same loopback server (issue 7; this was
 * packages/net/test/bench-fetch.ts).
 *
 * One server, one host (`createHost({ net: makeNet() })`), and in the same
 * rotating rounds, each timing a batch of sequential requests or calls:
 * - direct: `http.request` with a keep-alive `Agent`, body read to the end;
 * - host: `host.net.allow([peer]).fetch(url)` called by the host;
 * - compartment, process: a guest's loop of `await net.fetch(url)` (one
 *   `realm.call('loop', url, n)` per batch), `net` given as
 *   `host.net.forRealms([peer])`, ceiling `['fs.read', 'net.connect']` (its main module, the network);
 * - and per side, a no-op capability call made the same way (the host's
 *   `await noop.ping()`, a guest's loop of `await noop.ping()`): that tier's
 *   own round trip.
 *
 * - and, in a process realm, `bare.fetch(url)`: a host Far making the direct
 *   request and answering the same record, for `net-fetch-process-bare`.
 *
 * The issue's target is "≤ 1.2× plus the tier's round trip", so each row's
 * "ours" is, round by round, the fetch time per request less the no-op call
 * time per call of the same round; the ratio is that over direct. The note
 * gives the medians before the subtraction. Every response is checked.
 */
import { Agent, type IncomingMessage, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memory } from '@cathedral/powerbox';
import { type Realm, createHost } from '@cathedral/runtime';
import { Far } from '@cathedral/sdk';
import { makeNet } from '@cathedral/net';
import type { TimedProfile } from './profile.js';
import { type Row, makeRow } from './row.js';
import { rotate, summarize, timeBatch } from './stats.js';

const BODY = 'hello from bench';

const GUEST = `
export const loop = async (url, n) => { let size = 0; for (let i = 0; i < n; i += 1) size += (await net.fetch(url)).body.length; return size; };
export const bares = async (url, n) => { let size = 0; for (let i = 0; i < n; i += 1) size += (await bare.fetch(url)).body.length; return size; };
export const pings = async n => { let sum = 0; for (let i = 0; i < n; i += 1) sum += await noop.ping(); return sum; };
`;

type Side = 'host' | 'compartment' | 'process';

export const benchNetFetch = async (profile: TimedProfile): Promise<readonly Row[]> => {
  const n = profile.batch;
  // A server that keeps nothing per request, so no side pays for a growing heap.
  const server = createServer((_req, res) => res.end(BODY));
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const peer = `127.0.0.1:${port}`;
  const url = `http://${peer}/hello`;
  const agent = new Agent({ keepAlive: true });
  const host = await createHost({ console: () => {}, report: () => {}, net: makeNet() });
  const realms: Realm[] = [];
  try {
    /** A direct keep-alive GET of /hello; `onResponse` reads the body and settles with what it answers. */
    const get = <R>(onResponse: (res: IncomingMessage, resolve: (value: R) => void) => void) =>
      new Promise<R>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/hello', agent }, res => {
          res.on('error', reject);
          onResponse(res, resolve);
        });
        req.on('error', reject);
        req.end();
      });
    const direct = () =>
      get<number>((res, resolve) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
        });
        res.on('end', () => resolve(size));
      });
    const cap = host.net.allow([peer]);
    // The direct request as a bare host capability, answering what fetch answers: no check, no meter, no gate but the realm's.
    const bare = Far('BareFetch', {
      fetch: () =>
        get<unknown>((res, resolve) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode, statusText: res.statusMessage, headers: { ...res.headers }, body: new Uint8Array(Buffer.concat(chunks)) }));
        }),
    });
    // A capability that does nothing: what calling one costs from each side.
    const noop = Far('Noop', { ping: () => 1 });
    const spawn = async (tier: 'compartment' | 'process'): Promise<Realm> => {
      const realm = await host.spawn({
        tier,
        main: 'app://main.js',
        realms: { app: memory({ 'main.js': GUEST }) },
        caps: { net: host.net.forRealms([peer]), noop, bare },
        ceiling: ['fs.read', 'net.connect'],
      });
      realms.push(realm);
      return realm;
    };
    const compartment = await spawn('compartment');
    const processRealm = await spawn('process');
    const expect = (what: string, got: unknown, want: number) => {
      if (got !== want) throw new Error(`net fetch benchmark: ${what} answered ${String(got)}, not ${want}`);
    };
    /** µs per operation of a batch run inside a realm by one call. */
    const inRealm = (realm: Realm, what: string, method: string, args: readonly unknown[], want: number) => async () => {
      const start = process.hrtime.bigint();
      expect(what, await realm.call(method, ...args, n), want);
      return Number(process.hrtime.bigint() - start) / 1e3 / n;
    };
    const samples = await rotate(profile, {
      direct: () =>
        timeBatch(async () => {
          expect('direct http.request', await direct(), BODY.length);
        }, n),
      host: () =>
        timeBatch(async () => {
          expect('cap.fetch', (await cap.fetch(url)).body.length, BODY.length);
        }, n),
      hostTrip: () =>
        timeBatch(async () => {
          expect('noop.ping', await noop.ping(), 1);
        }, n),
      compartment: inRealm(compartment, 'the compartment guest', 'loop', [url], n * BODY.length),
      compartmentTrip: inRealm(compartment, 'the compartment guest', 'pings', [], n),
      process: inRealm(processRealm, 'the process guest', 'loop', [url], n * BODY.length),
      processTrip: inRealm(processRealm, 'the process guest', 'pings', [], n),
      processBare: inRealm(processRealm, 'the process guest', 'bares', [url], n * BODY.length),
    });
    const directFigure = summarize(samples.direct);
    const row = (side: Side): Row => {
      const fetches = side === 'host' ? samples.host : side === 'compartment' ? samples.compartment : samples.process;
      const trips = side === 'host' ? samples.hostTrip : side === 'compartment' ? samples.compartmentTrip : samples.processTrip;
      const less = fetches.map((us, i) => us - (trips[i] ?? Number.NaN));
      const who =
        side === 'host'
          ? "the host's host.net.allow([peer]).fetch(url)"
          : `a ${side}-tier guest's loop of await net.fetch(url), net = host.net.forRealms([peer]), ceiling ['fs.read', 'net.connect'], one realm.call per ${n}`;
      const trip = side === 'host' ? "the host's await noop.ping() on a local Far" : `the same guest's loop of await noop.ping() on a host Far in caps`;
      return makeRow({
        id: `net-fetch-${side}`,
        title: `net: fetch of a loopback server, ${side === 'host' ? 'called by the host' : `from a ${side}-tier realm`}, less the ${side === 'host' ? 'no-op call' : "tier's round trip"}`,
        unit: 'µs',
        ours: summarize(less),
        peer: 'baseline: direct keep-alive http.request to the same server',
        baseline: directFigure,
        target: { kind: 'ratio', max: 1.2 },
        note:
          `ours = per round, µs per request of ${who} minus µs per call of ${trip} in the same round ` +
          `(medians: fetch ${summarize(fetches).median.toFixed(1)} µs, no-op call ${summarize(trips).median.toFixed(1)} µs); ` +
          `ratio = that / direct http.request with a keep-alive Agent (body read to the end); target: ≤ 1.2× plus the round trip`,
      });
    };
    const bareRow = makeRow({
      id: 'net-fetch-process-bare',
      title: 'net: fetch from a process-tier realm, vs the same realm calling a bare host capability that makes the direct request',
      unit: 'µs',
      ours: summarize(samples.process),
      peer: 'baseline: bare.fetch(url), a host Far doing the direct keep-alive http.request, answering the same record',
      baseline: summarize(samples.processBare),
      target: { kind: 'context' },
      note:
        'both sides pay the same round trip under the same conditions (the host busy for a request meanwhile, the guest idle); ' +
        'the ratio is what the net capability adds (checks, meter, the gate) at the process tier',
    });
    return [row('host'), row('compartment'), row('process'), bareRow];
  } finally {
    for (const realm of realms) await realm.terminate();
    await host.close();
    host.net.end();
    agent.destroy();
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  }
};

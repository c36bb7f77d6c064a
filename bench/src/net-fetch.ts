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
 *   request and answering the same record, for `net-fetch-process-bare`;
 * - and the floor of the process tier (./raw-tier.ts): a child process with
 *   no Cathedral in it (raw IPC, the same `advanced` serialization, no
 *   CapTP, no checks) asking its parent for the same request and record, and
 *   the same child's raw ping-pong; for `net-fetch-process-floor` (the floor
 *   under the same subtraction as `net-fetch-process`) and
 *   `net-fetch-process-vs-floor` (our fetch against the floor's, whole).
 *
 * The target is "≤ 1.2× plus the tier's round trip". The host's row
 * is its fetch less a no-op call, over direct. A realm's row is, round by
 * round, its fetch less the tier's round trip *around a request*: what the
 * same guest pays for the same request made by a bare host capability
 * (`bare.fetch`, no check, no meter, answering the same record), less that
 * request made directly; over direct. So the row is what the net capability
 * adds, and the round trip is measured under the conditions a request
 * makes: the host busy with it meanwhile, the guest idle. A no-op call's
 * round trip is cheaper than that (its host answers at once, before the
 * idle guest sleeps deeply): the `-less-noop` rows subtract it instead, and
 * `net-fetch-process-floor` shows what that reading gives with nothing of
 * ours in it (a raw child asking its parent for the request). The notes
 * give the medians before subtraction. Every response is checked.
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
import { type RawGuest, startRawGuest } from './raw-tier.js';

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
  let raw: RawGuest | undefined;
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
    const bareGet = () =>
      get<unknown>((res, resolve) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, statusText: res.statusMessage, headers: { ...res.headers }, body: new Uint8Array(Buffer.concat(chunks)) }));
      });
    const bare = Far('BareFetch', { fetch: bareGet });
    raw = await startRawGuest('process');
    const floor = raw;
    /** µs per ask of a batch the raw child makes. */
    const rawBatch = (what: string, start: (n: number) => Promise<unknown>) => async () => {
      const begin = process.hrtime.bigint();
      expect(what, await start(n), n);
      return Number(process.hrtime.bigint() - begin) / 1e3 / n;
    };
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
      compartmentBare: inRealm(compartment, 'the compartment guest', 'bares', [url], n * BODY.length),
      process: inRealm(processRealm, 'the process guest', 'loop', [url], n * BODY.length),
      processTrip: inRealm(processRealm, 'the process guest', 'pings', [], n),
      processBare: inRealm(processRealm, 'the process guest', 'bares', [url], n * BODY.length),
      floor: rawBatch('the raw child', k => floor.askOut(k, bareGet)),
      floorTrip: rawBatch('the raw child', k => floor.echoOut(k)),
    });
    const directFigure = summarize(samples.direct);
    const perRound = (a: readonly number[], minus: (i: number) => number) => a.map((us, i) => us - minus(i));
    const fetchOf = { host: samples.host, compartment: samples.compartment, process: samples.process };
    const noopOf = { host: samples.hostTrip, compartment: samples.compartmentTrip, process: samples.processTrip };
    const bareOf = { compartment: samples.compartmentBare, process: samples.processBare };
    const who = (side: Side) =>
      side === 'host'
        ? "the host's host.net.allow([peer]).fetch(url)"
        : `a ${side}-tier guest's loop of await net.fetch(url), net = host.net.forRealms([peer]), ceiling ['fs.read', 'net.connect'], one realm.call per ${n}`;
    const noopTrip = (side: Side) => (side === 'host' ? "the host's await noop.ping() on a local Far" : `the same guest's loop of await noop.ping() on a host Far in caps`);
    /** The target's row: the fetch less the tier's round trip around a request, over direct. */
    const row = (side: Side): Row => {
      const fetches = fetchOf[side];
      if (side === 'host') {
        return makeRow({
          id: 'net-fetch-host',
          title: 'net: fetch of a loopback server, called by the host, less the no-op call',
          unit: 'µs',
          ours: summarize(perRound(fetches, i => noopOf.host[i] ?? Number.NaN)),
          peer: 'baseline: direct keep-alive http.request to the same server',
          baseline: directFigure,
          target: { kind: 'ratio', max: 1.2 },
          note:
            `ours = per round, µs per request of ${who(side)} minus µs per call of ${noopTrip(side)} in the same round ` +
            `(medians: fetch ${summarize(fetches).median.toFixed(1)} µs, no-op call ${summarize(noopOf.host).median.toFixed(1)} µs); ratio = that / direct http.request with a keep-alive Agent (body read to the end)`,
        });
      }
      const bares = bareOf[side];
      // The tier's round trip around a request: what the same guest pays for the same request made by a bare host capability, less that request made directly.
      const trips = perRound(bares, i => samples.direct[i] ?? Number.NaN);
      return makeRow({
        id: `net-fetch-${side}`,
        title: `net: fetch of a loopback server, from a ${side}-tier realm, less the tier's round trip around a request`,
        unit: 'µs',
        ours: summarize(perRound(fetches, i => trips[i] ?? Number.NaN)),
        peer: 'baseline: direct keep-alive http.request to the same server',
        baseline: directFigure,
        target: { kind: 'ratio', max: 1.2 },
        note:
          `ours = per round, µs per request of ${who(side)} minus the tier's round trip of the same round: µs per call of the same guest's loop of await bare.fetch(url), ` +
          `a host Far making the direct request and answering the same record, less µs per direct request ` +
          `(medians: fetch ${summarize(fetches).median.toFixed(1)} µs, bare ${summarize(bares).median.toFixed(1)} µs, round trip ${summarize(trips).median.toFixed(1)} µs); ` +
          'ratio = that / direct http.request; target: ≤ 1.2× plus the round trip',
      });
    };
    /** The same fetch less a no-op call's round trip instead: a round trip whose host side is idle. */
    const lessNoop = (side: 'compartment' | 'process'): Row =>
      makeRow({
        id: `net-fetch-${side}-less-noop`,
        title: `net: fetch from a ${side}-tier realm, less a no-op call's round trip`,
        unit: 'µs',
        ours: summarize(perRound(fetchOf[side], i => noopOf[side][i] ?? Number.NaN)),
        peer: 'baseline: direct keep-alive http.request to the same server',
        baseline: directFigure,
        target: { kind: 'context' },
        note:
          `ours = per round, µs per request of ${who(side)} minus µs per call of ${noopTrip(side)} (median ${summarize(noopOf[side]).median.toFixed(1)} µs): ` +
          "a round trip whose host answers at once, cheaper than one whose host is busy with a request meanwhile (the idle guest's wake-up); compare net-fetch-process-floor",
      });
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
    const floorLess = samples.floor.map((us, i) => us - (samples.floorTrip[i] ?? Number.NaN));
    const floorRow = makeRow({
      id: 'net-fetch-process-floor',
      title: "net: the process tier's floor: a raw child asking its parent for the request, less raw ping-pong",
      unit: 'µs',
      ours: summarize(floorLess),
      peer: 'baseline: direct keep-alive http.request to the same server',
      baseline: directFigure,
      target: { kind: 'context' },
      note:
        `per round, µs per ask of a child process with no Cathedral in it (raw IPC, advanced serialization; its parent makes the direct request and answers the same record) ` +
        `minus µs per raw ping-pong of the same child the same way (medians: ask ${summarize(samples.floor).median.toFixed(1)} µs, ping-pong ${summarize(samples.floorTrip).median.toFixed(1)} µs): ` +
        'what net-fetch-process-less-noop would read with nothing of ours in it',
    });
    const vsFloorRow = makeRow({
      id: 'net-fetch-process-vs-floor',
      title: "net: fetch from a process-tier realm, vs the tier's floor (a raw child asking its parent for the request)",
      unit: 'µs',
      ours: summarize(samples.process),
      peer: 'baseline: a raw child process asking its parent over raw IPC, the parent making the direct request',
      baseline: summarize(samples.floor),
      target: { kind: 'context' },
      note: 'both whole (no subtraction): everything ours costs at the process tier, the round trip included',
    });
    return [row('host'), row('compartment'), row('process'), lessNoop('compartment'), lessNoop('process'), bareRow, floorRow, vsFloorRow];
  } finally {
    await raw?.stop();
    for (const realm of realms) await realm.terminate();
    await host.close();
    host.net.end();
    agent.destroy();
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  }
};

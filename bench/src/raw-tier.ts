/**
 * The host's side of the baseline guest (./raw-guest.ts): start it in a
 * worker thread or a child process, then talk to it either with raw
 * ping-pong (one structured-clone message each way, no CapTP) or with stock
 * CapTP (`E(bootstrap).ping(x)`), over the very same channel.
 *
 * The child process is forked with `serialization: 'advanced'`, as the
 * process tier forks its guests, so both sides pay the same IPC encoding,
 * and with an empty environment, as the process tier does: an inherited
 * variable can cost a fresh node dearly at start (`NODE_EXTRA_CA_CERTS`,
 * set on this machine, makes it parse a certificate bundle: ~80 ms).
 * What it deliberately does not do: wrap, check or copy anything.
 */
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { E, Far, makeCapTP } from '@endo/captp';
import type { End } from './affinity.js';

export type RemoteTier = 'worker' | 'process';

export interface RawGuest {
  /** Its thread (worker) or process, as it reported when ready. */
  readonly end: End | undefined;
  /** Raw ping-pong: resolves when the echo of message `n` is back. */
  echo(n: number): Promise<unknown>;
  /** Stock CapTP: `E(bootstrap).ping(x)`. */
  ping(x: number): Promise<unknown>;
  /** Stock CapTP the other way: the guest makes n sequential `E(hostFar).ping(i)`; resolves with how many answered right. */
  callOut(n: number): Promise<unknown>;
  /** Raw ping-pong the other way: the guest sends n sequential messages, each echoed by the host; resolves with how many came back right. */
  echoOut(n: number): Promise<unknown>;
  /** The same with the host's answer: the guest sends n sequential asks, each answered with what `answer()` settles with; resolves with how many answers were records. */
  askOut(n: number, answer: () => Promise<unknown>): Promise<unknown>;
  /** Ends the thread or process and resolves once it has gone. */
  stop(): Promise<void>;
}

const guestUrl = new URL('./raw-guest.js', import.meta.url);

interface Transport {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  stop(): Promise<void>;
}

const startTransport = (tier: RemoteTier): Transport => {
  switch (tier) {
    case 'worker': {
      const worker = new Worker(guestUrl);
      return {
        send: m => worker.postMessage(m),
        onMessage: l => worker.on('message', l),
        stop: async () => {
          await worker.terminate();
        },
      };
    }
    case 'process': {
      const child = fork(guestUrl, [], { serialization: 'advanced', env: {}, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
      return {
        send: m => {
          if (child.connected) child.send(m as never);
        },
        onMessage: l => child.on('message', l),
        stop: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      };
    }
    default:
      throw new TypeError(`raw guest: unknown tier ${JSON.stringify(tier as unknown)}`);
  }
};

/** Starts a baseline guest and resolves once it is locked down and listening. */
export const startRawGuest = async (tier: RemoteTier): Promise<RawGuest> => {
  const transport = startTransport(tier);
  const echoes = new Map<number, () => void>();
  let outDone: ((answered: number) => void) | undefined;
  let asker: () => Promise<unknown> = async () => null;
  let onReady: (end: End | undefined) => void = () => {};
  const ready = new Promise<End | undefined>(resolve => {
    onReady = resolve;
  });
  const captp = makeCapTP('raw-host', message => transport.send(message));
  transport.onMessage(message => {
    const m = message as { echo?: number; back?: number; ask?: number; echoOutDone?: number; ready?: boolean; tid?: number; pid?: number };
    if (m.ready === true) {
      if (tier === 'process' && typeof m.pid === 'number') onReady({ kind: 'process', pid: m.pid });
      else if (tier === 'worker' && typeof m.tid === 'number') onReady({ kind: 'thread', pid: process.pid, tid: m.tid });
      else onReady(undefined);
    }
    else if (typeof m.back === 'number') transport.send({ back: m.back });
    else if (typeof m.ask === 'number') void asker().then(answer => transport.send({ answer }));
    else if (typeof m.echoOutDone === 'number') {
      outDone?.(m.echoOutDone);
      outDone = undefined;
    } else if (typeof m.echo === 'number') {
      echoes.get(m.echo)?.();
      echoes.delete(m.echo);
    } else captp.dispatch(message);
  });
  const end = await ready;
  const bootstrap = captp.getBootstrap();
  const hostFar = Far('RawHost', { ping: (x: number) => x });
  return {
    end,
    echo: n =>
      new Promise<void>(resolve => {
        echoes.set(n, resolve);
        transport.send({ echo: n });
      }),
    ping: x => E(bootstrap).ping!(x),
    callOut: n => E(bootstrap).callOut!(hostFar, n),
    echoOut: n =>
      new Promise<number>(resolve => {
        outDone = resolve;
        transport.send({ echoOut: n });
      }),
    askOut: (n, answer) =>
      new Promise<number>(resolve => {
        asker = answer;
        outDone = resolve;
        transport.send({ askOut: n });
      }),
    stop: async () => {
      captp.abort();
      await transport.stop();
    },
  };
};

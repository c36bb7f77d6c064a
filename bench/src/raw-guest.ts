/**
 * The baseline guest: what a worker thread or child process does with stock
 * Endo and nothing of Cathedral. It imports SES and the eventual-send shim,
 * locks down (with Cathedral's lockdown options, so both sides pay the same
 * lockdown), sets up a stock `makeCapTP` on its channel to the parent
 * (`parentPort`, or the IPC channel when forked) whose bootstrap answers one
 * method, `ping(x) → x`, and says it is ready. For the guest → host rows,
 * `callOut(target, n)` makes n sequential `E(target).ping(i)` calls back.
 *
 * It also answers raw ping-pong on the same channel, with no CapTP: a
 * message `{ echo: n }` is sent back as it is; and makes it the other way:
 * on `{ echoOut: n }` it sends n sequential `{ back: i }`, each once the
 * host echoed the one before, then `{ echoOutDone: answered }`. CapTP's own messages all have
 * a `type` and never an `echo`, so the two never mix.
 *
 * What it deliberately does not do: load modules into a compartment, or wrap
 * anything. It is the floor a CapTP-based tier starts from.
 *
 * Its ready message carries its thread id and pid, so the bench can pin it.
 */
import 'ses';
import '@endo/eventual-send/shim.js';
import { readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

interface Channel {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

const channel: Channel = (() => {
  if (parentPort !== null) {
    const port = parentPort;
    return { send: m => port.postMessage(m), onMessage: l => port.on('message', l) };
  }
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('raw-guest: started with neither a parent port nor an IPC channel');
  return { send: m => send(m as never), onMessage: l => process.on('message', l) };
})();

const tid = (() => {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
})();

lockdown({
  errorTaming: 'safe',
  overrideTaming: 'moderate',
  consoleTaming: 'safe',
  stackFiltering: 'concise',
  domainTaming: 'safe',
  evalTaming: 'safe-eval',
});

// Endo's modules harden as they load, so they are imported after lockdown.
const { makeCapTP, Far, E } = await import('@endo/captp');

const bootstrap = Far('RawGuest', {
  ping: (x: unknown) => x,
  /** Guest → host: n sequential `E(target).ping(i)`, as a guest calling a host capability. */
  callOut: async (target: unknown, n: number) => {
    let answered = 0;
    for (let i = 0; i < n; i += 1) if ((await E(target as { ping: (x: number) => number }).ping!(i)) === i) answered += 1;
    return answered;
  },
});
const { dispatch } = makeCapTP('raw-guest', message => channel.send(message), bootstrap);

// Raw ping-pong the other way: on `{ echoOut: n }`, n sequential `{ back: i }`, each sent once the host echoed the last; then `{ echoOutDone: answered }`.
let backs: ((i: unknown) => void) | undefined;
const echoOut = async (n: number) => {
  let answered = 0;
  for (let i = 0; i < n; i += 1) {
    const back = await new Promise(resolve => {
      backs = resolve;
      channel.send({ back: i });
    });
    if (back === i) answered += 1;
  }
  channel.send({ echoOutDone: answered });
};

// The same the other way with an answer of the host's: on `{ askOut: n }`, n sequential `{ ask: i }`, each once the host answered `{ answer }` to the one before.
let answers: ((value: unknown) => void) | undefined;
const askOut = async (n: number) => {
  let answered = 0;
  for (let i = 0; i < n; i += 1) {
    const answer = await new Promise(resolve => {
      answers = resolve;
      channel.send({ ask: i });
    });
    if (typeof answer === 'object' && answer !== null) answered += 1;
  }
  channel.send({ echoOutDone: answered });
};

channel.onMessage(message => {
  if (typeof message === 'object' && message !== null && 'answer' in message) {
    answers?.((message as { answer: unknown }).answer);
    return;
  }
  if (typeof message === 'object' && message !== null && 'askOut' in message) {
    void askOut(Number((message as { askOut: unknown }).askOut));
    return;
  }
  if (typeof message === 'object' && message !== null && 'echo' in message) channel.send(message);
  else if (typeof message === 'object' && message !== null && 'back' in message) backs?.((message as { back: unknown }).back);
  else if (typeof message === 'object' && message !== null && 'echoOut' in message) void echoOut(Number((message as { echoOut: unknown }).echoOut));
  else dispatch(message);
});
channel.send({ ready: true, tid, pid: process.pid });

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

// Raw calls the other way: n sequential messages `ask(i)`, each sent once the
// host answered the one before (`{ back }` or `{ answer }`); then
// `{ echoOutDone: answered }`, how many answers `ok` accepted. On `{ echoOut: n }`
// the messages are `{ back: i }`, echoed; on `{ askOut: n }`, `{ ask: i }`, answered with a record.
let answerOf: ((value: unknown) => void) | undefined;
const sendOut = async (n: number, ask: (i: number) => object, ok: (answer: unknown, i: number) => boolean) => {
  let answered = 0;
  for (let i = 0; i < n; i += 1) {
    const answer = await new Promise(resolve => {
      answerOf = resolve;
      channel.send(ask(i));
    });
    if (ok(answer, i)) answered += 1;
  }
  channel.send({ echoOutDone: answered });
};

channel.onMessage(message => {
  const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
  if ('echo' in m) channel.send(message);
  else if ('back' in m) answerOf?.(m['back']);
  else if ('answer' in m) answerOf?.(m['answer']);
  else if ('echoOut' in m) void sendOut(Number(m['echoOut']), i => ({ back: i }), (answer, i) => answer === i);
  else if ('askOut' in m) void sendOut(Number(m['askOut']), i => ({ ask: i }), answer => typeof answer === 'object' && answer !== null);
  else dispatch(message);
});
channel.send({ ready: true, tid, pid: process.pid });

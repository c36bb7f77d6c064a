/**
 * A message channel to a guest thread or process: the only transport CapTP
 * and the supervisor use. Messages are structured-cloneable objects; the
 * process tier uses Node's IPC channel with `serialization: 'advanced'`.
 *
 * Control messages (`{ cathedral: 'ready', ... }`) share the channel with
 * CapTP's own (`{ type: 'CTP_...' }`) and are told apart by their key.
 */
import type { ChildProcess } from 'node:child_process';
import type { MessagePort, Worker } from 'node:worker_threads';

export interface Channel {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  close(): void;
}

export interface Control {
  readonly cathedral: string;
  readonly [key: string]: unknown;
}

export const isControl = (message: unknown): message is Control =>
  typeof message === 'object' && message !== null && typeof (message as { cathedral?: unknown }).cathedral === 'string';

/** The host's end of a worker. */
export const workerChannel = (worker: Worker): Channel => ({
  send: message => worker.postMessage(message),
  onMessage: listener => {
    worker.on('message', listener);
  },
  close: () => worker.removeAllListeners('message'),
});

/** The guest's end inside a worker. */
export const portChannel = (port: MessagePort): Channel => ({
  send: message => port.postMessage(message),
  onMessage: listener => {
    port.on('message', listener);
  },
  close: () => port.close(),
});

/** The host's end of a child process. */
export const childChannel = (child: ChildProcess): Channel => ({
  send: message => {
    if (child.connected) child.send(message as never);
  },
  onMessage: listener => {
    child.on('message', listener);
  },
  close: () => {
    if (child.connected) child.disconnect();
  },
});

/** The guest's end inside a child process: Node's `process.send`, captured before lockdown. */
export const processChannel = (proc: NodeJS.Process): Channel => {
  const send = proc.send?.bind(proc);
  if (send === undefined) throw new Error('cathedral guest: started without an IPC channel');
  return {
    send: message => {
      send(message as never);
    },
    onMessage: listener => {
      proc.on('message', listener);
    },
    close: () => proc.disconnect?.(),
  };
};

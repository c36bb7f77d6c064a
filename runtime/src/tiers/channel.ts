/**
 * A message channel to a guest thread or process: the only transport CapTP
 * and the supervisor use. Messages are structured-cloneable objects; the
 * process tier uses Node's IPC channel with `serialization: 'advanced'`.
 *
 * Control messages (`{ cathedral: 'ready', ... }`) share the channel with
 * CapTP's own (`{ type: 'CTP_...' }`) and are told apart by their key; fast
 * calls (./fast-calls.ts) are arrays.
 *
 * Both ends send through `batching`: the first message of a turn leaves at
 * once (a lone call or answer waits for nothing), and what else the turn
 * sends leaves as one message (`{ cathedral: 'batch', messages }`) at the
 * end of its microtasks, so a hundred calls in flight cost two structured
 * clones and wake-ups of the other side instead of a hundred. Order is kept.
 */
import type { ChildProcess } from 'node:child_process';
import type { MessagePort, Worker } from 'node:worker_threads';

export interface Channel {
  send(message: unknown): void;
  /**
   * Queues `message` to leave with the next message sent, just before it and
   * in the same write; alone once the event loop turns if none follows.
   * Only a batching channel has it.
   */
  ahead?(message: unknown): void;
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

/**
 * A channel whose first send of a turn leaves at once and whose later sends
 * within the turn leave together, in order, once the turn's microtasks have
 * run; the receiving side unpacks them (one level: a batch inside a batch
 * is not unpacked, and is ignored as not a message). `ahead(message)` holds
 * a message back until the next send, so both leave in one write: a plain
 * answer and CapTP's answer naming it (./boundary.ts) wake the receiver once,
 * not twice, and a wake-up across CPUs is what a round trip costs most here.
 */
export const batching = (channel: Channel): Channel => {
  let queue: unknown[] = [];
  // A promise reaction, not `queueMicrotask`: Node wraps each of those in an
  // async resource (an id, a context pushed and popped), a cost per message.
  const turnEnd = Promise.resolve();
  let closed = false;
  const trySend = (message: unknown): void => {
    try {
      channel.send(message);
    } catch {
      // dropped: its sender's question is answered by the end of the realm
    }
  };
  const post = (messages: unknown[]): void => {
    if (messages.length === 1) {
      trySend(messages[0]);
      return;
    }
    try {
      channel.send({ cathedral: 'batch', messages });
    } catch {
      // One message could not be cloned: the others still go, one by one.
      for (const message of messages) trySend(message);
    }
  };
  const flush = () => {
    if (closed || queue.length === 0) return;
    if (queue.length === 1) {
      // The commonest turn (one call or answer): the queue is kept for the next.
      const [message] = queue;
      queue.length = 0;
      trySend(message);
      return;
    }
    const messages = queue;
    queue = [];
    post(messages);
  };
  // Messages that wait for the next one sent (`ahead`): two messages in one write wake the receiver once.
  let waiting: unknown[] = [];
  let waitingScheduled = false;
  const flushWaiting = () => {
    waitingScheduled = false;
    if (closed || waiting.length === 0) return;
    const messages = waiting;
    waiting = [];
    post(messages);
  };
  let busy = false;
  const endTurn = () => {
    busy = false;
    flush();
  };
  return {
    send: message => {
      if (closed) return;
      if (!busy) {
        // The first message of a turn leaves at once; what else the turn sends follows together at its end.
        busy = true;
        void turnEnd.then(endTurn);
        if (waiting.length === 0) {
          trySend(message);
        } else {
          const messages = waiting;
          waiting = [];
          messages.push(message);
          post(messages);
        }
        return;
      }
      if (waiting.length > 0) {
        queue.push(...waiting);
        waiting = [];
      }
      queue.push(message);
    },
    ahead: message => {
      if (closed) return;
      waiting.push(message);
      if (!waitingScheduled) {
        waitingScheduled = true;
        setImmediate(flushWaiting);
      }
    },
    onMessage: listener => {
      channel.onMessage(message => {
        if (!isControl(message) || message.cathedral !== 'batch') {
          listener(message);
          return;
        }
        const { messages } = message as { messages?: unknown };
        if (!Array.isArray(messages)) return;
        for (const each of messages) if (!isControl(each) || each.cathedral !== 'batch') listener(each);
      });
    },
    close: () => {
      closed = true;
      queue = [];
      waiting = [];
      channel.close();
    },
  };
};

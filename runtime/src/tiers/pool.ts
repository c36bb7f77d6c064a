/**
 * A warm pool of guest processes: started, confined, locked down and warmed
 * up before any realm asks for one, so that a process-tier spawn pays a
 * CapTP bootstrap instead of fork + Node start + lockdown.
 *
 * A pooled child serves whichever realm takes it: its confinement depends
 * only on its *kind* (the launcher plan and Node flags it was started with,
 * which carry no realm-specific authority — the realm's roots and caps
 * arrive later over CapTP), so the pool keeps one queue per kind and a spawn
 * whose kind has no queue starts cold. Children wait unreferenced: they never
 * keep the host's event loop alive, they end when the host's IPC channel
 * closes (and by the launcher's parent-death signal when the host is
 * killed), and the pool stops those idle longer than `idleMs`.
 *
 * A taken child is replaced once the spawn that took it is done starting:
 * its supervisor calls `fill` after the realm's first call (or its end), and
 * the pool refills on its own `REFILL_MS` after the take at the latest.
 * Starting a child blocks the host's thread for some milliseconds (the
 * fork, the cgroup) and the child's start-up takes a CPU for hundreds: on
 * the spawn's own path, that was most of a warm spawn's time.
 */

/** The latest a taken child is replaced, after the take. */
export const REFILL_MS = 50;

export interface PoolOptions {
  /** Children kept ready per kind (0: no pool). */
  readonly size: number;
  /** A ready child unused this long is stopped (and not replaced until the next take). */
  readonly idleMs: number;
}

/** What the pool needs of a started child. */
export interface Poolable {
  /** Settles once the child said it is ready; rejects if it ended first. */
  readonly ready: Promise<unknown>;
  readonly stop: () => void;
  /** True while the child is alive. */
  readonly alive: () => boolean;
}

export interface Pool<S extends Poolable> {
  /** A ready child of this kind, or undefined (the caller starts one cold); the pool refills at the latest `REFILL_MS` later. */
  take(kind: string, start: () => S): S | undefined;
  /** Starts children of this kind until `size` wait (or are starting). */
  fill(kind: string, start: () => S): void;
  /** Settles once a child of this kind is ready (true), or none is starting any more (false). */
  whenReady(kind: string): Promise<boolean>;
  /** Stops every waiting child; later takes return undefined. */
  close(): void;
}

interface Waiting<S> {
  readonly child: S;
  ready: boolean;
  timer: NodeJS.Timeout | undefined;
}

export const makePool = <S extends Poolable>(options: PoolOptions): Pool<S> => {
  const queues = new Map<string, Array<Waiting<S>>>();
  let closed = false;

  const drop = (kind: string, entry: Waiting<S>) => {
    const queue = queues.get(kind);
    const at = queue?.indexOf(entry) ?? -1;
    if (queue !== undefined && at >= 0) queue.splice(at, 1);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
  };

  const fill = (kind: string, start: () => S) => {
    if (closed || options.size <= 0) return;
    const queue = queues.get(kind) ?? [];
    queues.set(kind, queue);
    while (queue.length < options.size) {
      const entry: Waiting<S> = { child: start(), ready: false, timer: undefined };
      queue.push(entry);
      entry.child.ready.then(
        () => {
          entry.ready = true;
          entry.timer = setTimeout(() => {
            drop(kind, entry);
            entry.child.stop();
          }, options.idleMs);
          entry.timer.unref();
        },
        () => drop(kind, entry),
      );
    }
  };

  return {
    take: (kind, start) => {
      const queue = queues.get(kind) ?? [];
      const at = queue.findIndex(entry => entry.ready && entry.child.alive());
      const entry = at < 0 ? undefined : queue[at];
      if (entry !== undefined) drop(kind, entry);
      // Not on the spawn's path: its supervisor calls `fill` once the realm answered its first call.
      setTimeout(() => fill(kind, start), REFILL_MS).unref();
      return entry?.child;
    },
    fill,
    whenReady: async kind => {
      for (;;) {
        const queue = queues.get(kind) ?? [];
        if (queue.some(entry => entry.ready && entry.child.alive())) return true;
        const starting = queue.filter(entry => !entry.ready);
        if (starting.length === 0) return false;
        await Promise.race(starting.map(entry => entry.child.ready.then(() => undefined, () => undefined)));
      }
    },
    close: () => {
      closed = true;
      for (const [kind, queue] of queues) {
        for (const entry of [...queue]) {
          drop(kind, entry);
          entry.child.stop();
        }
      }
      queues.clear();
    },
  };
};

/**
 * Order statistics over samples, and interleaved rounds of two contenders.
 *
 * On a noisy machine (a 2-vCPU VM, a laptop on battery) absolute times drift
 * by tens of percent between runs, so every benchmark here runs ours and its
 * baseline in alternating rounds of the same run, and the order inside a
 * round flips every round (ABBA) so neither side always goes first after a
 * GC or a context switch. Medians, not means: one preempted round should not
 * move a figure.
 *
 * Deliberately no statistical tests: the figures are read by people
 * comparing against a target, and a median with its p90 says enough.
 */

/** A summary of one contender's samples. */
export interface Figure {
  readonly median: number;
  readonly p90: number;
  /** The slow tail of a rate (ops/s), where a high p90 would be the fast side. */
  readonly p10: number;
  readonly min: number;
  readonly samples: number;
}

/** The `q`-quantile (0..1) of sorted samples, by linear interpolation. */
const quantile = (sorted: readonly number[], q: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (at - lo);
};

export const summarize = (samples: readonly number[]): Figure => {
  const sorted = [...samples].sort((a, b) => a - b);
  return Object.freeze({
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p10: quantile(sorted, 0.1),
    min: sorted[0] ?? Number.NaN,
    samples: sorted.length,
  });
};

/** One side of a comparison: runs once and returns its figure for that round. */
export type Contender<T = number> = () => Promise<T>;

export interface Interleaved<T = number> {
  readonly ours: readonly T[];
  readonly baseline: readonly T[];
}

/**
 * Runs `warmup` discarded rounds, then `rounds` measured ones; each round
 * runs both contenders, baseline first on even rounds and ours first on odd.
 */
export const interleave = async <T = number>(
  { rounds, warmup }: { readonly rounds: number; readonly warmup: number },
  ours: Contender<T>,
  baseline: Contender<T>,
): Promise<Interleaved<T>> => {
  const a: T[] = [];
  const b: T[] = [];
  for (let round = 0; round < warmup + rounds; round += 1) {
    let x: T;
    let y: T;
    if (round % 2 === 0) {
      x = await baseline();
      y = await ours();
    } else {
      y = await ours();
      x = await baseline();
    }
    if (round >= warmup) {
      a.push(y);
      b.push(x);
    }
  }
  return { ours: a, baseline: b };
};

/**
 * Like `interleave`, for any number of contenders measured in the same
 * rounds: each round runs every contender once, starting one further along
 * the list each round and reversing the order every full cycle, so no
 * contender always follows the same other one.
 */
export const rotate = async <K extends string, T = number>(
  { rounds, warmup }: { readonly rounds: number; readonly warmup: number },
  contenders: Readonly<Record<K, Contender<T>>>,
  afterRound: () => void | Promise<void> = () => {},
): Promise<Readonly<Record<K, readonly T[]>>> => {
  const keys = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(keys.map(key => [key, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < warmup + rounds; round += 1) {
    const start = round % keys.length;
    let order = [...keys.slice(start), ...keys.slice(0, start)];
    if (Math.floor(round / keys.length) % 2 === 1) order = order.reverse();
    for (const key of order) {
      const value = await contenders[key]();
      if (round >= warmup) samples[key].push(value);
    }
    if (round >= warmup) await afterRound();
  }
  return samples;
};

/**
 * Microseconds per operation over `n` operations kept `inFlight` at a time:
 * a sliding window (each answer starts the next call), not waves that drain.
 */
export const timeInFlight = async (op: (i: number) => Promise<unknown>, n: number, inFlight: number): Promise<number> => {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next;
      next += 1;
      await op(i);
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, lane));
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
};

/** Microseconds per call of `op`, over `n` calls run one after another. */
export const timeBatch = async (op: (i: number) => unknown, n: number): Promise<number> => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) await op(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
};

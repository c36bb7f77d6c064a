/**
 * How the escape runner (./_escape-runner.ts) tells what a call did and
 * whether it was an escape: outcomes (with a hang as one of them), the
 * verdict judge, the judge of answered data, and a capture of what reaches
 * the host's own stdout and stderr.
 *
 * It judges values the host received; it never calls a guest function or
 * runs a getter (an accessor in answered data is itself a finding).
 */
import { getInterfaceOf } from '@endo/pass-style';
import { isCathedralError } from '@cathedral/sdk';

/** What one exported call did; `hung` when it did not settle within `HANG_MS`. */
export type Outcome =
  | { readonly kind: 'returned'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'hung' };

/** How long an attack may take before the runner calls it hung: far above any scenario's own time, even on a loaded machine. */
export const HANG_MS = 30_000;

const MAX_VERDICT = 400;
export const shorten = (text: string): string => (text.length > MAX_VERDICT ? `${text.slice(0, MAX_VERDICT)}… (${text.length} characters)` : text);

export const messageOf = (error: unknown): string => {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return '[unprintable]';
  }
};

/** Why an outcome counts as a successful attack, or undefined when the attack failed. */
export const judge = (outcome: Outcome, markers: readonly RegExp[]): string | undefined => {
  if (outcome.kind === 'hung') return `the host's call never settled (waited ${HANG_MS / 1000} s)`;
  if (outcome.kind === 'threw') {
    if (!isCathedralError(outcome.error)) return `the host received a raw thrown value: ${messageOf(outcome.error)}`;
    const text = messageOf(outcome.error);
    if (text.includes('FORGED-BY-GUEST') && !isCathedralError(outcome.error, 'GUEST')) {
      return `the host took an error the guest made for its own refusal: ${text}`;
    }
    const marker = markers.find(m => m.test(text));
    return marker === undefined ? undefined : `the error the host received names a host location (${String(marker)}): ${text}`;
  }
  const { value } = outcome;
  if (typeof value !== 'string') return `the attack returned a ${typeof value}, not a verdict string`;
  const marker = markers.find(m => m.test(value));
  if (marker !== undefined) return `the verdict names a host location (${String(marker)}): ${value}`;
  return value.startsWith('held: ') ? undefined : value;
};

export const outcomeOf = async (run: () => Promise<unknown>): Promise<Outcome> => {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome>(r => {
    timer = setTimeout(() => r({ kind: 'hung' }), HANG_MS);
  });
  const settled = (async (): Promise<Outcome> => {
    try {
      return { kind: 'returned', value: await run() };
    } catch (error) {
      return { kind: 'threw', error };
    }
  })();
  try {
    return await Promise.race([settled, hung]);
  } finally {
    clearTimeout(timer);
  }
};

export const describe = (outcome: Outcome, data: boolean): string => {
  switch (outcome.kind) {
    case 'returned':
      return data ? `answered a ${typeof outcome.value}` : shorten(String(outcome.value));
    case 'threw':
      return `threw ${messageOf(outcome.error)}`;
    case 'hung':
      return `did not settle within ${HANG_MS / 1000} s`;
    default: {
      const never: never = outcome;
      return String(never);
    }
  }
};

/**
 * Everything written to the host's own stdout and stderr until `stop()`:
 * passed through as usual, and kept. The host's routes are its only way
 * out for a guest; output here is the host's own, or a leak.
 */
export const captureHostOutput = () => {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map(stream => stream.write);
  streams.forEach((stream, i) => {
    const original = originals[i]!;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return Reflect.apply(original, stream, [chunk, ...rest]) as boolean;
    }) as typeof stream.write;
  });
  return {
    stop: (): string[] => {
      streams.forEach((stream, i) => {
        stream.write = originals[i]!;
      });
      return chunks;
    },
  };
};

/** Control characters a line the host receives must not hold (tab and newline allowed). */
export const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/**
 * Why an answered piece of data is not host-made plain data, or undefined
 * when it is; collects the capabilities it holds into `caps`.
 */
export const judgeData = (value: unknown, markers: readonly RegExp[], caps: unknown[]): string | undefined => {
  const seen = new Set<object>();
  const queue: Array<readonly [unknown, string]> = [[value, 'the answer']];
  for (let next = 0; next < queue.length; next += 1) {
    const [v, path] = queue[next]!;
    if (typeof v === 'string') {
      const marker = markers.find(m => m.test(v));
      if (marker !== undefined) return `${path} names a host location (${String(marker)}): ${shorten(v)}`;
      continue;
    }
    if (typeof v !== 'object' && typeof v !== 'function') continue;
    if (v === null || seen.has(v)) continue;
    seen.add(v);
    if (!Object.isFrozen(v)) return `${path} is a mutable ${typeof v}`;
    if (typeof v === 'function' || getInterfaceOf(v) !== undefined) {
      caps.push(v);
      continue;
    }
    if (v instanceof Uint8Array) continue;
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
      return `${path} is a ${Object.prototype.toString.call(v)} of a foreign prototype`;
    }
    for (const key of Reflect.ownKeys(v)) {
      const desc = Object.getOwnPropertyDescriptor(v, key)!;
      if (!('value' in desc)) return `${path}.${String(key)} is an accessor`;
      queue.push([desc.value, `${path}.${String(key)}`]);
    }
  }
  return undefined;
};


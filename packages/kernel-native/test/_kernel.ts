/**
 * Tests of kernel mechanisms skip, visibly and with the reason in the title,
 * where this machine lacks one; with CATHEDRAL_REQUIRE_KERNEL=1 they fail
 * instead.
 */
import test, { type ExecutionContext } from 'ava';

export const requireKernel = process.env.CATHEDRAL_REQUIRE_KERNEL === '1';

/** `missing`: why the mechanism is not here, or undefined when it is. */
export const kernelTest = (title: string, missing: string | undefined, body: (t: ExecutionContext) => Promise<void> | void): void => {
  if (missing === undefined) {
    test.serial(title, body);
  } else if (requireKernel) {
    test.serial(title, t => {
      t.fail(`required by CATHEDRAL_REQUIRE_KERNEL=1 but missing: ${missing}`);
    });
  } else {
    test.skip(`${title} (skipped: ${missing})`, body);
  }
};

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export const delay = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

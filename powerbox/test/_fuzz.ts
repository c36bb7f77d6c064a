/**
 * fast-check parameters: a fixed seed and a bounded count in the test suite;
 * `npm run fuzz` sets CATHEDRAL_FUZZ_SEED (random) and CATHEDRAL_FUZZ_SCALE
 * (more runs) for a longer search, and prints the seed of any failure.
 */
export const fuzz = (numRuns: number): { seed: number; numRuns: number } => {
  const seed = Number(process.env['CATHEDRAL_FUZZ_SEED'] ?? 42);
  const scale = Number(process.env['CATHEDRAL_FUZZ_SCALE'] ?? 1);
  return { seed: Number.isFinite(seed) ? seed : 42, numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(scale) ? scale : 1))) };
};

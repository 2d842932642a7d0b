/**
 * How many cases each fuzz property runs. The normal test run keeps the suite
 * fast (still over 10,000 HTTP cases); `npm run test:fuzz` sets FUZZ_SCALE for a
 * long run. FUZZ_SEED replays a failing run that fast-check reported.
 */
const scale = Number(process.env.FUZZ_SCALE ?? 1);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

export function fuzzRuns(base: number): { numRuns: number; seed?: number } {
  const numRuns = Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
  return seed === undefined ? { numRuns } : { numRuns, seed };
}

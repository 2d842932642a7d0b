/** Percentiles and summaries of latency samples (milliseconds). */

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** The nearest-rank percentile `p` (0..1) of sorted values. */
function rank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] as number;
}

export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: round(rank(sorted, 0.5)),
    p99: round(rank(sorted, 0.99)),
    max: round(sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN),
  };
}

/** Two decimals: enough for milliseconds and ratios. */
export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

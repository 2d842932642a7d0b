/**
 * Each destination's delivery latency (p50, p99), read from the
 * `webhook_delivery_duration_seconds` histogram and estimated the way
 * Prometheus's histogram_quantile does: linearly inside the bucket the quantile
 * falls in. The histogram lives in this process, so the figures cover this
 * instance since it started, like the metric itself; a fleet-wide or windowed
 * view is what Prometheus is for.
 */
import type { Histogram, Registry } from 'prom-client';

export const DELIVERY_DURATION_METRIC = 'webhook_delivery_duration_seconds';

export interface Latency {
  /** Milliseconds; null until the destination has had an attempt. */
  p50_ms: number | null;
  p99_ms: number | null;
  /** Attempts measured. */
  samples: number;
}

export const NO_LATENCY: Latency = { p50_ms: null, p99_ms: null, samples: 0 };

/** One histogram bucket: its upper bound (seconds, Infinity for +Inf) and cumulative count. */
export interface Bucket {
  le: number;
  count: number;
}

/**
 * The q-quantile (0 < q < 1) of cumulative `buckets`, in seconds; undefined with
 * no samples. A quantile in the +Inf bucket is the highest finite bound, as in
 * Prometheus: the histogram cannot say more.
 */
export function bucketQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      if (b.count === below) return b.le;
      return lower + ((b.le - lower) * (rank - below)) / (b.count - below);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

const ms = (seconds: number | undefined) =>
  seconds === undefined ? null : Math.round(seconds * 10_000) / 10;

/** Every destination's latency that the registry's histogram has seen. */
export async function deliveryLatencies(registry: Registry): Promise<Map<string, Latency>> {
  const metric = registry.getSingleMetric(DELIVERY_DURATION_METRIC) as
    | Histogram<string>
    | undefined;
  const out = new Map<string, Latency>();
  if (!metric) return out;
  const byDestination = new Map<string, Bucket[]>();
  for (const v of (await metric.get()).values) {
    if (v.metricName !== `${DELIVERY_DURATION_METRIC}_bucket`) continue;
    const name = String(v.labels.destination ?? '');
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    const list = byDestination.get(name) ?? [];
    list.push({ le, count: v.value });
    byDestination.set(name, list);
  }
  for (const [name, buckets] of byDestination) {
    out.set(name, {
      p50_ms: ms(bucketQuantile(0.5, buckets)),
      p99_ms: ms(bucketQuantile(0.99, buckets)),
      samples: Math.max(0, ...buckets.map((b) => b.count)),
    });
  }
  return out;
}

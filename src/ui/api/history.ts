/**
 * Per-minute history, as the Overview's chart reads it:
 *
 *   GET /admin/stats/history?window=1h|24h
 *   -> { minutes: [epoch ms, ...],
 *        series: { accepted: [n, ...], duplicates: [n, ...],
 *                  delivered: { <destination>: [n, ...] },
 *                  failed: { <destination>: [n, ...] },
 *                  dead_lettered: [n, ...] } }
 *
 * Each array has one number per minute, aligned with `minutes`. A 404 means no
 * history is kept (yet).
 */
import { ADMIN, call } from './client.js';

export const HISTORY_WINDOWS = ['1h', '24h'] as const;
export type HistoryWindow = (typeof HISTORY_WINDOWS)[number];

export interface History {
  minutes: number[];
  series: {
    accepted?: number[];
    duplicates?: number[];
    delivered?: Record<string, number[]>;
    failed?: Record<string, number[]>;
    dead_lettered?: number[];
  };
}

export const getHistory = (window: HistoryWindow) =>
  call<History>('GET', `${ADMIN}stats/history`, { query: { window } });

/** The chart's lines, in order. */
export const CHART_SERIES = [
  { key: 'accepted', label: 'Accepted', stroke: '#2563eb' },
  { key: 'delivered', label: 'Delivered', stroke: '#16a34a' },
  { key: 'failed', label: 'Failed', stroke: '#d97706' },
  { key: 'dead_lettered', label: 'Dead-lettered', stroke: '#dc2626' },
] as const;

export type ChartKey = (typeof CHART_SERIES)[number]['key'];

export interface ChartData {
  /** Seconds (uPlot's time unit), then one array per CHART_SERIES entry. */
  columns: [number[], ...number[][]];
  totals: Record<ChartKey, number>;
  destinations: string[];
}

function aligned(values: number[] | undefined, length: number): number[] {
  return Array.from({ length }, (_, i) => values?.[i] ?? 0);
}

/** Adds up the per-destination arrays, or takes one destination's. */
function perDestination(
  byDest: Record<string, number[]> | undefined,
  length: number,
  only: string | undefined,
): number[] {
  const sum = new Array<number>(length).fill(0);
  for (const [name, values] of Object.entries(byDest ?? {})) {
    if (only !== undefined && name !== only) continue;
    for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + (values[i] ?? 0);
  }
  return sum;
}

/** The chart's columns from a history answer: every destination, or only `destination`. */
export function chartData(h: History, destination?: string): ChartData {
  const n = h.minutes.length;
  const byKey: Record<ChartKey, number[]> = {
    accepted: aligned(h.series.accepted, n),
    delivered: perDestination(h.series.delivered, n, destination),
    failed: perDestination(h.series.failed, n, destination),
    dead_lettered: aligned(h.series.dead_lettered, n),
  };
  const totals = Object.fromEntries(
    CHART_SERIES.map((s) => [s.key, byKey[s.key].reduce((a, b) => a + b, 0)]),
  ) as Record<ChartKey, number>;
  const destinations = [
    ...new Set([...Object.keys(h.series.delivered ?? {}), ...Object.keys(h.series.failed ?? {})]),
  ].sort();
  return {
    columns: [h.minutes.map((ms) => ms / 1000), ...CHART_SERIES.map((s) => byKey[s.key])],
    totals,
    destinations,
  };
}

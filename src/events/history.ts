/**
 * The throughput history as the dashboard charts it: one value per minute of
 * the window, oldest first, zeros where nothing happened, summed over every
 * instance (the store keeps the counts).
 */
import { type MinuteCounts, minuteOf, type ThroughputHistory } from '../store/event-log.js';

export const HISTORY_WINDOWS = { '1h': 60, '24h': 1_440 } as const;
export type HistoryWindow = keyof typeof HISTORY_WINDOWS;

export interface HistorySeries {
  /** Each minute's start, ms since the epoch. */
  minutes: number[];
  series: {
    accepted: number[];
    duplicates: number[];
    rejected: Record<string, number[]>;
    delivered: Record<string, number[]>;
    failed: Record<string, number[]>;
    dead_lettered: number[];
  };
}

/** The window's minutes up to and including the current one. */
export async function historyWindow(
  history: ThroughputHistory,
  window: HistoryWindow,
  now: number,
): Promise<HistorySeries> {
  const n = HISTORY_WINDOWS[window];
  const last = minuteOf(now);
  const first = last - (n - 1) * 60_000;
  const counted = await history.read(first, last + 60_000);
  const minutes = Array.from({ length: n }, (_, i) => first + i * 60_000);
  const zeros = () => new Array<number>(n).fill(0);
  const out: HistorySeries = {
    minutes,
    series: {
      accepted: zeros(),
      duplicates: zeros(),
      rejected: {},
      delivered: {},
      failed: {},
      dead_lettered: zeros(),
    },
  };
  const s = out.series;
  const add = (byKey: Record<string, number[]>, counts: Record<string, number>, i: number) => {
    for (const [key, value] of Object.entries(counts)) {
      const line = byKey[key] ?? zeros();
      byKey[key] = line;
      line[i] = (line[i] ?? 0) + value;
    }
  };
  for (const m of counted as MinuteCounts[]) {
    const i = (m.minute - first) / 60_000;
    if (!Number.isInteger(i) || i < 0 || i >= n) continue;
    s.accepted[i] = m.accepted;
    s.duplicates[i] = m.duplicates;
    s.dead_lettered[i] = m.deadLettered;
    add(s.rejected, m.rejected, i);
    add(s.delivered, m.delivered, i);
    add(s.failed, m.failed, i);
  }
  return out;
}

/** The Overview's per-minute chart, over the last hour or day, for one destination or all. */
import { useMemo, useState } from 'preact/hooks';
import { ApiFailure, describe } from '../api/client.js';
import {
  CHART_SERIES,
  chartData,
  getHistory,
  HISTORY_WINDOWS,
  type HistoryWindow,
} from '../api/history.js';
import { Chart } from '../components/chart.js';
import { Notice } from '../components/notice.js';
import { count } from '../format.js';
import { usePoll } from '../poll.js';

/** New minutes arrive once a minute: no need to ask more often than this. */
const HISTORY_POLL_MS: Record<HistoryWindow, number> = { '1h': 10_000, '24h': 60_000 };

export function HistoryPanel() {
  const [span, setSpan] = useState<HistoryWindow>('1h');
  const [destination, setDestination] = useState('');
  const polled = usePoll(() => getHistory(span), HISTORY_POLL_MS[span], span);
  const data = useMemo(
    () => (polled.data ? chartData(polled.data, destination || undefined) : undefined),
    [polled.data, destination],
  );
  const missing = polled.error instanceof ApiFailure && polled.error.routeMissing;

  return (
    <section class="card history" aria-label="Per-minute history">
      <header>
        <h2>Per minute</h2>
        <fieldset class="segmented">
          <legend class="sr-only">Window</legend>
          {HISTORY_WINDOWS.map((w) => (
            <button key={w} type="button" aria-pressed={w === span} onClick={() => setSpan(w)}>
              {w === '1h' ? 'Last hour' : 'Last 24 hours'}
            </button>
          ))}
        </fieldset>
        {data && data.destinations.length > 0 && (
          <select
            aria-label="Destination"
            value={destination}
            onChange={(e) => setDestination(e.currentTarget.value)}
          >
            <option value="">All destinations</option>
            {data.destinations.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        )}
      </header>
      {missing && (
        <p class="empty" data-testid="no-history">
          No history yet: this service does not keep per-minute figures.
        </p>
      )}
      {!missing && polled.error !== undefined && (
        <Notice kind="error">{describe(polled.error)}</Notice>
      )}
      {!missing && !data && polled.error === undefined && <p class="muted">Loading…</p>}
      {data && (
        <>
          <Chart
            lines={CHART_SERIES}
            columns={data.columns}
            label="Accepted, delivered, failed and dead-lettered events per minute"
          />
          <ul class="totals" aria-label="Totals">
            {CHART_SERIES.map((s) => (
              <li key={s.key} data-total={s.key}>
                <span class="muted">{s.label}</span> {count(data.totals[s.key])}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/**
 * The service at a glance: queue figures, per-minute history, each
 * destination's health and latency, and signature failures by source.
 */
import { getHealth, getSignatureFailures, listDestinations } from '../api/admin.js';
import { ApiFailure, describe } from '../api/client.js';
import { Notice } from '../components/notice.js';
import { StateBadge } from '../components/state-badge.js';
import { count, ms, rate } from '../format.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import { HistoryPanel } from './history-panel.js';

export const OVERVIEW_POLL_MS = 2_000;
const SIGNATURES_POLL_MS = 10_000;

function Figure(props: { label: string; value: string; detail?: string; link?: string }) {
  const body = (
    <>
      <span class="figure-label">{props.label}</span>
      <span class="figure-value">{props.value}</span>
      {props.detail && <span class="figure-detail">{props.detail}</span>}
    </>
  );
  return props.link ? (
    <a class="figure" href={props.link} data-figure={props.label}>
      {body}
    </a>
  ) : (
    <div class="figure" data-figure={props.label}>
      {body}
    </div>
  );
}

function Figures() {
  const health = usePoll(getHealth, OVERVIEW_POLL_MS);
  const h = health.data;
  if (health.error !== undefined) return <Notice kind="error">{describe(health.error)}</Notice>;
  if (!h) return <p class="muted">Loading…</p>;
  return (
    <>
      {h.status !== 'healthy' && (
        <Notice kind="error">Unhealthy: {h.reason ?? 'the service says so'}</Notice>
      )}
      <div class="figures">
        <Figure label="Status" value={h.status} detail={`store: ${h.store}`} />
        <Figure
          label="Backlog"
          value={count(h.backlog)}
          detail={`limit ${count(h.backlog_limit)}`}
        />
        <Figure
          label="Queue"
          value={count(h.queue_size)}
          detail={`${count(h.pending)} in progress, ${count(h.scheduled)} retrying`}
        />
        <Figure
          label="Dead letters"
          value={count(h.dlq_size)}
          detail="open the list"
          link={href('dead-letters')}
        />
        <Figure
          label="Workers busy"
          value={`${count(h.workers_busy)} / ${count(h.workers)}`}
          detail={`${count(h.ingest_inflight)} ingest writes in flight`}
        />
      </div>
    </>
  );
}

function DestinationSummary() {
  const polled = usePoll(listDestinations, OVERVIEW_POLL_MS);
  const list = polled.data;
  if (polled.error !== undefined) return <Notice kind="error">{describe(polled.error)}</Notice>;
  if (!list) return <p class="muted">Loading…</p>;
  if (list.length === 0) return <p class="muted">No destinations are configured.</p>;
  return (
    <div class="table-wrap">
      <table class="stack">
        <thead>
          <tr>
            <th>Destination</th>
            <th>State</th>
            <th>Success (5 min)</th>
            <th>p50</th>
            <th>p99</th>
            <th>Backlog</th>
          </tr>
        </thead>
        <tbody>
          {list.map((d) => (
            <tr key={d.name} data-destination={d.name}>
              <td data-label="Destination">
                <a href={href('destinations')}>{d.name}</a>
              </td>
              <td data-label="State">
                <StateBadge state={d.state} />
              </td>
              <td data-label="Success (5 min)">{rate(d.success_rate_5m, d.attempts_5m)}</td>
              <td data-label="p50" data-latency="p50">
                {ms(d.p50_ms)}
              </td>
              <td data-label="p99" data-latency="p99">
                {ms(d.p99_ms)}
              </td>
              <td data-label="Backlog">{count(d.waiting + d.in_flight + d.scheduled)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SignatureFailures() {
  const polled = usePoll(getSignatureFailures, SIGNATURES_POLL_MS);
  const list = polled.data;
  if (polled.error instanceof ApiFailure && polled.error.routeMissing)
    return <p class="muted">This service does not report signature failures.</p>;
  if (polled.error !== undefined) return <Notice kind="error">{describe(polled.error)}</Notice>;
  if (!list) return <p class="muted">Loading…</p>;
  if (list.length === 0) return <p class="muted">No signed sources are configured.</p>;
  return (
    <div class="table-wrap">
      <table class="stack" aria-label="Signature failures">
        <thead>
          <tr>
            <th>Source</th>
            <th>Signature failures</th>
          </tr>
        </thead>
        <tbody>
          {list.map((s) => (
            <tr key={s.source} data-source={s.source}>
              <td data-label="Source">{s.source}</td>
              <td data-label="Failures" class={s.failures > 0 ? 'error-text' : ''}>
                {count(s.failures)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function OverviewPage() {
  return (
    <section>
      <h1>Overview</h1>
      <Figures />
      <HistoryPanel />
      <h2>Destinations</h2>
      <DestinationSummary />
      <p class="muted small">
        Latency: each attempt's duration, on this instance since it started.
      </p>
      <h2>Signature failures</h2>
      <SignatureFailures />
      <p class="muted small">Refused requests per source, on this instance since it started.</p>
    </section>
  );
}

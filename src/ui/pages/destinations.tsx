/** Every destination: its state, backlog, recent success rate, last error; pause and resume. */
import { useState } from 'preact/hooks';
import { type Destination, listDestinations, setPaused } from '../api/admin.js';
import { describe } from '../api/client.js';
import { Notice } from '../components/notice.js';
import { StateBadge } from '../components/state-badge.js';
import { count, ms, percent, time } from '../format.js';
import { usePoll } from '../poll.js';

export const DESTINATIONS_POLL_MS = 2_000;

function Card(props: { d: Destination; onChanged: () => void }) {
  const { d } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const paused = d.state === 'paused';

  async function toggle() {
    setBusy(true);
    setError(undefined);
    try {
      await setPaused(d.name, !paused);
      props.onChanged();
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <article class="card destination" data-destination={d.name}>
      <header>
        <h2>{d.name}</h2>
        <StateBadge state={d.state} />
        <button type="button" class={paused ? 'primary' : ''} disabled={busy} onClick={toggle}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </header>
      <p class="url">{d.url}</p>
      {error && <Notice kind="error">{error}</Notice>}
      <dl class="stats">
        <div>
          <dt>Waiting</dt>
          <dd>{count(d.waiting)}</dd>
        </div>
        <div>
          <dt>In flight</dt>
          <dd>{count(d.in_flight)}</dd>
        </div>
        <div>
          <dt>Retrying</dt>
          <dd>{count(d.scheduled)}</dd>
        </div>
        <div>
          <dt>Success (5 min)</dt>
          <dd>
            {d.attempts_5m === 0 ? <small>no attempts</small> : percent(d.success_rate_5m)}
            {d.attempts_5m > 0 && <small> of {count(d.attempts_5m)}</small>}
          </dd>
        </div>
        <div>
          <dt>Latency p50</dt>
          <dd data-latency="p50">{d.p50_ms == null ? <small>no attempts</small> : ms(d.p50_ms)}</dd>
        </div>
        <div>
          <dt>Latency p99</dt>
          <dd data-latency="p99">{d.p99_ms == null ? <small>no attempts</small> : ms(d.p99_ms)}</dd>
        </div>
      </dl>
      {d.state === 'open' && <p class="muted">Next probe after {time(d.open_until)}</p>}
      <p class="last-error">
        <span class="muted">Last error: </span>
        {d.last_error ? (
          <>
            <span class="error-text">{d.last_error}</span>{' '}
            <span class="muted">({time(d.last_error_at)})</span>
          </>
        ) : (
          'none'
        )}
      </p>
    </article>
  );
}

export function DestinationsPage() {
  const polled = usePoll(listDestinations, DESTINATIONS_POLL_MS);
  const list = polled.data;
  return (
    <section>
      <h1>Destinations</h1>
      {polled.error !== undefined && <Notice kind="error">{describe(polled.error)}</Notice>}
      {list === undefined && polled.error === undefined && <p class="muted">Loading…</p>}
      {list?.length === 0 && (
        <Notice>No destinations are configured: events go to the in-process handlers.</Notice>
      )}
      <div class="cards">
        {list?.map((d) => (
          <Card key={d.name} d={d} onChanged={polled.refresh} />
        ))}
      </div>
    </section>
  );
}

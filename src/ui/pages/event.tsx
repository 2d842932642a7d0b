/** One event: its payload and headers, each delivery's attempts, and replay. */
import { useState } from 'preact/hooks';
import { ApiFailure, describe } from '../api/client.js';
import { type Delivery, type EventDetail, getEvent, replayEvent } from '../api/events.js';
import { DetailPending } from '../components/detail-page.js';
import { Fields, HeaderTable, Json } from '../components/details.js';
import { Notice } from '../components/notice.js';
import { StateBadge } from '../components/state-badge.js';
import { time } from '../format.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import { EventLogMissing } from './events.js';

const EVENT_POLL_MS = 3_000;

function Timeline(props: { event: EventDetail; onReplay: (destination: string) => void }) {
  const deliveries: Delivery[] = props.event.deliveries ?? [];
  return (
    <ol class="timeline">
      <li>
        <span class="when">{time(props.event.received_at)}</span> Accepted
      </li>
      {deliveries.length === 0 && <li class="muted">No deliveries.</li>}
      {deliveries.map((d) => (
        <li key={d.destination} data-delivery={d.destination}>
          <div class="delivery-head">
            <strong>{d.destination}</strong> <StateBadge state={d.state} />
            <button type="button" onClick={() => props.onReplay(d.destination)}>
              Replay to {d.destination}
            </button>
          </div>
          <ol class="attempts">
            {(d.attempts ?? []).map((a, i) => (
              // Attempts have no id of their own; their order is their identity.
              <li key={i}>
                <span class="when">{time(a.at)}</span> attempt {i + 1}:{' '}
                {a.status !== null ? <code>{a.status}</code> : <span class="muted">no answer</span>}
                {a.duration_ms != null && <span class="muted"> in {a.duration_ms} ms</span>}
                {a.error && <span class="error-text"> {a.error}</span>}
              </li>
            ))}
          </ol>
        </li>
      ))}
    </ol>
  );
}

export function EventPage(props: { id: string }) {
  const polled = usePoll(() => getEvent(props.id), EVENT_POLL_MS, props.id);
  const [outcome, setOutcome] = useState<{ kind: 'info' | 'error'; text: string }>();
  const e = polled.data;

  async function replay(destination?: string) {
    try {
      await replayEvent(props.id, destination);
      setOutcome({
        kind: 'info',
        text: `Replay queued${destination ? ` to ${destination}` : ''}.`,
      });
      polled.refresh();
    } catch (err) {
      setOutcome({ kind: 'error', text: describe(err) });
    }
  }

  const back = <a href={href('events')}>← Events</a>;
  const err = polled.error;
  if (err instanceof ApiFailure && err.routeMissing)
    return (
      <section>
        {back}
        <EventLogMissing />
      </section>
    );
  if (!e)
    return <DetailPending back={back} error={err === undefined ? undefined : describe(err)} />;
  return (
    <section>
      {back}
      <h1>
        Event <code>{e.id}</code>
      </h1>
      {outcome && <Notice kind={outcome.kind}>{outcome.text}</Notice>}
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => replay()}>
          Replay to every destination
        </button>
      </div>
      <Fields
        rows={[
          ['Type', e.type],
          ['Source', e.source],
          ['State', <StateBadge key="state" state={e.state} />],
          ['Received', time(e.received_at)],
          ['Idempotency key', e.idempotency_key ?? '—'],
        ]}
      />
      <h2>Deliveries</h2>
      <Timeline event={e} onReplay={(d) => replay(d)} />
      <h2>Payload</h2>
      <Json value={e.payload} />
      <h2>Headers</h2>
      <HeaderTable headers={e.headers} />
    </section>
  );
}

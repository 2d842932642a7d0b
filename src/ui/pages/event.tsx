/**
 * One event: its deliveries as a timeline of attempts, its payload and headers,
 * and replay, of the whole event or to one destination. It refreshes while it
 * is shown, so a replay's attempts appear as they happen.
 */
import { useState } from 'preact/hooks';
import { ApiFailure, describe } from '../api/client.js';
import {
  type Attempt,
  type Delivery,
  type EventDetail,
  getEvent,
  replayEvent,
} from '../api/events.js';
import { DetailPending } from '../components/detail-page.js';
import { Fields, HeaderTable, Json } from '../components/details.js';
import { Notice } from '../components/notice.js';
import { StateBadge } from '../components/state-badge.js';
import { count, time } from '../format.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import { EventLogMissing, targetName } from './events.js';

const EVENT_POLL_MS = 2_000;

function AttemptLine(props: { a: Attempt; n: number }) {
  const { a } = props;
  const outcome = a.outcome ?? (a.error ? 'failed' : 'delivered');
  return (
    <li data-outcome={outcome}>
      <span class="when">{time(a.at)}</span>
      <span class="attempt-n">#{props.n}</span>
      <StateBadge state={outcome} />
      {a.status !== null ? (
        <code class="status">{a.status}</code>
      ) : (
        <span class="muted">no answer</span>
      )}
      {a.duration_ms != null && <span class="muted duration">{count(a.duration_ms)} ms</span>}
      {a.error && <span class="error-text attempt-error">{a.error}</span>}
    </li>
  );
}

function Timeline(props: {
  event: EventDetail;
  canReplay: boolean;
  onReplay: (destination: string) => void;
}) {
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
            <strong>{targetName(d.destination)}</strong> <StateBadge state={d.state} />
            <span class="muted">
              {d.attempts.length === 1 ? '1 attempt' : `${count(d.attempts.length)} attempts`}
            </span>
            {props.canReplay && (
              <button type="button" onClick={() => props.onReplay(d.destination)}>
                Replay to {targetName(d.destination)}
              </button>
            )}
          </div>
          {d.attempts.length > 0 && (
            <ol class="attempts" aria-label={`Attempts to ${targetName(d.destination)}`}>
              {d.attempts.map((a, i) => (
                // Attempts have no id of their own; their order is their identity.
                <AttemptLine key={i} a={a} n={i + 1} />
              ))}
            </ol>
          )}
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
      const r = await replayEvent(props.id, destination);
      setOutcome({
        kind: 'info',
        text: `Replay queued to ${r.destinations.map(targetName).join(', ')}.`,
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
  const duplicate = e.state === 'duplicate';
  const canReplay = !duplicate && e.payload_kept !== false;
  return (
    <section>
      {back}
      <h1>
        Event <code>{e.id}</code>
      </h1>
      {outcome && <Notice kind={outcome.kind}>{outcome.text}</Notice>}
      {duplicate && (
        <Notice kind="warn">
          A suppressed duplicate
          {e.duplicate_of ? (
            <>
              {' '}
              of <a href={href('events', e.duplicate_of)}>{e.duplicate_of}</a>
            </>
          ) : null}
          : it was never delivered. Replay the original instead.
        </Notice>
      )}
      {canReplay && (
        <div class="toolbar">
          <button type="button" class="primary" onClick={() => replay()}>
            Replay to every destination
          </button>
        </div>
      )}
      <Fields
        rows={[
          ['Type', e.type],
          ['Source', e.source],
          ['State', <StateBadge key="state" state={e.state} />],
          ['Received', time(e.received_at)],
          ['Idempotency key', e.idempotency_key ?? '—'],
          ['Content type', e.content_type ?? '—'],
        ]}
      />
      <h2>Deliveries</h2>
      <Timeline event={e} canReplay={canReplay} onReplay={(d) => replay(d)} />
      <h2>Payload</h2>
      {e.payload_kept === false ? (
        <p class="muted">
          Not kept: this service logs events without their payloads (EVENT_LOG_PAYLOADS=false).
        </p>
      ) : (
        <Json value={e.payload} />
      )}
      <h2>Headers</h2>
      <HeaderTable headers={e.headers} />
    </section>
  );
}

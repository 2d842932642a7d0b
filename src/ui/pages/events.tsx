/**
 * Searching the event log, a page at a time, refreshed while it is shown, and
 * replaying every match in bulk (a dry run's count first).
 */
import { listDestinations } from '../api/admin.js';
import { ApiFailure, describe } from '../api/client.js';
import {
  EVENT_STATES,
  type EventFilter,
  type EventQuery,
  type EventSummary,
  HANDLERS,
  searchPage,
} from '../api/events.js';
import { EVENT_REPLAY_WORDS, eventReplayPlan } from '../bulk/events.js';
import { BulkRun } from '../components/bulk-run.js';
import { type Field, FilterForm, type Values } from '../components/filter-form.js';
import { Notice } from '../components/notice.js';
import { Pager, useCursors } from '../components/pager.js';
import { StateBadge } from '../components/state-badge.js';
import { count, localToRfc3339, time } from '../format.js';
import { usePoll } from '../poll.js';
import { go, href } from '../router.js';

export const EVENTS_POLL_MS = 2_000;
const PAGE_SIZE = 50;

const TEXT_KEYS = ['source', 'type', 'state', 'destination', 'id', 'key', 'q'] as const;

export function eventQuery(values: Values): EventQuery {
  const q: EventQuery = {};
  for (const k of TEXT_KEYS) if (values[k]) q[k] = values[k];
  const since = localToRfc3339(values.since);
  const until = localToRfc3339(values.until);
  if (since) q.since = since;
  if (until) q.until = until;
  return q;
}

/** The form's values in words, for the bulk replay's question. */
function describeQuery(values: Values): string {
  const parts = Object.entries(values)
    .filter(([k]) => k !== 'destination')
    .map(([k, v]) => (k === 'q' ? `payload contains “${v}”` : `${k} ${v}`));
  const which = parts.length === 0 ? 'every event' : parts.join(', ');
  // A destination both selects and narrows: each event goes to it alone.
  return values.destination ? `${which}, to ${targetName(values.destination)} only` : which;
}

/** Shown when the service has no event log to search. */
export function EventLogMissing() {
  return (
    <p class="empty" data-testid="events-unavailable">
      The event log is not available on this service: it does not answer GET /admin/events.
    </p>
  );
}

/** A delivery target as people say it. */
export const targetName = (name: string) => (name === HANDLERS ? 'in-process handlers' : name);

function Row(props: { e: EventSummary }) {
  const { e } = props;
  return (
    <tr data-event-id={e.id}>
      <td data-label="Received">{time(e.received_at)}</td>
      <td data-label="Source">{e.source}</td>
      <td data-label="Type">{e.type}</td>
      <td data-label="State">
        <StateBadge state={e.state} />
      </td>
      <td data-label="Destinations">
        {e.destinations && e.destinations.length > 0 ? (
          <ul class="inline-list">
            {e.destinations.map((d) => (
              <li key={d.name} data-target={d.name}>
                {targetName(d.name)} <StateBadge state={d.state} />
              </li>
            ))}
          </ul>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td data-label="Id">
        <a href={href('events', e.id)}>
          <code>{e.id}</code>
        </a>
      </td>
    </tr>
  );
}

export function EventsPage(props: { query: Values }) {
  const query = eventQuery(props.query);
  const key = JSON.stringify(query);
  const cursors = useCursors(key);
  const page = usePoll(
    () => searchPage(query, cursors.cursor, PAGE_SIZE),
    EVENTS_POLL_MS,
    `${key}|${cursors.cursor ?? ''}`,
  );
  const destinations = usePoll(listDestinations, 30_000);
  const missing = page.error instanceof ApiFailure && page.error.routeMissing;
  const { id: _id, ...filter }: EventQuery = query;
  const data = page.data;
  const short = data !== undefined && data.items.length < PAGE_SIZE && data.next_cursor !== null;

  const fields: Field[] = [
    { name: 'source', label: 'Source', placeholder: 'e.g. stripe' },
    { name: 'type', label: 'Type', placeholder: 'e.g. invoice.paid' },
    { name: 'state', label: 'State', kind: 'select', options: EVENT_STATES },
    {
      name: 'destination',
      label: 'Destination',
      suggestions: [...(destinations.data?.map((d) => d.name) ?? []), HANDLERS],
    },
    { name: 'since', label: 'Since', kind: 'datetime' },
    { name: 'until', label: 'Until', kind: 'datetime' },
    { name: 'id', label: 'Event id' },
    { name: 'key', label: 'Idempotency key' },
    { name: 'q', label: 'Payload contains' },
  ];

  return (
    <section>
      <h1>Events</h1>
      <FilterForm
        label="Search events"
        fields={fields}
        values={props.query}
        onApply={(v) => go('events', undefined, v)}
      />
      {!missing && (
        <div class="toolbar">
          <BulkRun
            name="bulk-replay"
            plan={eventReplayPlan(filter as EventFilter)}
            words={EVENT_REPLAY_WORDS}
            filterText={describeQuery(props.query)}
            disabled={
              query.id !== undefined ? 'An id names one event: replay it from its page.' : undefined
            }
            onChange={() => page.refresh()}
          />
        </div>
      )}
      {missing && <EventLogMissing />}
      {!missing && page.error !== undefined && <Notice kind="error">{describe(page.error)}</Notice>}
      {!missing && data === undefined && page.error === undefined && <p class="muted">Loading…</p>}
      {data && (
        <>
          {(data.scanned !== undefined || short) && (
            <p class="muted small scan" data-testid="scanned">
              {data.scanned !== undefined && <>Scanned {count(data.scanned)} events. </>}
              {short && (
                <>
                  {data.items.length === 0
                    ? 'No match so far: older events are not searched yet.'
                    : `${count(data.items.length)} found so far: older events are not searched yet.`}{' '}
                  <button
                    type="button"
                    onClick={() => data.next_cursor && cursors.next(data.next_cursor)}
                  >
                    Search further
                  </button>
                </>
              )}
            </p>
          )}
          {data.items.length === 0 ? (
            !short && (
              <p class="empty">
                {cursors.page === 1 ? 'No events match.' : 'No more events match.'}
              </p>
            )
          ) : (
            <div class="table-wrap">
              <table class="stack" aria-label="Events">
                <thead>
                  <tr>
                    <th>Received</th>
                    <th>Source</th>
                    <th>Type</th>
                    <th>State</th>
                    <th>Destinations</th>
                    <th>Id</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((e) => (
                    <Row key={e.id} e={e} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <Pager cursors={cursors} nextCursor={data?.next_cursor} />
    </section>
  );
}

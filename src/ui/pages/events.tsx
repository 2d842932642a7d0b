/** Searching the event log, a page at a time. */
import { listDestinations } from '../api/admin.js';
import { ApiFailure, describe } from '../api/client.js';
import { EVENT_STATES, type EventQuery, searchEvents } from '../api/events.js';
import { type Field, FilterForm, type Values } from '../components/filter-form.js';
import { Notice } from '../components/notice.js';
import { Pager, useCursors } from '../components/pager.js';
import { StateBadge } from '../components/state-badge.js';
import { count, localToRfc3339, time } from '../format.js';
import { usePoll } from '../poll.js';
import { go, href } from '../router.js';

export const EVENTS_POLL_MS = 5_000;
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

/** Shown when the service has no event log to search. */
export function EventLogMissing() {
  return (
    <p class="empty" data-testid="events-unavailable">
      The event log is not available on this service: it does not answer GET /admin/events.
    </p>
  );
}

export function EventsPage(props: { query: Values }) {
  const query = eventQuery(props.query);
  const key = JSON.stringify(query);
  const cursors = useCursors(key);
  const page = usePoll(
    () => searchEvents(query, cursors.cursor, PAGE_SIZE),
    EVENTS_POLL_MS,
    `${key}|${cursors.cursor ?? ''}`,
  );
  const destinations = usePoll(listDestinations, 30_000);
  const missing = page.error instanceof ApiFailure && page.error.routeMissing;

  const fields: Field[] = [
    { name: 'source', label: 'Source' },
    { name: 'type', label: 'Type' },
    { name: 'state', label: 'State', kind: 'select', options: EVENT_STATES },
    {
      name: 'destination',
      label: 'Destination',
      suggestions: destinations.data?.map((d) => d.name) ?? [],
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
      {missing && <EventLogMissing />}
      {!missing && page.error !== undefined && <Notice kind="error">{describe(page.error)}</Notice>}
      {!missing && page.data === undefined && page.error === undefined && (
        <p class="muted">Loading…</p>
      )}
      {page.data && (
        <>
          {page.data.scanned !== undefined && (
            <p class="muted small">Scanned {count(page.data.scanned)} events for this page.</p>
          )}
          {page.data.items.length === 0 ? (
            <p class="empty">No events match on this page.</p>
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
                  {page.data.items.map((e) => (
                    <tr key={e.id} data-event-id={e.id}>
                      <td data-label="Received">{time(e.received_at)}</td>
                      <td data-label="Source">{e.source}</td>
                      <td data-label="Type">{e.type}</td>
                      <td data-label="State">
                        <StateBadge state={e.state} />
                      </td>
                      <td data-label="Destinations">
                        {e.destinations?.map((d) => `${d.name}: ${d.state}`).join(', ') || '—'}
                      </td>
                      <td data-label="Id">
                        <a href={href('events', e.id)}>{e.id}</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <Pager cursors={cursors} nextCursor={page.data?.next_cursor} />
    </section>
  );
}

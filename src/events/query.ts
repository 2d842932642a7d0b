/**
 * An event-log search as operators write it (query string or JSON body): source,
 * type, state, destination, a received-time range in RFC 3339, an idempotency
 * key, a payload substring. As for the DLQ, an unknown parameter is refused
 * rather than ignored: an ignored filter would widen a bulk replay to every event.
 */
import { EVENT_TYPE, FilterError, invalid, NAME, onlyKnown, time } from '../dlq/filter.js';
import {
  EVENT_STATES,
  type EventFilter,
  type EventLog,
  type EventState,
  loggedKey,
  MAX_LOGGED_KEY,
} from '../store/event-log.js';

export const EVENT_FILTER_PARAMS = [
  'source',
  'type',
  'state',
  'destination',
  'since',
  'until',
  'key',
  'q',
] as const;

/** Longest payload search accepted: a scan's cost grows with it. */
const MAX_Q = 128;
/** A job id: what ingest makes (a UUID) or what an older version made; never more. */
const JOB_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function text(name: string, value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    invalid(`${name} must be 1-${max} characters`);
  }
  // A NUL is never in a JSON body, unescaped, nor in a key; FTS5 cannot take one.
  if (value.includes('\u0000')) invalid(`${name} must not hold a NUL character`);
  return value;
}

function named(name: string, value: unknown, pattern: RegExp, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) invalid(`${name} is not ${what}`);
  return value;
}

/** The filter fields of `raw` (other fields are the caller's to check). */
export function parseEventFilter(raw: Record<string, unknown>): EventFilter {
  const filter: EventFilter = {};
  const source = named('source', raw.source, NAME, 'a source name');
  const type = named('type', raw.type, EVENT_TYPE, 'an event type');
  const destination = named('destination', raw.destination, NAME, 'a destination name');
  if (source !== undefined) filter.source = source;
  if (type !== undefined) filter.type = type;
  if (destination !== undefined) filter.destination = destination;
  if (raw.state !== undefined) {
    if (!EVENT_STATES.includes(raw.state as EventState)) {
      invalid(`state must be one of ${EVENT_STATES.join(', ')}`);
    }
    filter.state = raw.state as EventState;
  }
  const since = time('since', raw.since);
  const until = time('until', raw.until);
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (since !== undefined && until !== undefined && since >= until) {
    invalid('since must be before until');
  }
  const key = text('key', raw.key, MAX_LOGGED_KEY);
  const q = text('q', raw.q, MAX_Q);
  if (key !== undefined) filter.key = loggedKey(key) as string;
  if (q !== undefined) filter.q = q;
  return filter;
}

export interface EventSearch {
  filter: EventFilter;
  /** A direct lookup by job id (the other fields must match too). */
  id?: string;
  cursor?: string;
  limit: number;
}

/** GET /admin/events's query: the filter, `id`, `cursor` and `limit` (1-500, default 50). */
export function parseEventSearch(raw: Record<string, unknown>, log: EventLog): EventSearch {
  onlyKnown(raw, [...EVENT_FILTER_PARAMS, 'id', 'cursor', 'limit']);
  const search: EventSearch = { filter: parseEventFilter(raw), limit: 50 };
  const id = named('id', raw.id, JOB_ID, 'a job id');
  if (id !== undefined) search.id = id;
  if (raw.limit !== undefined) {
    const n = typeof raw.limit === 'number' ? raw.limit : Number(raw.limit);
    if (!Number.isInteger(n) || n < 1 || n > 500) invalid('limit must be an integer from 1 to 500');
    search.limit = n;
  }
  if (raw.cursor !== undefined) {
    if (typeof raw.cursor !== 'string' || !log.isCursor(raw.cursor))
      throw new FilterError('cursor');
    search.cursor = raw.cursor;
  }
  return search;
}

/** True when the event's fields match the filter (for a direct lookup by id). */
export function matchesFilter(
  e: {
    source: string;
    type: string;
    state: EventState;
    receivedAt: number;
    idempotencyKey?: string;
    payload?: string;
    deliveries: readonly { target: string }[];
  },
  f: EventFilter,
): boolean {
  return (
    (f.source === undefined || e.source === f.source) &&
    (f.type === undefined || e.type === f.type) &&
    (f.state === undefined || e.state === f.state) &&
    (f.destination === undefined || e.deliveries.some((d) => d.target === f.destination)) &&
    (f.since === undefined || e.receivedAt >= f.since) &&
    (f.until === undefined || e.receivedAt < f.until) &&
    (f.key === undefined || e.idempotencyKey === f.key) &&
    (f.q === undefined || (e.payload ?? '').includes(f.q))
  );
}

/**
 * The event log, as the Events pages read it. Every request and every field the
 * pages use is in this file, so a change to the API is a change here.
 *
 *   GET  /admin/events?source&type&state&destination&since&until&id&key&q&limit&cursor
 *        -> { items: EventSummary[], next_cursor: string | null, scanned?: number }
 *   GET  /admin/events/:id                  -> EventDetail
 *   POST /admin/events/:id/replay           every destination of the event
 *   POST /admin/events/:id/replay  { "destination": "<name>" }   that one only
 *   POST /admin/events/replay  { ...filter, dry_run, as_of?, cursor?, max? }
 *        -> { dry_run, replayed, skipped, as_of, done, cursor }
 *
 * On Redis a search reads a bounded window of the log per request, so a page
 * may come back short, or empty, with a next_cursor: there may be more further
 * back. A 404 `not_found` (no such route) means this service has no event log:
 * the pages say so instead of failing.
 */
import { ADMIN, call } from './client.js';

/** The search form's fields, as query parameters (times in RFC 3339). */
export interface EventQuery {
  source?: string;
  type?: string;
  state?: string;
  destination?: string;
  since?: string;
  until?: string;
  id?: string;
  key?: string;
  q?: string;
}

/** The states the search form offers: an event's, and each of its deliveries'. */
export const EVENT_STATES = [
  'queued',
  'delivering',
  'delivered',
  'retrying',
  'dead',
  'duplicate',
] as const;

/** The delivery target that stands for the in-process handlers. */
export const HANDLERS = 'handlers';

export interface EventSummary {
  id: string;
  source: string;
  type: string;
  state: string;
  received_at: string;
  idempotency_key?: string | null;
  /** For a suppressed duplicate: the event it repeated. */
  duplicate_of?: string | null;
  /** Each delivery's destination and state. */
  destinations?: { name: string; state: string }[];
}

export interface EventPage {
  items: EventSummary[];
  next_cursor: string | null;
  /** How many events the search read to fill the page, when it had to scan. */
  scanned?: number;
}

export interface Attempt {
  at: string;
  outcome?: 'delivered' | 'failed' | 'lost';
  status: number | null;
  error: string | null;
  duration_ms?: number | null;
}

export interface Delivery {
  destination: string;
  state: string;
  attempts: Attempt[];
}

export interface EventDetail extends EventSummary {
  content_type?: string | null;
  headers: Record<string, string>;
  /** False when the service keeps no payloads (EVENT_LOG_PAYLOADS=false). */
  payload_kept?: boolean;
  payload: unknown;
  deliveries: Delivery[];
}

export const searchEvents = (query: EventQuery, cursor?: string, limit = 50) =>
  call<EventPage>('GET', `${ADMIN}events`, { query: { ...query, limit, cursor } });

export const getEvent = (id: string) =>
  call<EventDetail>('GET', `${ADMIN}events/${encodeURIComponent(id)}`);

export interface Replayed {
  id: string;
  status: 'queued';
  destinations: string[];
}

/** Replays the event to every destination, or to `destination` only. */
export const replayEvent = (id: string, destination?: string) =>
  call<Replayed>('POST', `${ADMIN}events/${encodeURIComponent(id)}/replay`, {
    ...(destination !== undefined ? { body: { destination } } : {}),
  });

/** One call of a bulk replay: what it did (or would do) and where the next one carries on. */
export interface BulkEventStep {
  dry_run: boolean;
  replayed: number;
  skipped: number;
  as_of: string;
  done: boolean;
  cursor: string | null;
}

/** What a bulk replay selects by: the search's filters, but not an id (that is one event). */
export type EventFilter = Omit<EventQuery, 'id'>;

/**
 * One batch of a bulk replay of the events matching `filter`. With a
 * `destination` in it, each event goes to that destination alone. Pass the dry
 * run's `as_of` to the real run, so that both cover the same events.
 */
export const bulkReplayEvents = (
  filter: EventFilter,
  step: { dry_run: boolean; as_of?: string; cursor?: string | null; max: number },
) => call<BulkEventStep>('POST', `${ADMIN}events/replay`, { body: { ...filter, ...step } });

/** At most this many requests, and about this long, go into filling one page. */
const FILL_REQUESTS = 5;
const FILL_MS = 1_500;

/**
 * A page of up to `limit` matches from `cursor`. Where the store answers short
 * pages (a bounded scan), this searches on, within a budget of requests and
 * time, so that a rare match does not mean clicking through empty pages; what it
 * could not reach is left to next_cursor. `scanned` adds up every request's.
 */
export async function searchPage(
  query: EventQuery,
  cursor: string | undefined,
  limit: number,
): Promise<EventPage> {
  const started = Date.now();
  const items: EventSummary[] = [];
  let scanned: number | undefined;
  let next = cursor;
  let requests = 0;
  do {
    const page = await searchEvents(query, next, limit - items.length);
    requests++;
    items.push(...page.items);
    if (page.scanned !== undefined) scanned = (scanned ?? 0) + page.scanned;
    next = page.next_cursor ?? undefined;
  } while (
    next !== undefined &&
    items.length < limit &&
    requests < FILL_REQUESTS &&
    Date.now() - started < FILL_MS
  );
  return { items, next_cursor: next ?? null, ...(scanned !== undefined ? { scanned } : {}) };
}

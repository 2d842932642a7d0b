/**
 * The event log, as the Events page reads it. Every request and every field the
 * page uses is in this file, so a change to the API is a change here.
 *
 *   GET  /admin/events?source&type&state&destination&since&until&id&key&q&limit&cursor
 *        -> { items: EventSummary[], next_cursor: string | null, scanned?: number }
 *   GET  /admin/events/:id                  -> EventDetail
 *   POST /admin/events/:id/replay           every destination of the event
 *   POST /admin/events/:id/replay  { "destination": "<name>" }   that one only
 *
 * A 404 `not_found` (no such route) means this service has no event log: the
 * page says so instead of failing.
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

/** The states the search form offers. */
export const EVENT_STATES = ['pending', 'delivered', 'failed', 'dead_lettered'] as const;

export interface EventSummary {
  id: string;
  source: string;
  type: string;
  state: string;
  received_at: string;
  idempotency_key?: string | null;
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
  headers: Record<string, string>;
  payload: unknown;
  deliveries: Delivery[];
}

export const searchEvents = (query: EventQuery, cursor?: string, limit = 50) =>
  call<EventPage>('GET', `${ADMIN}events`, { query: { ...query, limit, cursor } });

export const getEvent = (id: string) =>
  call<EventDetail>('GET', `${ADMIN}events/${encodeURIComponent(id)}`);

/** Replays the event to every destination, or to `destination` only. */
export const replayEvent = (id: string, destination?: string) =>
  call<unknown>('POST', `${ADMIN}events/${encodeURIComponent(id)}/replay`, {
    ...(destination !== undefined ? { body: { destination } } : {}),
  });

/**
 * The event-log admin routes, registered inside the /admin plugin (and so
 * behind its bearer guard):
 *
 *   GET  /admin/events                  a page of events, newest first, filtered
 *   GET  /admin/events/:id              one event: payload, headers, deliveries, attempts
 *   POST /admin/events/:id/replay       again, to all its destinations or to one
 *   POST /admin/events/replay           every matching event (dry_run: the count first)
 *   GET  /admin/stats/history           per-minute counts for the last hour or day
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { NAME, onlyKnown, time } from '../../dlq/filter.js';
import { apiError } from '../../errors.js';
import { type HistoryWindow, historyWindow } from '../../events/history.js';
import {
  EVENT_FILTER_PARAMS,
  matchesFilter,
  parseEventFilter,
  parseEventSearch,
} from '../../events/query.js';
import {
  bulkReplayEvents,
  ReplayRefusedError,
  type ReplayTargets,
  replayEvent,
} from '../../events/replay.js';
import { redactedHeaders } from '../../ingest/headers.js';
import {
  type EventPage,
  type EventRecord,
  type EventSummary,
  HANDLERS_TARGET,
} from '../../store/event-log.js';
import type { Store } from '../../store/store.js';
import {
  bulkEventReplayBodySchema,
  bulkEventReplayResponseSchema,
  eventDetailResponseSchema,
  eventIdParamsSchema,
  eventListQuerySchema,
  eventListResponseSchema,
  eventReplayBodySchema,
  eventReplayResponseSchema,
  historyQuerySchema,
  historyResponseSchema,
} from '../event-schemas.js';
import { errorResponses } from '../schemas.js';
import { bodyOf, checkValidation, iso, OPTIONAL_BODY, type Params } from './admin-parts.js';

export interface EventDeps {
  store: Store;
  /** The configured destinations' names: a replay goes to these only. */
  destinations: readonly string[];
  log: Logger;
}

function summaryBody(e: EventSummary) {
  return {
    id: e.id,
    source: e.source,
    type: e.type,
    state: e.state,
    received_at: iso(e.receivedAt),
    idempotency_key: e.idempotencyKey ?? null,
    duplicate_of: e.duplicateOf ?? null,
    destinations: e.deliveries.map((d) => ({ name: d.target, state: d.state })),
  };
}

function payloadOf(text: string | undefined): unknown {
  return text === undefined ? null : bodyOf(text);
}

function detailBody(e: EventRecord) {
  return {
    ...summaryBody(e),
    content_type: e.contentType ?? null,
    headers: redactedHeaders(e.headers),
    payload_kept: e.payload !== undefined,
    payload: payloadOf(e.payload),
    deliveries: e.deliveries.map((d) => ({
      destination: d.target,
      state: d.state,
      attempts: d.attempts.map((a) => ({
        at: iso(a.at),
        outcome: a.outcome,
        status: a.status ?? null,
        duration_ms: a.durationMs ?? null,
        error: a.error ?? null,
      })),
    })),
  };
}

/** A domain refusal, in the catalogue's terms. */
function refusalError(err: ReplayRefusedError) {
  switch (err.reason) {
    case 'not_found':
      return apiError('event_not_found', err.message);
    case 'unknown_destination':
      return apiError('unknown_destination', err.message);
    case 'no_target':
      return apiError('destination_not_configured', err.message);
    default:
      return apiError('event_not_replayable', err.message);
  }
}

export function eventRoutes(admin: FastifyInstance, deps: EventDeps): void {
  const { store, log } = deps;
  const configured = new Set(deps.destinations);
  const targets: ReplayTargets = { configured: (name) => configured.has(name) };
  const tags = ['event log'];

  /** A destination named in a request: configured here, or the handlers. */
  function checkDestination(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !NAME.test(value)) {
      throw apiError('invalid_filter', 'Invalid filter: destination is not a destination name.');
    }
    if (value !== HANDLERS_TARGET && !configured.has(value)) throw apiError('unknown_destination');
    return value;
  }

  admin.get(
    '/events',
    {
      attachValidation: true,
      schema: {
        summary: 'Search the event log, newest first, filtered and paged',
        tags,
        querystring: eventListQuerySchema,
        response: { 200: eventListResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      checkValidation(request);
      const search = parseEventSearch(request.query as Params, store.events);
      if (search.id !== undefined) {
        // Direct: the one event, if it also matches whatever else was given.
        const e = await store.events.get(search.id);
        const items = e && matchesFilter(e, search.filter) ? [summaryBody(e)] : [];
        return { items, next_cursor: null };
      }
      const page: EventPage = await store.events.list({
        filter: search.filter,
        limit: search.limit,
        ...(search.cursor !== undefined ? { cursor: search.cursor } : {}),
      });
      return {
        items: page.events.map(summaryBody),
        next_cursor: page.next ?? null,
        ...(page.scanned !== undefined ? { scanned: page.scanned } : {}),
      };
    },
  );

  admin.get(
    '/events/:eventId',
    {
      schema: {
        summary: 'One event, with its payload, headers, deliveries and attempts',
        tags,
        params: eventIdParamsSchema,
        response: { 200: eventDetailResponseSchema, ...errorResponses(404, 503) },
      },
    },
    async (request) => {
      const e = await store.events.get((request.params as { eventId: string }).eventId);
      if (!e) throw apiError('event_not_found');
      return detailBody(e);
    },
  );

  admin.post(
    '/events/:eventId/replay',
    {
      ...OPTIONAL_BODY,
      attachValidation: true,
      schema: {
        summary:
          'Deliver an event again, whatever became of it: to all its destinations, or to one',
        tags,
        params: eventIdParamsSchema,
        body: eventReplayBodySchema,
        response: { 200: eventReplayResponseSchema, ...errorResponses(400, 404, 409, 503) },
      },
    },
    async (request) => {
      checkValidation(request);
      const { eventId } = request.params as { eventId: string };
      const body = request.body as Params;
      onlyKnown(body, ['destination']);
      const destination = checkDestination(body.destination);
      try {
        const r = await replayEvent(store, eventId, destination, targets);
        log.info({ job_id: eventId, destinations: r.targets }, 'event replayed');
        return { id: eventId, status: 'queued', destinations: r.targets };
      } catch (err) {
        throw err instanceof ReplayRefusedError ? refusalError(err) : err;
      }
    },
  );

  admin.post(
    '/events/replay',
    {
      ...OPTIONAL_BODY,
      attachValidation: true,
      schema: {
        summary: 'Replay every matching event, or with dry_run count them; in batches',
        tags,
        body: bulkEventReplayBodySchema,
        response: { 200: bulkEventReplayResponseSchema, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      checkValidation(request);
      const body = request.body as Params;
      onlyKnown(body, [...EVENT_FILTER_PARAMS, 'dry_run', 'as_of', 'cursor', 'max']);
      const filter = parseEventFilter(body);
      const destination = checkDestination(body.destination);
      const asOf = body.as_of === null ? undefined : time('as_of', body.as_of);
      let cursor: string | undefined;
      if (body.cursor !== undefined && body.cursor !== null) {
        if (typeof body.cursor !== 'string' || !store.events.isCursor(body.cursor)) {
          throw apiError('invalid_cursor');
        }
        cursor = body.cursor;
      }
      const dryRun = body.dry_run === true;
      const r = await bulkReplayEvents(
        store,
        {
          filter,
          dryRun,
          asOf: asOf ?? Date.now(),
          max: typeof body.max === 'number' ? body.max : 1_000,
          ...(destination !== undefined ? { destination } : {}),
          ...(cursor !== undefined ? { cursor } : {}),
        },
        targets,
      );
      if (!dryRun) {
        // The filter's fields, not its values: `q` and `key` may be payload text.
        log.info(
          {
            replayed: r.replayed,
            skipped: r.skipped,
            done: r.next === undefined,
            filter: Object.keys(filter),
          },
          'events replayed',
        );
      }
      return {
        dry_run: dryRun,
        replayed: r.replayed,
        skipped: r.skipped,
        as_of: iso(r.asOf),
        done: r.next === undefined,
        cursor: r.next ?? null,
      };
    },
  );

  admin.get(
    '/stats/history',
    {
      attachValidation: true,
      schema: {
        summary: 'Per-minute counts over every instance: the last hour or the last 24 hours',
        tags,
        querystring: historyQuerySchema,
        response: { 200: historyResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      checkValidation(request);
      const q = request.query as Params;
      onlyKnown(q, ['window']);
      return historyWindow(store.history, (q.window as HistoryWindow) ?? '1h', Date.now());
    },
  );
}

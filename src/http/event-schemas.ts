/**
 * Schemas of the event-log admin routes: they describe the API (OpenAPI is
 * generated from them) and serialize the answers. Filter values are checked by
 * events/query.ts, which knows the rules and answers with catalogue codes.
 */
import { EVENT_STATES } from '../store/event-log.js';

const filterProperties = {
  source: { type: 'string', description: 'Source name, exactly (`default` for POST /webhooks).' },
  type: { type: 'string', description: 'Event type, exactly.' },
  state: { type: 'string', enum: [...EVENT_STATES], description: "The event's state." },
  destination: {
    type: 'string',
    description:
      'Events with a delivery to this destination (`handlers`: the in-process handlers).',
  },
  since: { type: 'string', description: 'Received at or after this RFC 3339 time.' },
  until: { type: 'string', description: 'Received before this RFC 3339 time.' },
  key: {
    type: 'string',
    description: 'The idempotency key (the event id a provider sent), exactly.',
  },
  q: {
    type: 'string',
    description:
      'A case-sensitive substring of the payload. On Redis a search scans a bounded window of the log per request: follow next_cursor.',
  },
} as const;

export const eventListQuerySchema = {
  type: 'object',
  properties: {
    ...filterProperties,
    id: { type: 'string', description: 'A job id: a direct lookup.' },
    cursor: { type: 'string', description: 'next_cursor of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
} as const;

export const eventIdParamsSchema = {
  type: 'object',
  required: ['eventId'],
  properties: { eventId: { type: 'string', description: "The event's job id." } },
} as const;

const time = { type: 'string', format: 'date-time' } as const;
const nullableString = { type: 'string', nullable: true } as const;

const summaryProperties = {
  id: { type: 'string' },
  source: { type: 'string' },
  type: { type: 'string' },
  state: { type: 'string', enum: [...EVENT_STATES] },
  received_at: time,
  idempotency_key: nullableString,
  duplicate_of: { ...nullableString, description: 'For a suppressed duplicate: the original.' },
  destinations: {
    type: 'array',
    items: {
      type: 'object',
      properties: { name: { type: 'string' }, state: { type: 'string' } },
    },
  },
} as const;

export const eventListResponseSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object', properties: summaryProperties } },
    next_cursor: {
      ...nullableString,
      description: 'Pass as cursor for the next page; null at the end.',
    },
    scanned: {
      type: 'integer',
      description: 'How many events this request read, when the store scanned (Redis).',
    },
  },
} as const;

export const eventDetailResponseSchema = {
  type: 'object',
  properties: {
    ...summaryProperties,
    content_type: nullableString,
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    payload_kept: { type: 'boolean', description: 'false when EVENT_LOG_PAYLOADS=false.' },
    payload: {
      description: 'The body as received (parsed JSON, or the text); null when not kept.',
    },
    deliveries: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          destination: { type: 'string' },
          state: { type: 'string' },
          attempts: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                at: time,
                outcome: { type: 'string', enum: ['delivered', 'failed', 'lost'] },
                status: { type: 'integer', nullable: true },
                duration_ms: { type: 'integer', nullable: true },
                error: nullableString,
              },
            },
          },
        },
      },
    },
  },
} as const;

export const eventReplayBodySchema = {
  type: 'object',
  nullable: true,
  properties: {
    destination: {
      type: 'string',
      description: 'Replay to this destination only (`handlers`: the in-process handlers).',
    },
  },
} as const;

export const eventReplayResponseSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['queued'] },
    destinations: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const bulkEventReplayBodySchema = {
  type: 'object',
  description: 'The filter, as for GET /admin/events. Run it with dry_run first to see the count.',
  properties: {
    ...filterProperties,
    destination: {
      type: 'string',
      description:
        'Events with a delivery to this destination, replayed to it alone. Without it, each event goes to all its destinations.',
    },
    dry_run: { type: 'boolean', default: false, description: 'Count, replay nothing.' },
    as_of: {
      type: 'string',
      nullable: true,
      description:
        "The run's bound, from a previous answer (a dry run's): events received at or after it are left out. Default: now.",
    },
    cursor: {
      type: 'string',
      nullable: true,
      description: 'Where the previous answer of the same run stopped.',
    },
    max: { type: 'integer', minimum: 1, maximum: 10_000, default: 1_000 },
  },
} as const;

export const bulkEventReplayResponseSchema = {
  type: 'object',
  properties: {
    dry_run: { type: 'boolean' },
    replayed: { type: 'integer', description: 'Replayed; in a dry run, that would be.' },
    skipped: {
      type: 'integer',
      description:
        'Matched but not replayed: duplicates, events without a payload, with no destination left, or still being delivered.',
    },
    as_of: time,
    done: { type: 'boolean' },
    cursor: { ...nullableString, description: 'Pass back with as_of to carry on; null when done.' },
  },
} as const;

export const historyQuerySchema = {
  type: 'object',
  properties: { window: { type: 'string', enum: ['1h', '24h'], default: '1h' } },
} as const;

const perMinute = { type: 'array', items: { type: 'integer' } } as const;
const perKey = { type: 'object', additionalProperties: perMinute } as const;

export const historyResponseSchema = {
  type: 'object',
  properties: {
    minutes: {
      type: 'array',
      items: { type: 'integer' },
      description: "Each minute's start, ms since the epoch.",
    },
    series: {
      type: 'object',
      properties: {
        accepted: perMinute,
        duplicates: perMinute,
        rejected: { ...perKey, description: 'By status class (4xx, 5xx).' },
        delivered: {
          ...perKey,
          description: 'By destination (`handlers`: the in-process handlers).',
        },
        failed: { ...perKey, description: 'Failed attempts, by destination.' },
        dead_lettered: perMinute,
      },
    },
  },
} as const;

/**
 * Schemas of the DLQ admin routes: they describe the API (OpenAPI is generated
 * from them) and serialize the answers. Filter values are checked by
 * dlq/filter.ts, which knows the rules and answers with catalogue codes.
 */

const filterProperties = {
  type: { type: 'string', description: 'Event type, exactly.' },
  source: { type: 'string', description: 'Source name, exactly (`default` for POST /webhooks).' },
  destination: {
    type: 'string',
    description: "A destination's name: the dead letters of its deliveries.",
  },
  failed_after: {
    type: 'string',
    description: 'Dead-lettered at or after this RFC 3339 time, e.g. 2026-01-31T12:00:00Z.',
  },
  failed_before: { type: 'string', description: 'Dead-lettered before this RFC 3339 time.' },
} as const;

const bulkProperties = {
  // Nullable: an answer's `"up_to":null` or `"cursor":null`, passed back as is, means
  // none (without it, validation would coerce null to "", an invalid cursor).
  up_to: {
    type: 'string',
    nullable: true,
    description:
      'The bound of a run, from the previous answer: entries dead-lettered after the run began are left alone. null: none (the newest entry now).',
  },
  cursor: {
    type: 'string',
    nullable: true,
    description: 'Where the previous answer of the same run stopped. null: from the start.',
  },
  max: {
    type: 'integer',
    minimum: 1,
    maximum: 10_000,
    default: 1_000,
    description:
      'The most entries this request handles; call again with up_to and cursor for more.',
  },
} as const;

export const listQuerySchema = {
  type: 'object',
  properties: {
    ...filterProperties,
    cursor: { type: 'string', description: 'next_cursor of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
} as const;

export const purgeQuerySchema = {
  type: 'object',
  properties: {
    ...filterProperties,
    ...bulkProperties,
    confirm: {
      type: 'boolean',
      description: 'Must be true: a purge deletes the matching entries for good.',
    },
  },
} as const;

export const bulkReplayBodySchema = {
  type: 'object',
  description: 'Every field is optional; an empty object replays every entry.',
  properties: { ...filterProperties, ...bulkProperties },
} as const;

export const idParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'A dead-letter entry id.' } },
} as const;

const time = { type: 'string', format: 'date-time' } as const;

const summaryProperties = {
  id: { type: 'string', description: 'The entry id (not the job id).' },
  job_id: { type: 'string' },
  event_type: { type: 'string' },
  source: { type: 'string' },
  destination: {
    type: ['string', 'null'],
    description: 'The destination of a dead delivery; null for a handler job.',
  },
  attempts: { type: 'integer', description: 'Attempts made before it was dead-lettered.' },
  last_error: { type: 'string' },
  first_seen: { ...time, description: 'When the webhook was accepted.' },
  failed_at: { ...time, description: 'When it was dead-lettered.' },
} as const;

const summaryRequired = Object.keys(summaryProperties);

export const listResponseSchema = {
  type: 'object',
  required: ['items', 'next_cursor'],
  properties: {
    items: {
      type: 'array',
      items: { type: 'object', required: summaryRequired, properties: summaryProperties },
    },
    next_cursor: {
      type: 'string',
      nullable: true,
      description:
        'Pass as cursor for the next page; null at the end. A page may hold fewer than limit items, even none, before the end.',
    },
  },
} as const;

export const entryResponseSchema = {
  type: 'object',
  required: [...summaryRequired, 'headers', 'payload'],
  properties: {
    ...summaryProperties,
    idempotency_key: { type: 'string', nullable: true },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'The request headers kept with the job; credentials and signatures redacted.',
    },
    payload: { description: 'The webhook body: parsed JSON, or the text if it is not JSON.' },
  },
} as const;

export const replayedResponseSchema = {
  type: 'object',
  required: ['id', 'job_id', 'status'],
  properties: {
    id: { type: 'string' },
    job_id: { type: 'string' },
    status: { type: 'string', enum: ['queued'] },
  },
} as const;

function bulkResponseSchema(countName: 'replayed' | 'purged') {
  return {
    type: 'object',
    required: [countName, 'done', 'up_to', 'cursor'],
    properties: {
      [countName]: { type: 'integer', description: 'Entries handled by this request.' },
      done: { type: 'boolean', description: 'True when no matching entry is left in the run.' },
      up_to: { type: 'string', nullable: true, description: 'Pass back with the next request.' },
      cursor: { type: 'string', nullable: true, description: 'Pass back with the next request.' },
    },
  } as const;
}

const bulkOnlyReplay = bulkResponseSchema('replayed');
export const bulkReplayResponseSchema = {
  ...bulkOnlyReplay,
  required: [...bulkOnlyReplay.required, 'skipped'],
  properties: {
    ...bulkOnlyReplay.properties,
    skipped: {
      type: 'integer',
      description:
        'Matching entries left in the DLQ because their destination is no longer configured.',
    },
  },
} as const;
export const purgeResponseSchema = bulkResponseSchema('purged');

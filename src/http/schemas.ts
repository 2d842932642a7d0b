// Route schemas carry OpenAPI fields (summary, description); this import types them.
import type {} from '@fastify/swagger';

/**
 * Response schemas shared by routes: they make serialization fast and describe
 * the API (OpenAPI is generated from them).
 */
export const errorResponseSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export const acceptedResponseSchema = {
  type: 'object',
  required: ['message', 'id', 'event', 'status'],
  properties: {
    message: { type: 'string' },
    id: { type: 'string' },
    event: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'duplicate'] },
  },
} as const;

export const healthResponseSchema = {
  type: 'object',
  required: ['status', 'queue_size', 'pending', 'dlq_size', 'workers', 'is_stopped'],
  properties: {
    status: { type: 'string', enum: ['healthy', 'unhealthy'] },
    queue_size: { type: 'integer', description: 'Accepted, not yet handed to a worker.' },
    pending: { type: 'integer', description: 'Handed to a worker, not yet finished.' },
    scheduled: { type: 'integer', description: 'Failed attempts waiting for their retry.' },
    dlq_size: { type: 'integer' },
    workers: { type: 'integer', description: 'WORKER_COUNT of this instance.' },
    workers_busy: { type: 'integer' },
    is_stopped: { type: 'boolean' },
    store: { type: 'string' },
    ingest: {
      type: 'boolean',
      description: 'false on a worker-only instance (HTTP_INGEST=false).',
    },
    backlog: {
      type: 'integer',
      description:
        'Waiting + in progress + scheduled, all instances (last sample plus what this instance accepted since).',
    },
    backlog_limit: { type: 'integer', description: 'QUEUE_SIZE: at this backlog, 503 queue_full.' },
    ingest_inflight: { type: 'integer', description: 'Store writes this instance is waiting on.' },
    ingest_inflight_limit: {
      type: 'integer',
      description: 'INGEST_MAX_INFLIGHT: at this many, 503 overloaded.',
    },
    reason: { type: 'string' },
    destinations: {
      type: 'array',
      description:
        "Each destination's state as this instance last read it from the store (every few seconds); absent without destinations or workers.",
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          state: { type: 'string', enum: ['closed', 'open', 'paused'] },
          backlog: { type: 'integer' },
        },
      },
    },
    warning: {
      type: 'string',
      description:
        'Present while Redis memory is past 90% of maxmemory (sampled every BACKLOG_SAMPLE_INTERVAL); at the limit ingest answers 503 store_unavailable.',
    },
  },
} as const;

/** `{ 400: errorResponseSchema, … }` for the listed statuses. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorResponseSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponseSchema]));
}

/**
 * The DLQ admin routes, registered inside the /admin plugin (and so behind its
 * bearer guard):
 *
 *   GET    /admin/dlq               a page of entries, filtered
 *   GET    /admin/dlq/:id           one entry with its payload and headers
 *   POST   /admin/dlq/:id/replay    back to the queue, fresh attempt count
 *   POST   /admin/dlq/replay        every matching entry, in batches
 *   DELETE /admin/dlq/:id           one entry, for good
 *   DELETE /admin/dlq?confirm=true  every matching entry, for good
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type BulkAction, type BulkResult, bulkDeadLetters } from '../../dlq/bulk.js';
import { FILTER_PARAMS, onlyKnown, parseCursor, parseFilter } from '../../dlq/filter.js';
import { apiError } from '../../errors.js';
import { redactedHeaders } from '../../ingest/headers.js';
import type { DeadLetterEntry, DeadLetterSummary, DeadLetters } from '../../store/store.js';
import {
  bulkReplayBodySchema,
  bulkReplayResponseSchema,
  entryResponseSchema,
  idParamsSchema,
  listQuerySchema,
  listResponseSchema,
  purgeQuerySchema,
  purgeResponseSchema,
  replayedResponseSchema,
} from '../dlq-schemas.js';
import { errorResponses } from '../schemas.js';
import { bodyOf, checkValidation, iso, OPTIONAL_BODY, type Params } from './admin-parts.js';

export interface DlqDeps {
  deadLetters: DeadLetters;
  /** The configured destinations' names: a dead delivery of any other is not replayed. */
  destinations: readonly string[];
  log: Logger;
}

function summaryBody(e: DeadLetterSummary) {
  return {
    id: e.dlqId,
    job_id: e.jobId,
    event_type: e.type,
    source: e.source,
    destination: e.destination ?? null,
    attempts: e.attempts,
    last_error: e.lastError,
    first_seen: iso(e.receivedAt),
    failed_at: iso(e.failedAt),
  };
}

function entryBody(e: DeadLetterEntry) {
  const payload = bodyOf(e.job.payload);
  return {
    ...summaryBody({
      dlqId: e.dlqId,
      jobId: e.job.id,
      type: e.job.type,
      source: e.job.source,
      ...(e.job.destination !== undefined ? { destination: e.job.destination } : {}),
      receivedAt: e.job.receivedAt,
      attempts: e.attempts,
      lastError: e.lastError,
      failedAt: e.failedAt,
    }),
    idempotency_key: e.job.idempotencyKey ?? null,
    headers: redactedHeaders(e.job.headers),
    payload,
  };
}

export function dlqRoutes(admin: FastifyInstance, deps: DlqDeps): void {
  const { deadLetters: dlq, log } = deps;
  const configured = new Set(deps.destinations);
  const isConfigured = (destination: string) => configured.has(destination);
  const tags = ['dead-letter queue'];

  async function bulk(action: BulkAction, params: Params): Promise<BulkResult> {
    const filter = parseFilter(params);
    const result = await bulkDeadLetters(dlq, action, {
      filter,
      max: typeof params.max === 'number' ? params.max : 1_000,
      ...optional('upTo', parseCursor(dlq, params.up_to)),
      ...optional('after', parseCursor(dlq, params.cursor)),
      configured: isConfigured,
    });
    log.info(
      {
        action,
        count: result.count,
        skipped: result.skipped,
        done: result.next === undefined,
        filter,
      },
      action === 'replay' ? 'dead letters replayed' : 'dead letters purged',
    );
    return result;
  }

  admin.get(
    '/dlq',
    {
      attachValidation: true,
      schema: {
        summary: 'List dead letters, oldest first, filtered and paged',
        tags,
        querystring: listQuerySchema,
        response: { 200: listResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      checkValidation(request);
      const q = request.query as Params;
      onlyKnown(q, [...FILTER_PARAMS, 'cursor', 'limit']);
      const after = parseCursor(dlq, q.cursor);
      const page = await dlq.list({
        filter: parseFilter(q),
        limit: typeof q.limit === 'number' ? q.limit : 50,
        ...optional('after', after),
      });
      return { items: page.entries.map(summaryBody), next_cursor: page.next ?? null };
    },
  );

  admin.get(
    '/dlq/:id',
    {
      schema: {
        summary: 'One dead letter, with its payload and headers (signatures redacted)',
        tags,
        params: idParamsSchema,
        response: { 200: entryResponseSchema, ...errorResponses(404, 503) },
      },
    },
    async (request) => {
      const entry = await dlq.get((request.params as { id: string }).id);
      if (!entry) throw apiError('dlq_entry_not_found');
      return entryBody(entry);
    },
  );

  admin.post(
    '/dlq/:id/replay',
    {
      schema: {
        summary: 'Queue a dead letter again with a fresh attempt count (once: a repeat is 404)',
        tags,
        params: idParamsSchema,
        response: { 200: replayedResponseSchema, ...errorResponses(404, 409, 503) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const entry = await dlq.get(id);
      if (!entry) throw apiError('dlq_entry_not_found');
      const destination = entry.job.destination;
      if (destination && !isConfigured(destination)) {
        throw apiError(
          'destination_not_configured',
          `The dead letter belongs to destination ${destination}, which is no longer configured: a replay would deliver it nowhere. Add it back to the config file, or delete the entry.`,
        );
      }
      if ((await dlq.replay([id])) === 0) throw apiError('dlq_entry_not_found');
      log.info({ dlq_id: id, job_id: entry.job.id }, 'dead letter replayed');
      return { id, job_id: entry.job.id, status: 'queued' };
    },
  );

  admin.post(
    '/dlq/replay',
    {
      ...OPTIONAL_BODY,
      attachValidation: true,
      schema: {
        summary: 'Replay every matching dead letter, in batches; safe to interrupt and repeat',
        tags,
        body: bulkReplayBodySchema,
        response: { 200: bulkReplayResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      checkValidation(request);
      const body = request.body as Params;
      onlyKnown(body, [...FILTER_PARAMS, 'up_to', 'cursor', 'max']);
      const r = await bulk('replay', body);
      return { replayed: r.count, skipped: r.skipped, ...progress(r) };
    },
  );

  admin.delete(
    '/dlq/:id',
    {
      schema: {
        summary: 'Delete one dead letter for good',
        tags,
        params: idParamsSchema,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...errorResponses(404, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if ((await dlq.remove([id])) === 0) throw apiError('dlq_entry_not_found');
      log.info({ dlq_id: id }, 'dead letter deleted');
      reply.code(204);
    },
  );

  admin.delete(
    '/dlq',
    {
      attachValidation: true,
      schema: {
        summary: 'Delete every matching dead letter for good (needs confirm=true), in batches',
        tags,
        querystring: purgeQuerySchema,
        response: { 200: purgeResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      checkValidation(request);
      const q = request.query as Params;
      onlyKnown(q, [...FILTER_PARAMS, 'up_to', 'cursor', 'max', 'confirm']);
      if (q.confirm !== true) throw apiError('confirmation_required');
      const r = await bulk('remove', q);
      return { purged: r.count, ...progress(r) };
    },
  );
}

function progress(r: BulkResult) {
  return { done: r.next === undefined, up_to: r.upTo ?? null, cursor: r.next ?? null };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

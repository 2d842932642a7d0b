/**
 * POST /webhooks: the ingest endpoint.
 */
import type { FastifyInstance } from 'fastify';
import { apiError } from '../../errors.js';
import { eventTypeOf, idempotencyKeyOf } from '../../ingest/event.js';
import { recordedHeaders } from '../../ingest/headers.js';
import type { AcceptResult, Ingestor } from '../../ingest/ingestor.js';
import type { RateLimits } from '../../ingest/rate-limit.js';
import type { Metrics } from '../../metrics.js';
import { ingestRefusalHook } from '../ingest-refusal.js';
import { acceptedResponseSchema, errorResponses } from '../schemas.js';

export const DEFAULT_SOURCE = 'default';
const ACCEPTED_MESSAGE = 'Webhook accepted for processing';

export interface AcceptedBody {
  message: string;
  id: string;
  event: string;
  status: 'queued' | 'duplicate';
}

export interface WebhookDeps {
  ingestor: Ingestor;
  metrics: Metrics;
  limits: RateLimits;
}

/** Counts the outcome and builds the 202 body (shared by every ingest route). */
export function acceptedBody(metrics: Metrics, result: AcceptResult, event: string): AcceptedBody {
  metrics.received.inc({ outcome: result.duplicate ? 'duplicate' : 'accepted' });
  return {
    message: ACCEPTED_MESSAGE,
    id: result.id,
    event,
    status: result.duplicate ? 'duplicate' : 'queued',
  };
}

export function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): void {
  const { ingestor, metrics, limits } = deps;
  app.post(
    '/webhooks',
    {
      // Shed load and limit clients before the body is read: no parsing, no store write.
      onRequest: [
        ingestRefusalHook(ingestor, metrics),
        async (request) => limits.checkIp(request.ip),
      ],
      schema: {
        summary: 'Accept a webhook event for processing',
        headers: {
          type: 'object',
          properties: {
            'x-event-type': {
              type: 'string',
              description: 'Event type; else the payload "type", then "event", else "generic".',
            },
            'idempotency-key': {
              type: 'string',
              description: 'Deduplication key; else the payload "id".',
            },
          },
        },
        response: { 202: acceptedResponseSchema, ...errorResponses(400, 413, 415, 429, 503) },
      },
    },
    async (request, reply): Promise<AcceptedBody> => {
      const payload = request.body as Record<string, unknown> | undefined;
      if (payload === undefined || request.bodyText === undefined)
        throw apiError('unsupported_media_type');
      const event = eventTypeOf(request.headers['x-event-type'], payload);
      const idempotencyKey = idempotencyKeyOf(
        request.headers['idempotency-key'],
        payload,
        request.bodyText,
      );
      await limits.checkSource(DEFAULT_SOURCE, undefined);
      const result = await ingestor.accept({
        source: DEFAULT_SOURCE,
        eventType: event,
        rawBody: request.bodyText,
        payload,
        contentType: request.headers['content-type'],
        idempotencyKey,
        headers: recordedHeaders(request.headers),
      });
      reply.code(202);
      return acceptedBody(metrics, result, event);
    },
  );
}

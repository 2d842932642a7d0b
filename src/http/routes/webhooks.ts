/**
 * POST /webhooks: the spec's ingest endpoint.
 */
import type { FastifyInstance } from 'fastify';
import { apiError } from '../../errors.js';
import { eventTypeOf, idempotencyKeyOf } from '../../ingest/event.js';
import type { Ingestor } from '../../ingest/ingestor.js';
import type { Metrics } from '../../metrics.js';
import { refuse } from '../error-handler.js';
import { acceptedResponseSchema, errorResponses } from '../schemas.js';

export const DEFAULT_SOURCE = 'default';
const ACCEPTED_MESSAGE = 'Webhook accepted for processing';

export interface AcceptedBody {
  message: string;
  id: string;
  event: string;
  status: 'queued' | 'duplicate';
}

export function webhookRoutes(
  app: FastifyInstance,
  deps: { ingestor: Ingestor; metrics: Metrics },
): void {
  const { ingestor, metrics } = deps;
  app.post(
    '/webhooks',
    {
      // Shed load before the body is read: no parsing, no store call, no exception.
      onRequest: (_request, reply, done) => {
        const refusal = ingestor.refusal();
        if (refusal === undefined) done();
        else refuse(reply, refusal, metrics);
      },
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
        response: { 202: acceptedResponseSchema, ...errorResponses(400, 413, 415, 503) },
      },
    },
    async (request, reply): Promise<AcceptedBody> => {
      const payload = request.body as Record<string, unknown> | undefined;
      if (payload === undefined || request.bodyText === undefined)
        throw apiError('unsupported_media_type');
      const event = eventTypeOf(request.headers['x-event-type'], payload);
      const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key'], payload);
      const result = await ingestor.accept({
        source: DEFAULT_SOURCE,
        eventType: event,
        rawBody: request.bodyText,
        idempotencyKey,
      });
      metrics.received.inc({ outcome: result.duplicate ? 'duplicate' : 'accepted' });
      reply.code(202);
      return {
        message: ACCEPTED_MESSAGE,
        id: result.id,
        event,
        status: result.duplicate ? 'duplicate' : 'queued',
      };
    },
  );
}

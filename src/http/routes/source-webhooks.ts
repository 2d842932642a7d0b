/**
 * POST /webhooks/:source: a configured source, verified with its provider's scheme.
 *
 * Order of checks, cheapest and least revealing first:
 *   before the body   unknown source 404, load shedding 503, per-IP limit 429,
 *                     body too large 413 (from Content-Length);
 *   raw bytes         signature 401 (one code, whatever failed);
 *   once trusted      content type 415, JSON 400, an inline reply (Slack's
 *                     handshake), the per-source limit 429, then the store write.
 * The body is neither parsed nor judged until the signature holds, so a forger
 * learns nothing beyond "not verified".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from '../../errors.js';
import {
  eventTypeOf,
  idempotencyKeyOf,
  providerDeliveryId,
  providerEventType,
} from '../../ingest/event.js';
import { recordedHeaders } from '../../ingest/headers.js';
import type { Source, SourceRegistry } from '../../sources/registry.js';
import { ingestRefusalHook } from '../ingest-refusal.js';
import { decodeJsonObject, installRawBody, isJsonContentType } from '../json-body.js';
import { acceptedResponseSchema, errorResponses } from '../schemas.js';
import { type AcceptedBody, acceptedBody, type WebhookDeps } from './webhooks.js';

export interface SourceWebhookDeps extends WebhookDeps {
  sources: SourceRegistry;
}

const EMPTY = Buffer.alloc(0);

export function sourceWebhookRoutes(app: FastifyInstance, deps: SourceWebhookDeps): void {
  const { ingestor, metrics, limits, sources } = deps;

  const sourceOf = (request: FastifyRequest): Source => {
    const source = sources.get((request.params as { source: string }).source);
    if (!source) throw apiError('unknown_source');
    return source;
  };

  // Its own scope: the raw-body parser must not replace the JSON parser of other routes.
  app.register(async (scope) => {
    installRawBody(scope);
    scope.post(
      '/webhooks/:source',
      {
        onRequest: [
          async (request) => {
            sourceOf(request);
          },
          ingestRefusalHook(ingestor, metrics),
          async (request) => limits.checkIp(request.ip),
        ],
        schema: {
          summary: 'Accept a webhook from a configured, signature-verified source',
          params: {
            type: 'object',
            properties: {
              source: {
                type: 'string',
                description: 'A source name from the config file (CONFIG_FILE).',
              },
            },
          },
          response: {
            200: {
              type: 'object',
              description: "Slack's url_verification handshake, answered on the spot.",
              properties: { challenge: { type: 'string' } },
            },
            202: acceptedResponseSchema,
            ...errorResponses(400, 401, 404, 413, 415, 429, 503),
          },
        },
      },
      async (request, reply): Promise<AcceptedBody | Record<string, unknown>> => {
        const source = sourceOf(request);
        const rawBody = request.rawBody ?? EMPTY;
        const verdict = source.scheme.verify({ headers: request.headers, rawBody }, Date.now());
        if (!verdict.ok) {
          metrics.signatureFailures.inc({ source: source.name });
          // The reason and the header's name, never its value or any secret.
          request.log.debug(
            { source: source.name, reason: verdict.reason, header: verdict.header },
            'webhook signature not verified',
          );
          throw apiError('invalid_signature');
        }
        if (!isJsonContentType(request.headers['content-type'])) {
          throw apiError('unsupported_media_type');
        }
        const { value: payload, text } = decodeJsonObject(rawBody);
        const inline = source.scheme.inlineReply?.(payload);
        if (inline) {
          reply.code(inline.status);
          return inline.body;
        }
        const identity = source.scheme.identify(request.headers, payload);
        const event =
          identity.eventType !== undefined
            ? providerEventType(identity.eventType)
            : eventTypeOf(undefined, payload);
        const idempotencyKey =
          identity.deliveryId !== undefined
            ? providerDeliveryId(identity.deliveryId)
            : idempotencyKeyOf(undefined, payload, text);
        await limits.checkSource(source.name, source.rateLimit);
        const result = await ingestor.accept({
          source: source.name,
          eventType: event,
          rawBody: text,
          payload,
          contentType: request.headers['content-type'],
          idempotencyKey,
          headers: recordedHeaders(request.headers, source.scheme.signatureHeaders),
        });
        reply.code(202);
        return acceptedBody(metrics, result, event);
      },
    );
  });
}

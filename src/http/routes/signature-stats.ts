/**
 * GET /admin/stats/signatures: how many requests each configured source refused
 * because their signature did not verify, registered inside the /admin plugin
 * (and so behind its bearer guard).
 *
 * The figures are the `webhook_signature_failures_total` counter's, so they
 * cover this instance since it started; every configured source is listed,
 * with 0 until its first failure, so a quiet source reads as quiet, not absent.
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.js';
import { errorResponses } from '../schemas.js';

export interface SignatureStatsDeps {
  metrics: Metrics;
  /** The configured sources' names. */
  sources: readonly string[];
}

const responseSchema = {
  type: 'object',
  properties: {
    sources: {
      type: 'array',
      items: {
        type: 'object',
        properties: { source: { type: 'string' }, failures: { type: 'integer' } },
      },
    },
  },
} as const;

export function signatureStatsRoutes(admin: FastifyInstance, deps: SignatureStatsDeps): void {
  admin.get(
    '/stats/signatures',
    {
      schema: {
        summary: 'Signature failures by source, on this instance since it started',
        tags: ['sources'],
        response: { 200: responseSchema, ...errorResponses(401) },
      },
    },
    async () => {
      const counted = new Map<string, number>();
      for (const v of (await deps.metrics.signatureFailures.get()).values) {
        counted.set(String(v.labels.source), v.value);
      }
      return {
        sources: deps.sources.map((source) => ({ source, failures: counted.get(source) ?? 0 })),
      };
    },
  );
}

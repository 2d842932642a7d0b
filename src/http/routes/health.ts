/**
 * GET /health (the spec's shape) and GET /metrics.
 */
import type { FastifyInstance } from 'fastify';
import type { BacklogMonitor } from '../../ingest/backlog.js';
import type { Metrics } from '../../metrics.js';
import type { WorkerPool } from '../../worker/pool.js';
import { healthResponseSchema } from '../schemas.js';

export interface HealthDeps {
  backlog: BacklogMonitor;
  pool: WorkerPool;
  metrics: Metrics;
  storeKind: string;
  isStopping: () => boolean;
}

export function healthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Service health and queue figures',
        response: { 200: healthResponseSchema, 503: healthResponseSchema },
      },
    },
    async (_request, reply) => {
      const stopping = deps.isStopping();
      if (!stopping) await deps.backlog.sample();
      const stats = deps.backlog.stats;
      const healthy = !stopping && deps.backlog.storeUp;
      reply.code(healthy ? 200 : 503);
      return {
        status: healthy ? 'healthy' : 'unhealthy',
        queue_size: stats?.waiting ?? 0,
        pending: stats?.inProgress ?? 0,
        scheduled: stats?.scheduled ?? 0,
        dlq_size: stats?.dead ?? 0,
        workers: deps.pool.size,
        workers_busy: deps.pool.busy,
        is_stopped: stopping,
        store: deps.storeKind,
        ...(healthy ? {} : { reason: stopping ? 'shutting down' : 'queue store unreachable' }),
      };
    },
  );

  app.get('/metrics', { schema: { summary: 'Prometheus metrics' } }, async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

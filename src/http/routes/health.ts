/**
 * GET /health (its documented shape) and GET /metrics.
 */
import type { FastifyInstance } from 'fastify';
import type { BacklogMonitor } from '../../ingest/backlog.js';
import type { Ingestor } from '../../ingest/ingestor.js';
import { unavailability } from '../../ingest/refusal.js';
import type { Metrics } from '../../metrics.js';
import type { WorkerPool } from '../../worker/pool.js';
import { healthResponseSchema } from '../schemas.js';
import { UNAVAILABLE_REASONS } from './probes.js';

export interface HealthDeps {
  backlog: BacklogMonitor;
  ingestor: Ingestor;
  /** HTTP_INGEST: false on a worker-only instance. */
  ingestEnabled: boolean;
  pool: WorkerPool;
  metrics: Metrics;
  storeKind: string;
  isStopping: () => boolean;
  /** Each destination's last sampled state, when this instance delivers. */
  destinations?: () => readonly { name: string; state: string; backlog: number }[];
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
      const down = unavailability({
        stopping,
        storeUp: deps.backlog.storeUp,
        diskFull: deps.backlog.diskFull,
      });
      const healthy = down === undefined;
      // A warning does not make the instance unhealthy: it still drains, and may ingest.
      const warning = deps.backlog.memoryWarning;
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
        ingest: deps.ingestEnabled,
        // Both backpressure levels, as ingest judges them: 503 queue_full once
        // backlog >= backlog_limit, 503 overloaded once ingest_inflight reaches its limit.
        backlog: deps.backlog.backlog,
        backlog_limit: deps.backlog.limit,
        ingest_inflight: deps.ingestor.inflightWrites,
        ingest_inflight_limit: deps.ingestor.maxInflightWrites,
        ...(down === undefined ? {} : { reason: UNAVAILABLE_REASONS[down] }),
        ...(warning === undefined ? {} : { warning }),
        ...(deps.destinations ? { destinations: deps.destinations() } : {}),
      };
    },
  );

  app.get('/metrics', { schema: { summary: 'Prometheus metrics' } }, async (_request, reply) => {
    deps.backlog.publish();
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

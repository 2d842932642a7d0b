/**
 * Probes for orchestrators: GET /health/live (the process answers) and
 * GET /health/ready (this instance should get traffic: the store is reachable
 * and its disk not full, it is not shutting down, and its workers are running).
 * GET /health keeps its documented shape beside them.
 */
import type { FastifyInstance } from 'fastify';
import type { BacklogMonitor } from '../../ingest/backlog.js';
import { type Unavailability, unavailability } from '../../ingest/refusal.js';
import type { WorkerPool } from '../../worker/pool.js';

export interface ProbeDeps {
  backlog: BacklogMonitor;
  pool: WorkerPool;
  isStopping: () => boolean;
}

const readySchema = {
  type: 'object',
  required: ['status', 'store', 'shutting_down', 'workers'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    store: { type: 'string', enum: ['up', 'down'], description: 'The queue store answered.' },
    shutting_down: { type: 'boolean' },
    workers: {
      type: 'string',
      enum: ['running', 'stopped', 'none'],
      description: '`none` on an ingest-only instance (WORKER_COUNT=0).',
    },
    reason: { type: 'string' },
  },
} as const;

/** The `reason` /health and /health/ready give for an instance unfit for traffic. */
export const UNAVAILABLE_REASONS: Record<Unavailability, string> = {
  shutting_down: 'shutting down',
  store_unreachable: 'queue store unreachable',
  disk_full: 'disk_full',
};

export function probeRoutes(app: FastifyInstance, deps: ProbeDeps): void {
  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process is up and its event loop answers',
        tags: ['health'],
        response: {
          200: {
            type: 'object',
            required: ['status'],
            properties: { status: { type: 'string', enum: ['alive'] } },
          },
        },
      },
    },
    async () => ({ status: 'alive' }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        summary:
          'Readiness: store reachable and its disk not full, not shutting down, workers running',
        tags: ['health'],
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const stopping = deps.isStopping();
      if (!stopping) await deps.backlog.sample();
      const storeUp = deps.backlog.storeUp;
      const workers = deps.pool.size === 0 ? 'none' : deps.pool.isRunning ? 'running' : 'stopped';
      const down = unavailability({ stopping, storeUp, diskFull: deps.backlog.diskFull });
      const reason =
        down !== undefined
          ? UNAVAILABLE_REASONS[down]
          : workers === 'stopped'
            ? 'workers not running'
            : undefined;
      reply.code(reason === undefined ? 200 : 503);
      return {
        status: reason === undefined ? 'ready' : 'not_ready',
        store: storeUp ? 'up' : 'down',
        shutting_down: stopping,
        workers,
        ...(reason === undefined ? {} : { reason }),
      };
    },
  );
}

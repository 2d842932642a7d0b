/**
 * The destination admin routes, registered inside the /admin plugin (and so
 * behind its bearer guard):
 *
 *   GET  /admin/destinations              every destination's state, backlog and latency
 *   POST /admin/destinations/:name/pause  hold its deliveries (every instance)
 *   POST /admin/destinations/:name/resume deliver again
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DestinationConfig } from '../../delivery/destination.js';
import { type Latency, NO_LATENCY } from '../../delivery/latency.js';
import { destinationOverview } from '../../delivery/overview.js';
import { apiError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { errorResponses } from '../schemas.js';

export interface DestinationRouteDeps {
  destinations: readonly DestinationConfig[];
  store: Store;
  /** Each destination's delivery latency on this instance, by name. */
  latencies: () => Promise<Map<string, Latency>>;
  log: Logger;
}

const overviewSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    url: { type: 'string', description: 'Credentials in it are redacted.' },
    state: { type: 'string', enum: ['closed', 'open', 'paused'] },
    waiting: { type: 'integer' },
    in_flight: { type: 'integer' },
    scheduled: { type: 'integer' },
    open_until: { type: ['string', 'null'] },
    last_error: { type: ['string', 'null'] },
    last_error_at: { type: ['string', 'null'] },
    success_rate_5m: { type: ['number', 'null'] },
    attempts_5m: { type: 'integer' },
    p50_ms: {
      type: ['number', 'null'],
      description:
        'Median attempt duration on this instance since it started (from webhook_delivery_duration_seconds); null before the first attempt.',
    },
    p99_ms: { type: ['number', 'null'], description: 'The 99th percentile, likewise.' },
  },
} as const;

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 63 } },
} as const;

export function destinationRoutes(app: FastifyInstance, deps: DestinationRouteDeps): void {
  const byName = new Map(deps.destinations.map((d) => [d.name, d]));
  /** The store's view of a destination, with this instance's latency. */
  async function overview(d: DestinationConfig, latencies: Map<string, Latency>) {
    const { p50_ms, p99_ms } = latencies.get(d.name) ?? NO_LATENCY;
    return { ...(await destinationOverview(deps.store, d)), p50_ms, p99_ms };
  }
  const find = (name: string): DestinationConfig => {
    const d = byName.get(name);
    if (!d) throw apiError('unknown_destination');
    return d;
  };

  app.get(
    '/destinations',
    {
      schema: {
        summary: "Every destination's state, backlog and recent success rate",
        response: {
          200: {
            type: 'object',
            properties: { destinations: { type: 'array', items: overviewSchema } },
          },
          ...errorResponses(503),
        },
      },
    },
    async () => {
      const latencies = await deps.latencies();
      return {
        destinations: await Promise.all(deps.destinations.map((d) => overview(d, latencies))),
      };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { name: string } }>(
      `/destinations/:name/${action}`,
      {
        schema: {
          summary:
            action === 'pause'
              ? 'Hold every delivery to this destination until resumed'
              : 'Deliver to this destination again',
          params: nameParams,
          response: { 200: overviewSchema, ...errorResponses(404, 503) },
        },
      },
      async (request) => {
        const d = find(request.params.name);
        await deps.store.destinations.setPaused(d.name, action === 'pause');
        deps.log.warn({ destination: d.name }, `destination ${action}d by an operator`);
        return overview(d, await deps.latencies());
      },
    );
  }
}

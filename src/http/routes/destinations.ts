/**
 * The destination admin routes, registered inside the /admin plugin (and so
 * behind its bearer guard):
 *
 *   GET  /admin/destinations              every destination's state and backlog
 *   POST /admin/destinations/:name/pause  hold its deliveries (every instance)
 *   POST /admin/destinations/:name/resume deliver again
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DestinationConfig } from '../../delivery/destination.js';
import { destinationOverview } from '../../delivery/overview.js';
import { apiError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { errorResponses } from '../schemas.js';

export interface DestinationRouteDeps {
  destinations: readonly DestinationConfig[];
  store: Store;
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
  },
} as const;

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 63 } },
} as const;

export function destinationRoutes(app: FastifyInstance, deps: DestinationRouteDeps): void {
  const byName = new Map(deps.destinations.map((d) => [d.name, d]));
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
    async () => ({
      destinations: await Promise.all(
        deps.destinations.map((d) => destinationOverview(deps.store, d)),
      ),
    }),
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
        return destinationOverview(deps.store, d);
      },
    );
  }
}

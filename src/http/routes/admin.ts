/**
 * The /admin routes: everything that reveals or changes state: operators' routes.
 *
 * They exist only when ADMIN_TOKEN is set (otherwise they are not registered, so
 * they answer 404, never open), and every one of them, including unknown paths
 * under /admin, passes the bearer guard first. Add admin routes inside the
 * plugin below so that they inherit the guard.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type Config, redactedConfig } from '../../config/config.js';
import type { Secret } from '../../config/secret.js';
import { deliveryLatencies } from '../../delivery/latency.js';
import type { Metrics } from '../../metrics.js';
import type { StoreDriver } from '../../store/driver.js';
import type { DeadLetters, Store } from '../../store/store.js';
import { adminGuard } from '../admin-auth.js';
import { sendNoRoute } from '../error-handler.js';
import { ADMIN_SECURITY } from '../openapi.js';
import { errorResponseSchema, errorResponses } from '../schemas.js';
import { destinationRoutes } from './destinations.js';
import { dlqRoutes } from './dlq.js';
import { eventRoutes } from './events.js';
import { signatureStatsRoutes } from './signature-stats.js';

export interface AdminDeps {
  token: Secret;
  config: Config;
  /** The store drivers the config was read with (each redacts its own settings). */
  storeDrivers: readonly StoreDriver[];
  deadLetters: DeadLetters;
  /** For the destination routes. */
  store: Store;
  /** For the figures that only this instance's metrics hold: latency, signature failures. */
  metrics: Metrics;
  log: Logger;
}

export function adminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.register(
    async (admin) => {
      admin.addHook('onRequest', adminGuard(deps.token));
      // Every admin route is described as needing the token, and as answering 401 without it.
      admin.addHook('onRoute', (route) => {
        route.schema = {
          ...route.schema,
          security: ADMIN_SECURITY,
          response: { 401: errorResponseSchema, ...(route.schema?.response as object) },
        };
      });
      admin.setNotFoundHandler((request, reply) => {
        sendNoRoute(admin, request, reply);
        return reply;
      });

      admin.get(
        '/config',
        {
          schema: {
            summary: 'The running configuration, with every secret redacted',
            response: {
              200: {
                type: 'object',
                additionalProperties: true,
                description: 'Every setting; secrets appear as [redacted].',
              },
              ...errorResponses(401),
            },
          },
        },
        async () => redactedConfig(deps.config, { storeDrivers: deps.storeDrivers }),
      );

      dlqRoutes(admin, {
        deadLetters: deps.deadLetters,
        destinations: deps.config.destinations.map((d) => d.name),
        log: deps.log,
      });
      eventRoutes(admin, {
        store: deps.store,
        destinations: deps.config.destinations.map((d) => d.name),
        log: deps.log,
      });
      destinationRoutes(admin, {
        destinations: deps.config.destinations,
        store: deps.store,
        latencies: () => deliveryLatencies(deps.metrics.registry),
        log: deps.log,
      });
      signatureStatsRoutes(admin, {
        metrics: deps.metrics,
        sources: deps.config.sources.map((s) => s.name),
      });
    },
    { prefix: '/admin' },
  );
}

/**
 * The service's routes as a Fastify plugin, to mount in an application of your
 * own: `app.register(service.plugin, { prefix: '/hooks' })`.
 *
 * The plugin is encapsulated: its JSON body parser (which keeps the raw body for
 * signatures) and its error handler (the catalogue's `{ error: { code } }`
 * answers) apply to its own routes, never to the host's. The host's not-found
 * handler and listener stay the host's; load shedding at the socket edge and the
 * OpenAPI document belong to the service's own server and are not part of it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { installErrorHandling } from './error-handler.js';
import { installJsonBody } from './json-body.js';
import { type HttpDeps, mountRoutes } from './server.js';

export function serviceRoutesPlugin(deps: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    installJsonBody(app);
    // Refusals are counted on the plugin's ingest routes, wherever it is mounted.
    installErrorHandling(app, deps.metrics, (url) => url.includes('/webhooks'), {
      bodyLimitBytes: deps.config.bodyLimitBytes,
      notFound: false,
    });
    mountRoutes(app, deps, { openApi: false });
  };
}

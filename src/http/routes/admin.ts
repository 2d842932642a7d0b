/**
 * The /admin routes: everything that reveals or changes state beyond the spec.
 *
 * They exist only when ADMIN_TOKEN is set (otherwise they are not registered, so
 * they answer 404, never open), and every one of them, including unknown paths
 * under /admin, passes the bearer guard first. Add admin routes inside the
 * plugin below so that they inherit the guard.
 */
import type { FastifyInstance } from 'fastify';
import { type Config, redactedConfig } from '../../config/config.js';
import type { Secret } from '../../config/secret.js';
import { ApiError, errorBody } from '../../errors.js';
import { adminGuard } from '../admin-auth.js';
import { errorResponses } from '../schemas.js';

export interface AdminDeps {
  token: Secret;
  config: Config;
}

export function adminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.register(
    async (admin) => {
      admin.addHook('onRequest', adminGuard(deps.token));
      admin.setNotFoundHandler((_request, reply) =>
        reply.code(404).send(errorBody(new ApiError('not_found'))),
      );

      admin.get(
        '/config',
        {
          schema: {
            summary: 'The running configuration, with every secret redacted',
            response: errorResponses(401),
          },
        },
        async () => redactedConfig(deps.config),
      );
    },
    { prefix: '/admin' },
  );
}

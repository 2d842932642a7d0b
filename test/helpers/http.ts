/** Request builders for POST /webhooks through Fastify's inject. */
import type { FastifyInstance } from 'fastify';

export function postWebhook(
  app: FastifyInstance,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/webhooks',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

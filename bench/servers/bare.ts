/**
 * The ceiling: a bare Fastify route that parses the JSON body and answers 202,
 * storing nothing.
 */
import { randomUUID } from 'node:crypto';
import { JobCounter, serve } from './ipc.js';
import { ACCEPTED_MESSAGE, acceptedSchema, listen, peerApp } from './routes.js';

const app = peerApp();
app.post('/webhooks', { schema: acceptedSchema }, async (request, reply) => {
  const body = request.body as { type?: unknown };
  reply.code(202);
  return {
    message: ACCEPTED_MESSAGE,
    id: randomUUID(),
    event: typeof body.type === 'string' ? body.type : 'generic',
    status: 'queued',
  };
});
const counter = new JobCounter();
serve({
  url: await listen(app),
  store: 'none',
  report: () => counter.report(),
  stop: () => app.close(),
});

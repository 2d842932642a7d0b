/**
 * The destination of the forwarding measurement: a plain `node:http` server
 * that answers every request at once with 200 and an empty body, and counts
 * them (first arrival, last answer, distinct `webhook-id`s). Both senders, ours
 * and the bare undici loop, are counted here, on one clock.
 */
import { createServer } from 'node:http';
import { JobCounter, serve } from './ipc.js';

const counter = new JobCounter();
const ids = new Set<string>();
const server = createServer((request, response) => {
  counter.started();
  const id = request.headers['webhook-id'];
  if (typeof id === 'string') ids.add(id);
  request.resume();
  response.writeHead(200, { 'content-length': '0' });
  response.end();
  counter.finished();
});
server.keepAliveTimeout = 5_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };
serve({
  url: `http://127.0.0.1:${port}/hooks`,
  store: 'none',
  report: () => ({ ...counter.report(), distinct: ids.size }),
  stop: () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
});

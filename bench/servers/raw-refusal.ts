/**
 * The floor of a refusal in Node: a plain `node:http` server that answers every
 * request with a pre-rendered 503, no framework, no state. Used by
 * bench/refusal-floor.ts.
 */
import { createServer } from 'node:http';
import { renderedRefusal } from '../../src/http/error-handler.js';
import { JobCounter, serve } from './ipc.js';

const { status, headers, body } = renderedRefusal('queue_full');
const server = createServer((_request, response) => {
  response.writeHead(status, headers);
  response.end(body);
});
server.keepAliveTimeout = 5_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };
const counter = new JobCounter();
serve({
  url: `http://127.0.0.1:${port}`,
  store: 'none',
  report: () => counter.report(),
  stop: () => new Promise((resolve) => server.close(() => resolve())),
});

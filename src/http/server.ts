/**
 * The Fastify server: body parsing, error rendering and routes, with nothing on
 * the hot path that logs per request.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { BacklogMonitor } from '../ingest/backlog.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Metrics } from '../metrics.js';
import type { WorkerPool } from '../worker/pool.js';
import { installErrorHandling } from './error-handler.js';
import { installJsonBody } from './json-body.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { healthRoutes } from './routes/health.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface HttpDeps {
  config: Config;
  log: Logger;
  ingestor: Ingestor;
  backlog: BacklogMonitor;
  pool: WorkerPool;
  metrics: Metrics;
  storeKind: string;
}

const isWebhookRoute = (url: string) =>
  url === '/webhooks' || url.startsWith('/webhooks/') || url.startsWith('/webhooks?');

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // No per-request log lines: at thousands of requests a second they cost more than the work.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: deps.config.bodyLimitBytes,
    // Our own hook answers 503 in the catalogue's shape while shutting down.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Bound slow clients: a request must arrive in full within this time.
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
  });
  installJsonBody(app);
  installErrorHandling(app, deps.metrics, isWebhookRoute);
  app.addHook('onRequest', async (_request, reply) => {
    if (deps.ingestor.isStopping) reply.header('connection', 'close');
  });
  if (deps.config.httpIngest)
    webhookRoutes(app, { ingestor: deps.ingestor, metrics: deps.metrics });
  healthRoutes(app, {
    backlog: deps.backlog,
    ingestor: deps.ingestor,
    ingestEnabled: deps.config.httpIngest,
    pool: deps.pool,
    metrics: deps.metrics,
    storeKind: deps.storeKind,
    isStopping: () => deps.ingestor.isStopping,
  });
  return app;
}

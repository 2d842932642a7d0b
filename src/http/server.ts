/**
 * The Fastify server: body parsing, error rendering and routes, with nothing on
 * the hot path that logs per request. Refusals under load are answered at the
 * server's edge, before Fastify (see edge-shedding.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { BacklogMonitor } from '../ingest/backlog.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Metrics } from '../metrics.js';
import type { WorkerPool } from '../worker/pool.js';
import { sheddingServerFactory } from './edge-shedding.js';
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

/** Bound slow clients (a request must arrive in full within this), and idle keep-alives. */
const TIMEOUTS = { requestTimeout: 30_000, keepAliveTimeout: 5_000 };

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const { ingestor, metrics } = deps;
  const app = Fastify({
    ...(deps.config.httpIngest
      ? {
          serverFactory: sheddingServerFactory(
            {
              isIngestPath: isWebhookRoute,
              refusal: () => ingestor.refusal(),
              counted: (code) => metrics.countRejected(code),
            },
            TIMEOUTS,
          ),
        }
      : {}),
    loggerInstance: deps.log as FastifyBaseLogger,
    // No per-request log lines: at thousands of requests a second they cost more than the work.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: deps.config.bodyLimitBytes,
    // Our own hook answers 503 in the catalogue's shape while shutting down.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ...TIMEOUTS,
  });
  installJsonBody(app);
  installErrorHandling(app, deps.metrics, isWebhookRoute);
  app.addHook('onRequest', (_request, reply, done) => {
    if (deps.ingestor.isStopping) reply.header('connection', 'close');
    done();
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

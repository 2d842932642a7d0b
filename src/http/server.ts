/**
 * The Fastify server: body parsing, error rendering and routes, with nothing on
 * the hot path that logs per request. Routes are added in a plugin registered
 * after the OpenAPI generator, which describes every route added after it.
 * Refusals under load are answered at the server's edge, before Fastify (see
 * edge-shedding.ts).
 */
import cors from '@fastify/cors';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type HTTPMethods,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { ErrorCode } from '../errors.js';
import type { BacklogMonitor } from '../ingest/backlog.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { RateLimits } from '../ingest/rate-limit.js';
import type { Metrics } from '../metrics.js';
import type { SourceRegistry } from '../sources/registry.js';
import type { StoreDriver } from '../store/driver.js';
import type { DeadLetters, Store } from '../store/store.js';
import type { WorkerPool } from '../worker/pool.js';
import { adminGuard } from './admin-auth.js';
import { clientErrorHandler } from './client-errors.js';
import { loadDashboardAssets } from './dashboard-assets.js';
import { sheddingServerFactory } from './edge-shedding.js';
import { frameworkErrorHandler, installErrorHandling, MAX_PARAM_LENGTH } from './error-handler.js';
import { installJsonBody } from './json-body.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { adminRoutes } from './routes/admin.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { healthRoutes } from './routes/health.js';
import { probeRoutes } from './routes/probes.js';
import { sourceWebhookRoutes } from './routes/source-webhooks.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface HttpDeps {
  config: Config;
  log: Logger;
  ingestor: Ingestor;
  backlog: BacklogMonitor;
  pool: WorkerPool;
  /** Each destination's last sampled state, when this instance delivers. */
  destinations?: () => readonly { name: string; state: string; backlog: number }[];
  metrics: Metrics;
  storeKind: string;
  /** The store drivers the config was read with, so that /admin/config shows theirs. */
  storeDrivers?: readonly StoreDriver[];
  sources: SourceRegistry;
  limits: RateLimits;
  deadLetters: DeadLetters;
  store: Store;
}

const isWebhookRoute = (url: string) =>
  url === '/webhooks' || url.startsWith('/webhooks/') || url.startsWith('/webhooks?');

/** Bound slow clients (a request must arrive in full within this), and idle keep-alives. */
const TIMEOUTS = { requestTimeout: 30_000, keepAliveTimeout: 5_000 };

/**
 * The paths the shedding edge may refuse: `POST /webhooks` when it is served, and
 * `POST /webhooks/:source` for a configured source (an unknown one stays a 404).
 */
function ingestPaths(config: Config, sources: SourceRegistry): (url: string) => boolean {
  return (url) => {
    const path = url.split('?', 1)[0] as string;
    if (path === '/webhooks') return config.unsignedWebhooks;
    if (!path.startsWith('/webhooks/')) return false;
    try {
      return sources.get(decodeURIComponent(path.slice('/webhooks/'.length))) !== undefined;
    } catch {
      return false; // Malformed escapes: Fastify answers those.
    }
  };
}

/** Fastify's `trustProxy`; a hop count becomes the function Fastify's types ask for. */
function trustProxyOption(
  value: Config['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}

/**
 * What a route answers for a path parameter that names nothing, by parameter
 * name; a parameter over MAX_PARAM_LENGTH never names anything (source names
 * are at most 63 characters, DLQ ids at most 41).
 */
const UNKNOWN_PARAM_CODES: Partial<Record<string, ErrorCode>> = {
  source: 'unknown_source',
  id: 'dlq_entry_not_found',
  eventId: 'event_not_found',
};

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const { ingestor, metrics } = deps;
  const onClientError = clientErrorHandler(deps.log);
  const app: FastifyInstance = Fastify({
    serverFactory: sheddingServerFactory(
      deps.config.httpIngest
        ? {
            isIngestPath: ingestPaths(deps.config, deps.sources),
            refusal: () => ingestor.refusal(),
            counted: (code) => metrics.countRejected(code),
          }
        : undefined,
      TIMEOUTS,
      onClientError,
    ),
    clientErrorHandler: onClientError,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler({
      metrics,
      webhookRoutes: isWebhookRoute,
      findRoute: (method, url) => app.findRoute({ method: method as HTTPMethods, url }),
      unknownParamCodes: UNKNOWN_PARAM_CODES,
      adminGuard: deps.config.adminToken ? adminGuard(deps.config.adminToken) : undefined,
    }),
    loggerInstance: deps.log as FastifyBaseLogger,
    // No per-request log lines: at thousands of requests a second they cost more than the work.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: deps.config.bodyLimitBytes,
    // Our own hook answers 503 in the catalogue's shape while shutting down.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ...TIMEOUTS,
    // The client IP (rate limits) comes from X-Forwarded-For only through trusted proxies.
    trustProxy: trustProxyOption(deps.config.trustProxy),
  });
  installJsonBody(app);
  installErrorHandling(app, deps.metrics, isWebhookRoute, {
    bodyLimitBytes: deps.config.bodyLimitBytes,
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (deps.ingestor.isStopping) reply.header('connection', 'close');
    done();
  });
  // Webhooks are server-to-server: no CORS unless origins are listed explicitly.
  if (deps.config.corsOrigins.length > 0) {
    void app.register(cors, { origin: deps.config.corsOrigins });
  }
  registerOpenApi(app);
  void app.register(async (api) => mountRoutes(api, deps));
  return app;
}

/** Every route of the service; `openApi: false` leaves out GET /openapi.json (see plugin.ts). */
export function mountRoutes(
  app: FastifyInstance,
  deps: HttpDeps,
  { openApi = true }: { openApi?: boolean } = {},
): void {
  if (deps.config.httpIngest) {
    const ingest = { ingestor: deps.ingestor, metrics: deps.metrics, limits: deps.limits };
    if (deps.config.unsignedWebhooks) webhookRoutes(app, ingest);
    sourceWebhookRoutes(app, { ...ingest, sources: deps.sources });
  }
  if (deps.config.adminToken) {
    adminRoutes(app, {
      token: deps.config.adminToken,
      config: deps.config,
      storeDrivers: deps.storeDrivers ?? [],
      deadLetters: deps.deadLetters,
      store: deps.store,
      metrics: deps.metrics,
      log: deps.log.child({ component: 'admin' }),
    });
    dashboardRoutes(app, { assets: loadDashboardAssets() });
  }
  healthRoutes(app, {
    backlog: deps.backlog,
    ingestor: deps.ingestor,
    ingestEnabled: deps.config.httpIngest,
    pool: deps.pool,
    metrics: deps.metrics,
    storeKind: deps.storeKind,
    isStopping: () => deps.ingestor.isStopping,
    ...(deps.destinations ? { destinations: deps.destinations } : {}),
  });
  probeRoutes(app, {
    backlog: deps.backlog,
    pool: deps.pool,
    isStopping: () => deps.ingestor.isStopping,
  });
  if (openApi) openApiRoute(app);
}

/**
 * The composition root: builds the store, ingest, worker pool and HTTP server
 * from a Config, and owns their start and graceful stop.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { configFrom, type ServiceSettings } from './config/settings.js';
import { HANDLERS_TARGET } from './delivery/destination.js';
import { Dispatcher } from './delivery/dispatcher.js';
import { HttpSender } from './delivery/http-sender.js';
import { DeliveryMetrics } from './delivery/metrics.js';
import {
  REMOVED_SWEEP_INTERVAL_MS,
  RemovedDestinations,
  removedReclaimIdleMs,
} from './delivery/removed-destinations.js';
import { DeadLetterRetention } from './dlq/retention.js';
import { EventLogUpkeep } from './events/upkeep.js';
import { defaultRegistry } from './handlers/builtin.js';
import { type HandlerMap, HandlerRegistry } from './handlers/registry.js';
import { serviceRoutesPlugin } from './http/plugin.js';
import { buildHttpServer, type HttpDeps } from './http/server.js';
import { BacklogMonitor } from './ingest/backlog.js';
import { type EnqueueOptions, enqueueJob } from './ingest/enqueue.js';
import { type AcceptResult, Ingestor } from './ingest/ingestor.js';
import { MemoryRateLimiter, RateLimits } from './ingest/rate-limit.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { Router } from './routing/router.js';
import { type ServiceEventMap, ServiceEvents } from './service-events.js';
import { SourceRegistry } from './sources/registry.js';
import type { StoreDriver } from './store/driver.js';
import { driverOf, storeDriverList } from './store/drivers.js';
import { configuredDriver, createStore, storeStartupMessage } from './store/from-config.js';
import { type EnqueueTargets, HANDLERS_ONLY, type Store } from './store/store.js';
import { fullJitterBackoff } from './worker/backoff.js';
import { describeError } from './worker/errors.js';
import { WorkerPool } from './worker/pool.js';

export interface ServiceOptions {
  /**
   * The configuration: `loadConfig(process.env)`, or `configFrom(settings, env)`
   * (read with the same `storeDrivers`). Without it, `settings` over no
   * environment at all.
   */
  config?: Config;
  /** Typed settings (`{ workers: 5, timeoutMs: 30_000 }`); used only without `config`. */
  settings?: ServiceSettings;
  /**
   * false: start() runs the store and workers and listens on no port. For a
   * worker-only process, or with `plugin` mounted in a Fastify app of your own.
   */
  listen?: boolean;
  /**
   * Handlers: a registry of your own, or a map of event type -> handler merged
   * over the built-ins, each a handler or `{ handler, timeout, maxRetries, backoff }`.
   * Unknown types go to the generic handler.
   */
  handlers?: HandlerRegistry | HandlerMap;
  log?: Logger;
  /** Overrides the store built from the config (tests, embedding). */
  store?: Store;
  /**
   * Store backends of your own, beside the built-in ones. The configuration
   * chooses among them all (`STORE`, or a driver's `chosenBy` variables); the
   * chosen driver builds the store (unless `store` is given) and gives its rate
   * limiter and start-up line.
   */
  storeDrivers?: readonly StoreDriver[];
  /** Process metrics (event loop, memory). Default true. */
  processMetrics?: boolean;
}

export interface Service {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly pool: WorkerPool;
  /** Delivery to destinations; undefined on an ingest-only instance or with none configured. */
  readonly dispatcher: Dispatcher | undefined;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly consumer: string;
  /** Each job's and delivery's outcome, once written (see service-events.ts). */
  readonly events: ServiceEvents;
  /** Listens to one of `events`: `service.on('job:dead', (e) => …)`. */
  on<K extends keyof ServiceEventMap>(
    event: K,
    listener: (...args: ServiceEventMap[K]) => void,
  ): Service;
  /**
   * The ingest, admin and health routes as a Fastify plugin for an app of your
   * own (`app.register(service.plugin, { prefix: '/hooks' })`); see http/plugin.ts.
   */
  readonly plugin: FastifyPluginAsync;
  /**
   * Produces a job from code, by the same rules as POST /webhooks (dedupe, routes,
   * QUEUE_SIZE); resolves once it is durable. See ingest/enqueue.ts.
   */
  enqueue(
    type: string,
    payload: Record<string, unknown>,
    opts?: EnqueueOptions,
  ): Promise<AcceptResult>;
  /**
   * Connects the store, starts the workers and listens. Resolves with the bound
   * address, or `''` with `listen: false`.
   */
  start(): Promise<string>;
  /** Graceful stop within `timeoutMs` (default SHUTDOWN_TIMEOUT). Safe to call twice. */
  stop(timeoutMs?: number): Promise<void>;
}

function toRegistry(handlers: ServiceOptions['handlers']): HandlerRegistry {
  if (handlers instanceof HandlerRegistry) return handlers;
  return defaultRegistry().onAll(handlers ?? {});
}

/** Where an event goes: the targets its routes name, else the in-process handlers. */
function routeWith(router: Router) {
  return (source: string, type: string, payload: unknown): EnqueueTargets => {
    const to = router.match(source, type, payload);
    if (to.length === 0) return HANDLERS_ONLY;
    return {
      handlers: to.includes(HANDLERS_TARGET),
      destinations: to.filter((name) => name !== HANDLERS_TARGET),
    };
  };
}

/**
 * Throws unless `config` was read with exactly `drivers`: a store driver given
 * to the service but not to the config would never be chosen (its variables
 * unread), and one given to the config alone could not build its store.
 */
function assertReadWith(config: Config, drivers: readonly StoreDriver[]): void {
  const read = Object.keys(config.stores).sort().join(', ');
  const given = drivers
    .map((d) => d.kind)
    .sort()
    .join(', ');
  if (read !== given) {
    throw new TypeError(
      `the configuration was read with the store drivers ${read}, and the service is given ${given}: pass the same storeDrivers to loadConfig or configFrom and to the service`,
    );
  }
}

/**
 * Time kept back from the shutdown budget for what follows the grace period:
 * aborting the handlers still running and waiting ABORT_SETTLE_MS for them to
 * settle, handing their jobs back, closing connections.
 */
const SHUTDOWN_RESERVE_MS = 1_500;
const ABORT_SETTLE_MS = 500;

export function createService(opts: ServiceOptions): Service {
  if ('storeDriver' in opts) {
    throw new TypeError('createService: storeDriver is now storeDrivers, a list of drivers');
  }
  const drivers = storeDriverList(opts.storeDrivers);
  const config =
    opts.config ?? configFrom(opts.settings ?? {}, {}, { storeDrivers: opts.storeDrivers ?? [] });
  assertReadWith(config, drivers);
  const log = opts.log ?? createLogger(config.logLevel);
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const registry = toRegistry(opts.handlers);
  const metrics = new Metrics(registry.knownTypes(), {
    processMetrics: opts.processMetrics ?? true,
  });
  const store = opts.store ?? createStore(config, consumer, log, configuredDriver(config, drivers));
  // A store given ready-made is known by its kind; one of no listed kind keeps
  // its rate-limit counters in this process.
  const driver = driverOf(store.kind, drivers);
  const events = new ServiceEvents(log);
  // Every destination's queue is opened before the store starts, so that ingest can fill it.
  for (const d of config.destinations) store.lane(d.name);
  const backlog = new BacklogMonitor(
    store,
    metrics,
    log,
    config.queueSize,
    config.backlogSampleIntervalMs,
  );
  const ingestor = new Ingestor(store, backlog, metrics, {
    idempotencyTtlMs: config.idempotencyTtlMs,
    maxInflight: config.ingestMaxInflight,
    ...(config.routes.length > 0 ? { route: routeWith(new Router(config.routes)) } : {}),
  });
  const sender =
    config.workerCount > 0 && config.destinations.length > 0
      ? new HttpSender(config.destinations)
      : undefined;
  const dispatcher = sender
    ? new Dispatcher({
        destinations: config.destinations,
        store,
        send: (name, msg, signal) => sender.send(name, msg, signal),
        metrics: new DeliveryMetrics(metrics.registry),
        log: log.child({ component: 'delivery' }),
        reclaimIdleMs: config.reclaimIdleMs,
        events,
      })
    : undefined;
  // Only an instance that delivers sweeps: an ingest-only one may run an older config.
  const removed =
    config.workerCount > 0
      ? new RemovedDestinations({
          store,
          configured: config.destinations.map((d) => d.name),
          idleMs: removedReclaimIdleMs(config.reclaimIdleMs),
          intervalMs: REMOVED_SWEEP_INTERVAL_MS,
          log: log.child({ component: 'delivery' }),
        })
      : undefined;
  const pool = new WorkerPool({
    store,
    handlers: registry,
    metrics,
    log: log.child({ component: 'worker' }),
    concurrency: config.workerCount,
    jobTimeoutMs: config.jobTimeoutMs,
    maxRetries: config.maxRetries,
    backoff: fullJitterBackoff(config.retryBaseDelayMs, config.retryMaxDelayMs),
    reclaimIdleMs: config.reclaimIdleMs,
    events,
    ...(config.httpIngest ? { yieldToIngest: () => ingestor.shedding } : {}),
  });
  const retention = new DeadLetterRetention(
    store.deadLetters,
    { maxLength: config.dlqMaxLength, maxAgeMs: config.dlqRetentionMs },
    metrics,
    log.child({ component: 'dlq' }),
  );
  const upkeep = new EventLogUpkeep(
    store.events,
    store.history,
    metrics.rejections,
    log.child({ component: 'events' }),
  );
  const sources = new SourceRegistry(config.sources);
  const limits = new RateLimits(
    driver?.rateLimiter(store) ?? new MemoryRateLimiter(),
    config.rateLimit,
    log.child({ component: 'limits' }),
  );
  const httpDeps: HttpDeps = {
    config,
    log,
    ingestor,
    backlog,
    pool,
    metrics,
    storeKind: store.kind,
    storeDrivers: opts.storeDrivers ?? [],
    sources,
    limits,
    deadLetters: store.deadLetters,
    store,
    ...(dispatcher ? { destinations: () => dispatcher.lastSampled } : {}),
  };
  const app = buildHttpServer(httpDeps);

  let stopping: Promise<void> | undefined;

  async function stop(timeoutMs = config.shutdownTimeoutMs): Promise<void> {
    stopping ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      // From here every POST /webhooks gets 503 shutting_down and /health says unhealthy,
      // so load balancers and senders see the stop while running jobs finish.
      ingestor.stop();
      removed?.stop();
      const grace = Math.max(0, deadline - Date.now() - SHUTDOWN_RESERVE_MS);
      const [jobs, delivered] = await Promise.all([
        pool.stop(grace, ABORT_SETTLE_MS),
        dispatcher?.stop(grace) ?? { finished: 0, released: 0 },
      ]);
      await sender?.close();
      if (jobs.leftRunning > 0) {
        log.warn(
          { handlers: jobs.leftRunning },
          'handlers still running ignored their abort signal; their jobs stay pending and are reclaimed after RECLAIM_IDLE, once this process has exited',
        );
      }
      // Then close the listener; in-flight requests are short (the store call has its own timeout).
      await Promise.race([
        app
          .close()
          .catch((err: unknown) => log.warn({ err: describeError(err) }, 'http close failed')),
        new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now() - 500)).unref()),
      ]);
      backlog.stop();
      await retention.stop();
      await upkeep.stop();
      await store
        .close()
        .catch((err: unknown) => log.warn({ err: describeError(err) }, 'store close failed'));
      log.info(
        {
          jobs_finished: jobs.finished,
          jobs_handed_back: jobs.released,
          jobs_dead_lettered: jobs.deadLettered,
          jobs_left_running: jobs.leftRunning,
          deliveries_finished: delivered.finished,
          deliveries_handed_back: delivered.released,
        },
        'stopped',
      );
    })();
    return stopping;
  }

  async function start(): Promise<string> {
    await store.init();
    log.info(
      { store: store.kind, location: store.location },
      storeStartupMessage(config, store, drivers),
    );
    await removed?.start();
    await backlog.start();
    retention.start();
    upkeep.start();
    pool.start();
    dispatcher?.start();
    if (opts.listen === false) {
      log.info(
        { store: store.kind, location: store.location, consumer, workers: config.workerCount },
        `webhook-processor running without a listener, queue in ${store.kind} (${store.location})`,
      );
      return '';
    }
    const address = await app.listen({ port: config.port, host: config.host });
    log.info(
      {
        address,
        store: store.kind,
        location: store.location,
        consumer,
        workers: config.workerCount,
        ingest: config.httpIngest,
        sources: sources.names,
        destinations: config.destinations.map((d) => d.name),
        unsigned_webhooks: config.httpIngest && config.unsignedWebhooks,
        admin: config.adminToken !== undefined,
        cors_origins: config.corsOrigins.length,
      },
      `webhook-processor listening on ${address}, queue in ${store.kind} (${store.location})`,
    );
    return address;
  }

  const service: Service = {
    app,
    store,
    pool,
    dispatcher,
    metrics,
    log,
    consumer,
    events,
    plugin: serviceRoutesPlugin(httpDeps),
    enqueue: (type, payload, enqueueOpts) => enqueueJob(ingestor, type, payload, enqueueOpts),
    on(event, listener) {
      events.on(event, listener as never);
      return service;
    },
    start,
    stop,
  };
  return service;
}

/**
 * A service that processes jobs and serves no HTTP: the worker pool and the
 * deliveries, on the store the config names. Jobs come from other instances or
 * from `enqueue()`.
 */
export function createWorker(opts: Omit<ServiceOptions, 'listen'>): Service {
  return createService({ ...opts, listen: false });
}

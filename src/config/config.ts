/**
 * Configuration: the environment, read once at the edge into a typed, validated object.
 *
 * Nothing else in the service reads `process.env`. Every variable either parses
 * cleanly or start-up stops with a message that names it and says what it accepts;
 * an invalid value never falls back to the default silently.
 */
import { describeDestination } from '../delivery/describe-destination.js';
import { describeSource } from '../sources/definition.js';
import type { StoreDriver } from '../store/driver.js';
import { DEFAULT_STORE_DRIVER, driverOf, storeDriverList } from '../store/drivers.js';
import { EVENT_RETENTION_DEFAULT_MS, type EventLogOptions } from '../store/event-log.js';
import { type FileConfig, JOB_DEFAULTS, readConfigFile } from './config-file.js';
import { formatDuration, MAX_TIMER_MS } from './duration.js';
import { Reader } from './reader.js';
import { readSecurity, type SecurityConfig } from './security.js';
import { variablesFor } from './variables.js';

export type { RedisConfig } from '../store/redis/settings.js';
export type { SqliteConfig } from '../store/sqlite/driver.js';
export { MAX_TIMER_MS } from './duration.js';
export type { DurationOptions } from './reader.js';
export type { RateLimitConfig } from './security.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The kind of a store driver (store/drivers.ts): `redis`, `sqlite`, or one of your own. */
export type StoreKind = string;

export interface Config extends SecurityConfig, FileConfig {
  /** The queue store: STORE, else Redis when REDIS_URL or REDIS_ADDR is set, else SQLite. */
  store: StoreKind;
  /**
   * Why `store` was chosen, for the start-up line: `STORE`, the variable of the
   * driver's `chosenBy` that was set (`REDIS_URL`), or `default`.
   */
  storeChosenBy: string;
  /**
   * Each store driver's settings, by kind, as its `readOptions` read them (those
   * of every registered store, not only the chosen one's). Read one with
   * `optionsOf(driver, config)`.
   */
  stores: Readonly<Record<StoreKind, unknown>>;
  port: number;
  host: string;
  /** Jobs run at once by this instance. 0 = ingest-only instance. */
  workerCount: number;
  /** Global backlog bound (undelivered + in progress + waiting retries) before POST answers 503. */
  queueSize: number;
  /** Retries after the first attempt; a job runs at most maxRetries + 1 times. */
  maxRetries: number;
  jobTimeoutMs: number;
  queueName: string;
  idempotencyTtlMs: number;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  bodyLimitBytes: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** A pending entry idle this long belongs to a dead consumer and is reclaimed. */
  reclaimIdleMs: number;
  backlogSampleIntervalMs: number;
  /** Local bound: ingest writes this instance may have outstanding at once. */
  ingestMaxInflight: number;
  /** false = worker-only instance: no POST /webhooks. */
  httpIngest: boolean;
  /** DLQ_MAX_LEN: the most dead letters kept (the oldest go first); 0 = no cap. */
  dlqMaxLength: number;
  /** DLQ_RETENTION: dead letters older than this are dropped; 0 = kept until DLQ_MAX_LEN. */
  dlqRetentionMs: number;
  /** EVENT_LOG_MAX, EVENT_RETENTION, EVENT_LOG_PAYLOADS: what the event log keeps. */
  eventLog: EventLogOptions;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** Which store the configuration asks for, why, and every driver's settings. */
function readStore(
  r: Reader,
  drivers: readonly StoreDriver[],
): Pick<Config, 'store' | 'storeChosenBy' | 'stores'> {
  const stores = Object.fromEntries(drivers.map((d) => [d.kind, d.readOptions(r)]));
  if (r.raw('STORE') !== undefined) {
    const kinds = drivers.map((d) => d.kind);
    const store = r.oneOf('STORE', DEFAULT_STORE_DRIVER.kind, kinds);
    return { store, storeChosenBy: 'STORE', stores };
  }
  for (const driver of drivers) {
    const set = driver.chosenBy.find((name) => r.raw(name) !== undefined);
    if (set !== undefined) return { store: driver.kind, storeChosenBy: set, stores };
  }
  return { store: DEFAULT_STORE_DRIVER.kind, storeChosenBy: 'default', stores };
}

export interface LoadOptions {
  /**
   * Store backends of your own, beside the built-in ones: STORE accepts their
   * kinds, their `chosenBy` variables choose them, their variables are read.
   */
  storeDrivers?: readonly StoreDriver[];
}

/** Reads and validates the whole configuration. Throws ConfigError listing every problem. */
export function loadConfig(env: Env, opts: LoadOptions = {}): Config {
  const drivers = storeDriverList(opts.storeDrivers);
  const r = new Reader(env, variablesFor(drivers));
  const jobTimeoutMs = r.timerDuration('TIMEOUT', 30_000);
  const maxRetries = r.int('MAX_RETRIES', JOB_DEFAULTS.maxRetries, 0, 1000);
  const retryBaseDelayMs = r.duration('RETRY_BASE_DELAY', JOB_DEFAULTS.retryBaseDelayMs);
  const retryMaxDelayMs = r.duration('RETRY_MAX_DELAY', JOB_DEFAULTS.retryMaxDelayMs);
  if (retryMaxDelayMs < retryBaseDelayMs) {
    r.problems.push(
      `RETRY_MAX_DELAY (${formatDuration(retryMaxDelayMs)}) must be at least RETRY_BASE_DELAY (${formatDuration(retryBaseDelayMs)})`,
    );
  }
  const reclaimIdleMs = r.timerDuration('RECLAIM_IDLE', jobTimeoutMs + 10_000, {
    // The reclaim runs every quarter of it (worker/pool.ts).
    maxMs: 4 * MAX_TIMER_MS,
    because: 'the reclaim runs every quarter of it',
  });
  if (reclaimIdleMs <= jobTimeoutMs) {
    r.problems.push(
      `RECLAIM_IDLE (${formatDuration(reclaimIdleMs)}) must be longer than TIMEOUT (${formatDuration(jobTimeoutMs)}), or live jobs would be taken from their workers`,
    );
  }
  const store = readStore(r, drivers);
  const driver = driverOf(store.store, drivers) ?? DEFAULT_STORE_DRIVER;
  const config: Config = {
    ...store,
    eventLog: {
      // Each store has its own default: Redis keeps the log in memory (see docs/event-log.md).
      maxEvents: r.int('EVENT_LOG_MAX', driver.eventLogMaxDefault, 0),
      retentionMs: r.duration('EVENT_RETENTION', EVENT_RETENTION_DEFAULT_MS),
      payloads: r.bool('EVENT_LOG_PAYLOADS', true),
    },
    port: r.int('PORT', 8080, 0, 65535),
    host:
      r.raw('HOST', { set: 'an address to listen on', unset: 'to use the default (0.0.0.0)' }) ??
      '0.0.0.0',
    workerCount: r.int('WORKER_COUNT', 10, 0, 10_000),
    queueSize: r.int('QUEUE_SIZE', 1000, 1),
    maxRetries,
    jobTimeoutMs,
    queueName: r.matching(
      'QUEUE_NAME',
      'webhook_jobs',
      /^[A-Za-z0-9_.:-]{1,100}$/,
      '1-100 letters, digits or _ . : -',
    ),
    idempotencyTtlMs: r.duration('IDEMPOTENCY_TTL', 86_400_000),
    logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    shutdownTimeoutMs: r.timerDuration('SHUTDOWN_TIMEOUT', 25_000, {
      // run.ts forces the exit 1 s after it.
      maxMs: MAX_TIMER_MS - 1_000,
      because: 'the forced exit comes 1s after it',
    }),
    bodyLimitBytes: r.bytes('BODY_LIMIT', 1024 * 1024),
    retryBaseDelayMs,
    retryMaxDelayMs,
    reclaimIdleMs,
    backlogSampleIntervalMs: r.timerDuration('BACKLOG_SAMPLE_INTERVAL', 250),
    ingestMaxInflight: r.int('INGEST_MAX_INFLIGHT', 1024, 1),
    httpIngest: r.bool('HTTP_INGEST', true),
    dlqMaxLength: r.int('DLQ_MAX_LEN', 100_000, 0),
    dlqRetentionMs: r.duration('DLQ_RETENTION', 30 * 24 * 3_600_000, { allowZero: true }),
    ...readSecurity(r),
    ...readConfigFile(r, env, { maxRetries, retryBaseDelayMs, retryMaxDelayMs }),
  };
  if (config.workerCount === 0 && !config.httpIngest) {
    r.problems.push(
      'WORKER_COUNT=0 with HTTP_INGEST=false: this instance would neither accept nor process webhooks; use one of them, not both',
    );
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/**
 * The configuration as it is safe to print: secrets replaced, and a store's
 * settings left out when its driver (among `opts.storeDrivers` and the built-in
 * ones) does not say how to redact them.
 */
export function redactedConfig(config: Config, opts: LoadOptions = {}): Record<string, unknown> {
  const { stores, sources, destinations, adminToken, warnings: _warnings, ...rest } = config;
  const drivers = storeDriverList(opts.storeDrivers);
  const shown = Object.entries(stores).map(([kind, options]) => {
    const driver = driverOf(kind, drivers);
    return [kind, driver?.redactOptions ? driver.redactOptions(options) : '[not shown]'];
  });
  return {
    ...rest,
    stores: Object.fromEntries(shown),
    sources: sources.map(describeSource),
    destinations: destinations.map(describeDestination),
    adminToken: adminToken === undefined ? undefined : '[redacted]',
  };
}

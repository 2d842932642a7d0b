/**
 * Configuration: the environment, read once at the edge into a typed, validated object.
 *
 * Nothing else in the service reads `process.env`. Every variable either parses
 * cleanly or start-up stops with a message that names it and says what it accepts;
 * an invalid value never falls back to the default silently.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { describeDestination } from '../delivery/describe-destination.js';
import { describeSource } from '../sources/definition.js';
import { DEFAULT_STORE_DRIVER, driverOf, STORE_DRIVERS } from '../store/drivers.js';
import { EVENT_RETENTION_DEFAULT_MS, type EventLogOptions } from '../store/event-log.js';
import { type FileConfig, JOB_DEFAULTS, readConfigFile } from './config-file.js';
import { formatDuration, MAX_TIMER_MS } from './duration.js';
import { Reader } from './reader.js';
import { readSecurity, type SecurityConfig } from './security.js';

export { MAX_TIMER_MS } from './duration.js';
export type { DurationOptions } from './reader.js';
export type { RateLimitConfig } from './security.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface RedisConfig {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number;
  tls: boolean;
  /** PEM files for TLS (REDIS_TLS_CA, REDIS_TLS_CERT, REDIS_TLS_KEY); only with rediss://. */
  tlsFiles: { ca?: string; cert?: string; key?: string };
  /** Where the settings came from, for the start-up line (never includes the password). */
  display: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/** The kind of one of STORE_DRIVERS (store/drivers.ts): `redis`, `sqlite`. */
export type StoreKind = string;

export interface SqliteConfig {
  /** Absolute directory that holds the database file (DATA_DIR). */
  dataDir: string;
  /** How long ingest writes gather before one fsynced commit; 0 = one event-loop turn. */
  commitWindowMs: number;
}

export interface Config extends SecurityConfig, FileConfig {
  /** The queue store: STORE, else Redis when REDIS_URL or REDIS_ADDR is set, else SQLite. */
  store: StoreKind;
  /**
   * Why `store` was chosen, for the start-up line: `STORE`, the variable of the
   * driver's `chosenBy` that was set (`REDIS_URL`), or `default`.
   */
  storeChosenBy: string;
  sqlite: SqliteConfig;
  port: number;
  host: string;
  /** Jobs run at once by this instance. 0 = ingest-only instance. */
  workerCount: number;
  /** Global backlog bound (undelivered + in progress + waiting retries) before POST answers 503. */
  queueSize: number;
  /** Retries after the first attempt; a job runs at most maxRetries + 1 times. */
  maxRetries: number;
  jobTimeoutMs: number;
  redis: RedisConfig;
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
/** REDIS_TLS_CA/CERT/KEY: readable files, cert and key together, and only over rediss://. */
function readTlsFiles(r: Reader, tls: boolean): RedisConfig['tlsFiles'] {
  const files: RedisConfig['tlsFiles'] = {};
  for (const [field, name] of [
    ['ca', 'REDIS_TLS_CA'],
    ['cert', 'REDIS_TLS_CERT'],
    ['key', 'REDIS_TLS_KEY'],
  ] as const) {
    const path = r.raw(name, { set: 'the path of a PEM file', unset: 'to go without it' });
    if (path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
      files[field] = path;
    } catch (err) {
      r.problems.push(
        `${name}=${path}: cannot read the file (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (Object.keys(files).length > 0 && !tls) {
    r.problems.push('REDIS_TLS_CA/REDIS_TLS_CERT/REDIS_TLS_KEY need REDIS_URL=rediss://… (TLS)');
  }
  if ((r.raw('REDIS_TLS_CERT') === undefined) !== (r.raw('REDIS_TLS_KEY') === undefined)) {
    r.problems.push('REDIS_TLS_CERT and REDIS_TLS_KEY (a client certificate) must be set together');
  }
  return files;
}

function readRedis(r: Reader): RedisConfig {
  const commandTimeoutMs = r.timerDuration('REDIS_COMMAND_TIMEOUT', 2_000, {
    // The Redis connections' socket timeout is twice it, plus up to 2 s of blocking
    // read on the reader's (see store/redis/connection.ts); 10 s leaves room.
    maxMs: Math.floor((MAX_TIMER_MS - 10_000) / 2),
    because: 'the Redis socket timeout is twice it plus a few seconds',
  });
  const connectTimeoutMs = r.timerDuration('REDIS_CONNECT_TIMEOUT', 5_000);
  const url = r.raw('REDIS_URL');
  if (url !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname) {
      r.problems.push(
        'REDIS_URL: expected redis://[user:password@]host[:port][/db] or rediss://… (the value is not shown because it may hold a password)',
      );
    } else {
      const dbText = u.pathname.replace(/^\//, '');
      const db = dbText === '' ? 0 : Number(dbText);
      if (!Number.isSafeInteger(db) || db < 0) {
        r.problems.push('REDIS_URL: the path must be a database number, e.g. redis://host:6379/0');
      }
      const tls = u.protocol === 'rediss:';
      const port = u.port ? Number(u.port) : 6379;
      const host = u.hostname.replace(/^\[|\]$/g, '');
      return {
        host,
        port,
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
        db: Number.isSafeInteger(db) ? db : 0,
        tls,
        tlsFiles: readTlsFiles(r, tls),
        display: `${u.protocol}//${host}:${port}/${db}`,
        commandTimeoutMs,
        connectTimeoutMs,
      };
    }
  }
  const addr = r.matching(
    'REDIS_ADDR',
    'localhost:6379',
    /^(\[[0-9a-fA-F:]+\]|[^\s:/]+):\d{1,5}$/,
    'host:port, e.g. localhost:6379',
  );
  const split = addr.lastIndexOf(':');
  const host = addr.slice(0, split).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(split + 1));
  if (port < 1 || port > 65535)
    r.problems.push(`REDIS_ADDR=${JSON.stringify(addr)}: port must be 1-65535`);
  const db = r.int('REDIS_DB', 0, 0, 15_999);
  return {
    host,
    port,
    username: undefined,
    password: r.raw('REDIS_PASSWORD', {
      set: 'the password',
      unset: 'when Redis needs none',
    }),
    db,
    tls: false,
    tlsFiles: readTlsFiles(r, false),
    display: `redis://${addr}/${db}`,
    commandTimeoutMs,
    connectTimeoutMs,
  };
}

/** A commit window past this adds latency to every 202 and gains nothing. */
const MAX_COMMIT_WINDOW_MS = 1_000;

function readStore(r: Reader): Pick<Config, 'store' | 'storeChosenBy' | 'sqlite'> {
  const commitWindowMs = r.duration('SQLITE_COMMIT_WINDOW', 2, { allowZero: true });
  if (commitWindowMs > MAX_COMMIT_WINDOW_MS) {
    r.problems.push(
      `SQLITE_COMMIT_WINDOW (${formatDuration(commitWindowMs)}) must be at most ${formatDuration(MAX_COMMIT_WINDOW_MS)}`,
    );
  }
  const dataDir = r.raw('DATA_DIR', { set: 'a directory', unset: 'to use the default (./data)' });
  const sqlite = { dataDir: resolve(dataDir ?? './data'), commitWindowMs };
  if (r.raw('STORE') !== undefined) {
    const kinds = STORE_DRIVERS.map((d) => d.kind);
    const store = r.oneOf('STORE', DEFAULT_STORE_DRIVER.kind, kinds);
    return { store, storeChosenBy: 'STORE', sqlite };
  }
  for (const driver of STORE_DRIVERS) {
    const set = driver.chosenBy.find((name) => r.raw(name) !== undefined);
    if (set !== undefined) return { store: driver.kind, storeChosenBy: set, sqlite };
  }
  return { store: DEFAULT_STORE_DRIVER.kind, storeChosenBy: 'default', sqlite };
}

/** EVENT_LOG_MAX's default: the chosen store's own. */
function eventLogMaxDefault(kind: StoreKind): number {
  return (driverOf(kind) ?? DEFAULT_STORE_DRIVER).eventLogMaxDefault;
}

/** Reads and validates the whole configuration. Throws ConfigError listing every problem. */
export function loadConfig(env: Env): Config {
  const r = new Reader(env);
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
  const store = readStore(r);
  const config: Config = {
    ...store,
    eventLog: {
      // Each store has its own default: Redis keeps the log in memory (see docs/event-log.md).
      maxEvents: r.int('EVENT_LOG_MAX', eventLogMaxDefault(store.store), 0),
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
    redis: readRedis(r),
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

/** The configuration as it is safe to print: secrets replaced. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const { redis, sources, destinations, adminToken, warnings: _warnings, ...rest } = config;
  const { password, username, ...redisRest } = redis;
  return {
    ...rest,
    redis: { ...redisRest, username, password: password === undefined ? undefined : '[redacted]' },
    sources: sources.map(describeSource),
    destinations: destinations.map(describeDestination),
    adminToken: adminToken === undefined ? undefined : '[redacted]',
  };
}

/**
 * The configuration as typed values, for a program that builds the service in
 * code: `configFrom({ workers: 5, timeoutMs: 30_000 })`.
 *
 * Each setting stands for one environment variable and goes through the same
 * reader, so a value is checked once, by the same rules and with the same
 * message (naming the variable) whichever way it was given. A setting wins over
 * the variable in `env`; what neither gives takes the variable's default.
 */
import type { StoreSettingValue } from '../store/driver.js';
import { driverOf, storeDriverList } from '../store/drivers.js';
import type { Config, LoadOptions, LogLevel, StoreKind } from './config.js';
import { loadConfig } from './config.js';

/** Every field is optional; the environment variable it stands for is in brackets. */
export interface ServiceSettings {
  /** Jobs run at once [WORKER_COUNT]; 0 = ingest only. */
  workers?: number;
  /** Time limit of one attempt [TIMEOUT]. */
  timeoutMs?: number;
  /** Retries after the first attempt [MAX_RETRIES]. */
  maxRetries?: number;
  /** [RETRY_BASE_DELAY] */
  retryBaseDelayMs?: number;
  /** [RETRY_MAX_DELAY] */
  retryMaxDelayMs?: number;
  /** [RECLAIM_IDLE] */
  reclaimIdleMs?: number;
  /** [SHUTDOWN_TIMEOUT] */
  shutdownTimeoutMs?: number;
  /** [QUEUE_SIZE] */
  queueSize?: number;
  /** [IDEMPOTENCY_TTL] */
  idempotencyTtlMs?: number;
  /** [BODY_LIMIT] */
  bodyLimitBytes?: number;
  /** [PORT]; 0 picks a free port. */
  port?: number;
  /** [HOST] */
  host?: string;
  /** [LOG_LEVEL] */
  logLevel?: LogLevel;
  /** [STORE] */
  store?: StoreKind;
  /** [DATA_DIR], for the embedded store. */
  dataDir?: string;
  /** [REDIS_URL] */
  redisUrl?: string;
  /** [QUEUE_NAME] */
  queueName?: string;
  /** false: no POST /webhooks on this instance [HTTP_INGEST]. */
  httpIngest?: boolean;
  /** [ADMIN_TOKEN] */
  adminToken?: string;
  /** Sources, destinations and routes [CONFIG_FILE]. */
  configFile?: string;
  /** [FORWARD_URL] */
  forwardUrl?: string;
  /**
   * Settings of a store's own variables, by store kind, as its driver declares
   * them (StoreDriver.settings); `storeSettings(driver, {…})` types them.
   */
  stores?: Readonly<Record<string, Readonly<Record<string, StoreSettingValue>>>>;
}

type Format = (value: never) => string;
const ms: Format = (v: number) => `${v}ms`;
const plain: Format = (v: string | number | boolean) => String(v);

const VARIABLE: {
  [K in keyof Required<Omit<ServiceSettings, 'stores'>>]: [string, Format];
} = {
  workers: ['WORKER_COUNT', plain],
  timeoutMs: ['TIMEOUT', ms],
  maxRetries: ['MAX_RETRIES', plain],
  retryBaseDelayMs: ['RETRY_BASE_DELAY', ms],
  retryMaxDelayMs: ['RETRY_MAX_DELAY', ms],
  reclaimIdleMs: ['RECLAIM_IDLE', ms],
  shutdownTimeoutMs: ['SHUTDOWN_TIMEOUT', ms],
  queueSize: ['QUEUE_SIZE', plain],
  idempotencyTtlMs: ['IDEMPOTENCY_TTL', ms],
  bodyLimitBytes: ['BODY_LIMIT', plain],
  port: ['PORT', plain],
  host: ['HOST', plain],
  logLevel: ['LOG_LEVEL', plain],
  store: ['STORE', plain],
  dataDir: ['DATA_DIR', plain],
  redisUrl: ['REDIS_URL', plain],
  queueName: ['QUEUE_NAME', plain],
  httpIngest: ['HTTP_INGEST', plain],
  adminToken: ['ADMIN_TOKEN', plain],
  configFile: ['CONFIG_FILE', plain],
  forwardUrl: ['FORWARD_URL', plain],
};

/**
 * A validated Config from typed settings over `env` (default: none, so the
 * process environment is read only when you pass it). A store of your own is
 * set up through `opts.storeDrivers`, and its variables through
 * `settings.stores` or `env`. Throws ConfigError, naming the variable, for a
 * bad value; TypeError for a setting it does not know.
 */
export function configFrom(
  settings: ServiceSettings,
  env: Record<string, string | undefined> = {},
  opts: LoadOptions = {},
): Config {
  const merged: Record<string, string | undefined> = { ...env };
  const { stores, ...own } = settings;
  for (const [kind, values] of Object.entries(stores ?? {})) {
    Object.assign(merged, storeVariables(kind, values, opts));
  }
  for (const [key, value] of Object.entries(own)) {
    if (value === undefined) continue;
    const entry = VARIABLE[key as keyof typeof VARIABLE];
    if (!entry) throw new TypeError(`unknown setting "${key}"`);
    const [name, format] = entry;
    merged[name] = format(value as never);
  }
  return loadConfig(merged, opts);
}

/** A store's settings as the variables they stand for. */
function storeVariables(
  kind: string,
  values: Readonly<Record<string, StoreSettingValue>>,
  opts: LoadOptions,
): Record<string, string> {
  const driver = driverOf(kind, storeDriverList(opts.storeDrivers));
  if (!driver)
    throw new TypeError(`settings for an unknown store "${kind}": pass its driver in storeDrivers`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const declared = driver.settings as Readonly<Record<string, string>> | undefined;
    const name = declared && Object.hasOwn(declared, key) ? declared[key] : undefined;
    if (name === undefined) throw new TypeError(`unknown setting "${key}" of the ${kind} store`);
    out[name] = String(value);
  }
  return out;
}

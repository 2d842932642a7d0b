/**
 * Every environment variable the service reads, with its default and its meaning.
 *
 * The service's own variables are here; each store driver declares its own
 * (StoreDriver.variables). Together they are the one source of the names: the
 * config Reader refuses to read a name nobody declared, so a new variable cannot
 * ship undocumented, and the table in docs/configuration.md is generated from
 * them (`npm run docs:gen`). `meaning` is Markdown, rendered in
 * docs/configuration.md (links are relative to docs/).
 */
import type { StoreDriver } from '../store/driver.js';
import { DEFAULT_STORE_DRIVER, STORE_DRIVERS } from '../store/drivers.js';

export interface Variable {
  name: string;
  /**
   * The default as a value the variable accepts: setting the variable to it changes
   * nothing (a test checks that). Empty when unset means "none" or "off".
   */
  default: string;
  /** Shown instead of `default` when the default is not one value (it depends on another). */
  defaultText?: string;
  meaning: string;
  /**
   * Set but empty reads as unset, instead of being reported as a mistake. For a
   * variable whose unset value is "none" or "off", or that chooses a store by
   * being set: deployment templates pass such variables through as `${REDIS_URL:-}`.
   * A number, duration or switch left empty is still reported.
   */
  emptyIsUnset?: boolean;
}

/** "`a`", "`a` or `b`", "`a`, `b` or `c`". */
function orList(items: readonly string[]): string {
  const coded = items.map((i) => `\`${i}\``);
  return coded.length < 2
    ? (coded[0] ?? '')
    : `${coded.slice(0, -1).join(', ')} or ${coded.at(-1)}`;
}

/** STORE, whose values and whose unset meaning come from the store drivers. */
function storeVariable(drivers: readonly StoreDriver[]): Variable {
  const chosen = drivers
    .filter((d) => d.chosenBy.length > 0)
    .map((d) => `\`${d.kind}\` if ${orList(d.chosenBy)} is set`);
  const unset = [...chosen, `\`${DEFAULT_STORE_DRIVER.kind}\``].join(', else ');
  return {
    name: 'STORE',
    default: '',
    defaultText: 'see meaning',
    emptyIsUnset: true,
    meaning: `${orList(drivers.map((d) => d.kind))}. Unset: ${unset}.`,
  };
}

/** EVENT_LOG_MAX, whose default is the chosen store's own. */
function eventLogMaxVariable(drivers: readonly StoreDriver[]): Variable {
  return {
    name: 'EVENT_LOG_MAX',
    default: '',
    defaultText: drivers.map((d) => `\`${d.eventLogMaxDefault}\` (${d.title})`).join(', '),
    meaning:
      'The most events the [event log](event-log.md) keeps; beyond it the oldest go first. `0` turns the log off (the per-minute history is kept either way).',
  };
}

/** The service's own variables, in the order of the configuration table. */
function serviceVariables(drivers: readonly StoreDriver[]): Variable[] {
  return [
    { name: 'PORT', default: '8080', meaning: 'HTTP port.' },
    { name: 'HOST', default: '0.0.0.0', meaning: 'Address to listen on.' },
    {
      name: 'WORKER_COUNT',
      default: '10',
      meaning:
        'Jobs this instance runs at once. `0` = ingest-only instance (accepts, consumes nothing).',
    },
    {
      name: 'QUEUE_SIZE',
      default: '1000',
      meaning:
        'Backlog bound: when waiting + in-progress + scheduled-for-retry jobs (across all instances) reach it, `POST /webhooks` answers `503 queue_full`. See [Backpressure](operations.md#backpressure).',
    },
    {
      name: 'MAX_RETRIES',
      default: '3',
      meaning: 'Retries after the first attempt; a job runs at most `MAX_RETRIES + 1` times.',
    },
    { name: 'TIMEOUT', default: '30s', meaning: 'Time limit of one attempt.' },
    {
      name: 'RETRY_BASE_DELAY',
      default: '1s',
      meaning: 'Backoff base: retry *n* waits a random time below `base × 2^(n-1)`…',
    },
    { name: 'RETRY_MAX_DELAY', default: '5m', meaning: '…capped at this.' },
    {
      name: 'RECLAIM_IDLE',
      default: '',
      defaultText: '`TIMEOUT` + 10s',
      meaning:
        'A job held this long without an outcome belongs to a dead instance and is taken back. Must exceed `TIMEOUT`.',
    },
    {
      name: 'IDEMPOTENCY_TTL',
      default: '24h',
      meaning: "How long a delivery's idempotency key suppresses duplicates.",
    },
    {
      name: 'QUEUE_NAME',
      default: 'webhook_jobs',
      meaning:
        'Names the queue: the Redis job stream is `QUEUE_NAME`, every other key of the queue carries the hash tag `{QUEUE_NAME}`. Letters, digits and `_ . : -` (braces are refused: they would split the keys over Cluster slots).',
    },
    {
      name: 'LOG_LEVEL',
      default: 'info',
      meaning: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
    },
    {
      name: 'SHUTDOWN_TIMEOUT',
      default: '25s',
      meaning: 'Budget for a graceful stop; see [Shutdown](delivery-guarantee.md#shutdown).',
    },
    {
      name: 'BODY_LIMIT',
      default: '1MiB',
      meaning: 'Largest request body; bytes, or with a unit (`512KiB`, `2MiB`, `1mb`).',
    },
    {
      name: 'BACKLOG_SAMPLE_INTERVAL',
      default: '250ms',
      meaning: 'How often the backlog is sampled for `QUEUE_SIZE` and the metrics.',
    },
    {
      name: 'INGEST_MAX_INFLIGHT',
      default: '1024',
      meaning:
        'Local bound: store writes this instance may have outstanding; past it, `503 overloaded` at once.',
    },
    {
      name: 'HTTP_INGEST',
      default: 'true',
      meaning: '`false` = worker-only instance: no `POST /webhooks`, only health and metrics.',
    },
    {
      name: 'DLQ_MAX_LEN',
      default: '100000',
      meaning:
        'The most dead letters kept; beyond it the oldest are dropped. `0` = no cap. See [Retention](operations.md#retention-what-keeps-memory-flat).',
    },
    {
      name: 'DLQ_RETENTION',
      default: '720h',
      defaultText: '`720h` (30 days)',
      meaning: 'Dead letters older than this are dropped. `0` = kept until `DLQ_MAX_LEN`.',
    },
    eventLogMaxVariable(drivers),
    {
      name: 'EVENT_RETENTION',
      default: '72h',
      meaning: 'Events received longer ago than this leave the event log.',
    },
    {
      name: 'EVENT_LOG_PAYLOADS',
      default: 'true',
      meaning:
        "Keep each event's body and headers in the log. `false`: the log holds the rest, a payload search finds nothing, and an event cannot be replayed from the log (its dead letters still can).",
    },
    {
      name: 'CONFIG_FILE',
      default: '',
      emptyIsUnset: true,
      meaning:
        'YAML or JSON file of sources, destinations and routes; see [Webhook sources](sources.md) and [Destinations](destinations.md).',
    },
    {
      name: 'SOURCES_FILE',
      default: '',
      emptyIsUnset: true,
      meaning:
        'The older name of `CONFIG_FILE`, still read; both may be set only when they name the same file.',
    },
    {
      name: 'FORWARD_URL',
      default: '',
      emptyIsUnset: true,
      meaning:
        'Forward every event to this URL (a destination named `default`, with the default policy); see [FORWARD_URL with a file](destinations.md#forward_url-with-a-file).',
    },
    {
      name: 'UNSIGNED_WEBHOOKS',
      default: 'true',
      meaning:
        '`false` stops serving `POST /webhooks` (which verifies nothing): only signed sources remain. Recommended in production once every sender has a source.',
    },
    {
      name: 'ADMIN_TOKEN',
      default: '',
      meaning:
        'Enables `/admin/*` behind `Authorization: Bearer <token>` (at least 16 characters; e.g. `openssl rand -hex 32`). Unset: the admin routes do not exist (`404`). See [Admin routes](security.md#admin-routes).',
    },
    {
      name: 'CORS_ALLOWED_ORIGINS',
      default: '',
      emptyIsUnset: true,
      meaning:
        'Comma-separated exact origins (`https://ops.example.com`) allowed by CORS. Unset: no CORS headers at all. `*` is refused: webhooks are server-to-server.',
    },
    {
      name: 'TRUST_PROXY',
      default: 'false',
      emptyIsUnset: true,
      meaning:
        'Whose `X-Forwarded-For` gives the client IP for the per-IP limit: `true`, a hop count, or proxy IPs/CIDRs (`10.0.0.0/8,192.168.1.1`). Leave `false` unless behind a proxy, or clients can pick their own IP.',
    },
    {
      name: 'RATE_LIMIT_WINDOW',
      default: '1m',
      meaning: 'Length of a [rate-limit](security.md#rate-limits) window.',
    },
    {
      name: 'RATE_LIMIT_PER_IP',
      default: '0',
      defaultText: '`0` (off)',
      meaning: 'Requests per window per client IP, on every ingest route.',
    },
    {
      name: 'RATE_LIMIT_PER_SOURCE',
      default: '0',
      defaultText: '`0` (off)',
      meaning:
        "Requests per window per source (`default` for `POST /webhooks`); a source's `rate_limit` overrides it.",
    },
  ];
}

/**
 * Every variable the service reads on `drivers`: STORE, then each store's own,
 * then the service's. The configuration table lists them in this order.
 */
export function variablesFor(drivers: readonly StoreDriver[]): readonly Variable[] {
  // The default store's settings first: the ones a first run uses.
  const ordered = [
    ...drivers.filter((d) => d === DEFAULT_STORE_DRIVER),
    ...drivers.filter((d) => d !== DEFAULT_STORE_DRIVER),
  ];
  const all = [
    storeVariable(drivers),
    ...ordered.flatMap((d) => d.variables),
    ...serviceVariables(drivers),
  ];
  const names = all.map((v) => v.name);
  const twice = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  if (twice.length > 0) {
    throw new TypeError(
      `${twice.join(', ')}: declared twice, by a store driver and the service or by two drivers`,
    );
  }
  return all;
}

/** Every variable the service reads on the built-in stores. */
export const VARIABLES: readonly Variable[] = variablesFor(STORE_DRIVERS);

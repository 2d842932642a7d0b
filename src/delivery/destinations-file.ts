/**
 * The `destinations` section of the config file: where events are forwarded and
 * with what delivery policy, one map entry per destination.
 *
 *   destinations:
 *     billing:
 *       url: http://billing.internal:3000/hooks
 *       timeout: 10s
 *       rate_limit: 50/s
 *       signing_secret_env: BILLING_SIGNING_SECRET
 *       headers:
 *         X-Api-Key: { env: BILLING_API_KEY }
 *
 * Every field has a default, except `url`. Problems name the destination and the
 * field, and never a secret: not a signing secret, not a header value, not the
 * URL (it may carry credentials).
 */
import { formatDuration, MAX_TIMER_MS, parseDuration } from '../config/duration.js';
import { isEnvRef, readEnvRefField } from '../config/env-ref.js';
import {
  type DestinationConfig,
  type DestinationRateLimit,
  HANDLERS_TARGET,
} from './destination.js';
import { readHeaders } from './destination-headers.js';
import { readSigningKeys } from './destination-signing.js';

type Env = Record<string, string | undefined>;

/** The policy a destination inherits from the job settings (MAX_RETRIES, RETRY_*_DELAY). */
export interface DestinationDefaults {
  maxRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

export const DESTINATION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const DEFAULT_TIMEOUT_MS = 30_000;
/** The longest `timeout` a destination may have. */
export const MAX_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_CONCURRENCY = 10;
const MAX_CONCURRENCY = 1_000;
const MAX_RETRIES = 1_000;
const DEFAULT_BREAKER_FAILURES = 10;
const MAX_BREAKER_FAILURES = 10_000;
const DEFAULT_BREAKER_COOLDOWN_MS = 30_000;
const DEFAULT_BREAKER_MAX_COOLDOWN_MS = 10 * 60_000;
const MAX_BREAKER_COOLDOWN_MS = 24 * 3_600_000;
const MAX_RATE = 1_000_000;
const RATE = /^(\d{1,7})\s*\/\s*(s|m)$/;

const FIELDS = [
  'url',
  'timeout',
  'max_retries',
  'retry_base_delay',
  'retry_max_delay',
  'concurrency',
  'rate_limit',
  'signing_secret_env',
  'headers',
  'retry_4xx',
  'breaker_failures',
  'breaker_cooldown',
  'breaker_max_cooldown',
];

/**
 * Validates the `destinations` map. Problems are added to `problems`, each
 * starting with `label`; only valid destinations are returned.
 */
export function readDestinations(
  value: unknown,
  env: Env,
  label: string,
  problems: string[],
  defaults: DestinationDefaults,
): DestinationConfig[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${label}: "destinations" must be a map of destination name -> settings`);
    return [];
  }
  const out: DestinationConfig[] = [];
  for (const [name, settings] of Object.entries(value)) {
    const reader = new DestinationReader(`${label}: destination "${name}"`, env, problems);
    const d = reader.read(name, settings, defaults);
    if (d) out.push(d);
  }
  return out;
}

/** Why `url` cannot be a destination URL, or undefined when it can; never repeats it. */
export function destinationUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not an absolute URL such as https://billing.example.com/hooks (the value is not shown because it may hold credentials)';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return `must be an http:// or https:// URL, not ${u.protocol}//`;
  }
  if (u.hostname === '') return 'has no host';
  return undefined;
}

interface DurationLimits {
  minMs: number;
  maxMs: number;
  /** Where the default came from, when it is not ours (it may be out of range). */
  defaultFrom?: string;
  /** What sets the minimum, when another field does. */
  minFrom?: string;
}

/** Validates one destination's settings, adding a problem per bad field. */
class DestinationReader {
  constructor(
    private readonly at: string,
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private problem(field: string | undefined, text: string): void {
    this.problems.push(field ? `${this.at}: "${field}" ${text}` : `${this.at}: ${text}`);
  }

  read(
    name: string,
    settings: unknown,
    defaults: DestinationDefaults,
  ): DestinationConfig | undefined {
    const before = this.problems.length;
    if (!DESTINATION_NAME.test(name)) {
      this.problem(undefined, 'the name must be 1-63 lower-case letters, digits, _ or -');
    } else if (name === HANDLERS_TARGET) {
      this.problem(undefined, `"${name}" is reserved for the in-process handlers in routes' "to"`);
    }
    if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
      this.problem(undefined, 'expected a map of settings with at least "url"');
      return undefined;
    }
    const s = settings as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!FIELDS.includes(key)) {
        this.problem(key, `is not a destination setting (known: ${FIELDS.join(', ')})`);
      }
    }
    const url = this.url(s.url);
    const retryBaseDelayMs = this.duration('retry_base_delay', s.retry_base_delay, {
      def: defaults.retryBaseDelayMs,
      minMs: 1,
      maxMs: MAX_TIMER_MS,
      defaultFrom: 'RETRY_BASE_DELAY',
    });
    const retryMaxDelayMs = this.duration('retry_max_delay', s.retry_max_delay, {
      def: defaults.retryMaxDelayMs,
      minMs: retryBaseDelayMs,
      minFrom: 'retry_base_delay',
      maxMs: MAX_TIMER_MS,
      defaultFrom: 'RETRY_MAX_DELAY',
    });
    const breakerCooldownMs = this.duration('breaker_cooldown', s.breaker_cooldown, {
      def: DEFAULT_BREAKER_COOLDOWN_MS,
      minMs: 1,
      maxMs: MAX_BREAKER_COOLDOWN_MS,
    });
    const d: DestinationConfig = {
      name,
      url,
      timeoutMs: this.duration('timeout', s.timeout, {
        def: DEFAULT_TIMEOUT_MS,
        minMs: 1,
        maxMs: MAX_TIMEOUT_MS,
      }),
      maxRetries: this.int('max_retries', s.max_retries, defaults.maxRetries, 0, MAX_RETRIES),
      retryBaseDelayMs,
      retryMaxDelayMs,
      concurrency: this.int('concurrency', s.concurrency, DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY),
      rateLimit: this.rateLimit(s.rate_limit),
      signingKeys: readSigningKeys(s.signing_secret_env, this.env, (text) =>
        this.problem('signing_secret_env', text),
      ),
      headers: readHeaders(s.headers, this.env, (field, text) => this.problem(field, text)),
      retry4xx: this.bool('retry_4xx', s.retry_4xx, false),
      breakerFailures: this.int(
        'breaker_failures',
        s.breaker_failures,
        DEFAULT_BREAKER_FAILURES,
        1,
        MAX_BREAKER_FAILURES,
      ),
      breakerCooldownMs,
      breakerMaxCooldownMs: this.duration('breaker_max_cooldown', s.breaker_max_cooldown, {
        def: Math.max(DEFAULT_BREAKER_MAX_COOLDOWN_MS, breakerCooldownMs),
        minMs: breakerCooldownMs,
        minFrom: 'breaker_cooldown',
        maxMs: MAX_BREAKER_COOLDOWN_MS,
      }),
    };
    return this.problems.length === before ? d : undefined;
  }

  private url(value: unknown): string {
    let url: string;
    if (typeof value === 'string') {
      url = value.trim();
    } else if (isEnvRef(value)) {
      const ref = readEnvRefField(value, this.env);
      if (!ref.ok) {
        this.problem('url', ref.problem);
        return '';
      }
      url = ref.value;
    } else {
      this.problem('url', 'is required: an http:// or https:// URL, or { env: NAME }');
      return '';
    }
    const problem = destinationUrlProblem(url);
    if (problem) {
      this.problem('url', problem);
      return '';
    }
    return new URL(url).href;
  }

  private duration(
    field: string,
    value: unknown,
    limits: DurationLimits & { def: number },
  ): number {
    const min = `${formatDuration(limits.minMs)}${limits.minFrom ? ` (${limits.minFrom})` : ''}`;
    const range = `from ${min} to ${formatDuration(limits.maxMs)}`;
    if (value === undefined) {
      if (limits.def >= limits.minMs && limits.def <= limits.maxMs) return limits.def;
      const from = limits.defaultFrom ? `${limits.defaultFrom}, ` : '';
      this.problem(
        field,
        `is not set, and its default (${from}${formatDuration(limits.def)}) is out of range for a destination (${range}); set it${limits.defaultFrom ? `, or change ${limits.defaultFrom}` : ''}`,
      );
      return Math.min(Math.max(limits.def, limits.minMs), limits.maxMs);
    }
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined || ms < limits.minMs || ms > limits.maxMs) {
      this.problem(field, `must be a duration ${range}, such as 500ms, 10s or 1m30s`);
      return Math.min(Math.max(limits.def, limits.minMs), limits.maxMs);
    }
    return ms;
  }

  private int(field: string, value: unknown, def: number, min: number, max: number): number {
    if (value === undefined) return def;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) {
      return value;
    }
    this.problem(field, `must be a whole number from ${min} to ${max}`);
    return def;
  }

  private bool(field: string, value: unknown, def: boolean): boolean {
    if (value === undefined) return def;
    if (typeof value === 'boolean') return value;
    this.problem(field, 'must be true or false');
    return def;
  }

  private rateLimit(value: unknown): DestinationRateLimit | undefined {
    if (value === undefined || value === null) return undefined;
    const m = typeof value === 'string' ? RATE.exec(value.trim()) : null;
    const count = m ? Number(m[1]) : 0;
    if (!m || count < 1 || count > MAX_RATE) {
      this.problem(
        'rate_limit',
        `must be requests per second or minute, such as 50/s or 600/m (1 to ${MAX_RATE})`,
      );
      return undefined;
    }
    return { count, perMs: m[2] === 's' ? 1_000 : 60_000 };
  }
}

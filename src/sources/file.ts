/**
 * The `sources` section of the config file: the named webhook sources.
 *
 *   sources:
 *     stripe:
 *       scheme: stripe
 *       secret_env: [STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET_PREVIOUS]
 *       tolerance: 5m
 *     github:
 *       scheme: github
 *       secret_env: GITHUB_WEBHOOK_SECRET
 *
 * The file names environment variables; the secrets themselves never sit in it.
 * Every problem is reported with the source and field it concerns, and no message
 * ever repeats a value that could be a secret.
 */
import { parseDuration } from '../config/duration.js';
import { ENV_NAME, NOT_AN_ENV_NAME, readEnvRef } from '../config/env-ref.js';
import { Secret } from '../config/secret.js';
import type { HmacDefinition, SourceDefinition } from './definition.js';
import { SCHEME_NAMES, type SchemeName } from './scheme.js';
import { standardWebhooksKey } from './standard-webhooks.js';

type Env = Record<string, string | undefined>;

const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
const PREFIX = /^[\x21-\x7e]{0,32}$/;
/** POST /webhooks is the `default` source; a verified source must not share its dedupe scope. */
export const DEFAULT_SOURCE = 'default';
const DEFAULT_TOLERANCE_MS = 5 * 60_000;
const MAX_TOLERANCE_MS = 60 * 60_000;

const COMMON_FIELDS = ['scheme', 'secret_env', 'rate_limit'];
const FIELDS: Record<SchemeName, string[]> = {
  stripe: [...COMMON_FIELDS, 'tolerance'],
  slack: [...COMMON_FIELDS, 'tolerance'],
  'standard-webhooks': [...COMMON_FIELDS, 'tolerance'],
  github: COMMON_FIELDS,
  shopify: COMMON_FIELDS,
  hmac: [
    ...COMMON_FIELDS,
    'header',
    'algorithm',
    'encoding',
    'prefix',
    'event_type_header',
    'delivery_id_header',
  ],
};

/**
 * Validates the `sources` map; secrets are resolved from `env`. Problems are
 * added to `problems`, each starting with `label`; only valid sources are returned.
 */
export function readSources(
  value: unknown,
  env: Env,
  label: string,
  problems: string[],
): SourceDefinition[] {
  if (!isObject(value)) {
    problems.push(`${label}: "sources" must be a map of source name -> settings`);
    return [];
  }
  const sources: SourceDefinition[] = [];
  for (const [name, settings] of Object.entries(value)) {
    const def = new SourceReader(`${label}: source "${name}"`, env, problems).read(name, settings);
    if (def) sources.push(def);
  }
  return sources;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Validates one source's settings, adding a problem per bad field. */
class SourceReader {
  constructor(
    private readonly at: string,
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private problem(field: string | undefined, text: string): void {
    this.problems.push(field ? `${this.at}: "${field}" ${text}` : `${this.at}: ${text}`);
  }

  read(name: string, settings: unknown): SourceDefinition | undefined {
    const before = this.problems.length;
    if (!SOURCE_NAME.test(name)) {
      this.problem(undefined, 'the name must be 1-63 lower-case letters, digits, _ or -');
    } else if (name === DEFAULT_SOURCE) {
      this.problem(undefined, `"${name}" is reserved for POST /webhooks; choose another name`);
    }
    if (!isObject(settings)) {
      this.problem(undefined, 'expected a map of settings (scheme, secret_env, …)');
      return undefined;
    }
    const scheme = settings.scheme;
    if (typeof scheme !== 'string' || !(SCHEME_NAMES as readonly string[]).includes(scheme)) {
      this.problem('scheme', `must be one of ${SCHEME_NAMES.join(', ')}`);
      return undefined;
    }
    const s = scheme as SchemeName;
    for (const key of Object.keys(settings)) {
      if (!FIELDS[s].includes(key))
        this.problem(key, `is not a setting of the ${s} scheme (known: ${FIELDS[s].join(', ')})`);
    }
    const { secretEnv, secrets } = this.secrets(s, settings.secret_env);
    const common = { name, secretEnv, secrets, rateLimit: this.rateLimit(settings.rate_limit) };
    let def: SourceDefinition;
    if (s === 'stripe' || s === 'slack' || s === 'standard-webhooks') {
      def = { ...common, scheme: s, toleranceMs: this.tolerance(settings.tolerance) };
    } else if (s === 'hmac') {
      def = { ...common, ...this.hmacSettings(settings) };
    } else {
      def = { ...common, scheme: s };
    }
    return this.problems.length === before ? def : undefined;
  }

  private secrets(scheme: SchemeName, value: unknown): { secretEnv: string[]; secrets: Secret[] } {
    const names = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      this.problem(
        'secret_env',
        'must name the environment variable(s) holding the secret, e.g. secret_env: STRIPE_WEBHOOK_SECRET or a list for rotation',
      );
      return { secretEnv: [], secrets: [] };
    }
    const secretEnv: string[] = [];
    const secrets: Secret[] = [];
    for (const envName of names as string[]) {
      if (!ENV_NAME.test(envName)) {
        this.problem('secret_env', NOT_AN_ENV_NAME);
        continue;
      }
      secretEnv.push(envName);
      const ref = readEnvRef(this.env, envName);
      if (!ref.ok) {
        this.problem('secret_env', ref.problem);
      } else if (scheme === 'standard-webhooks' && standardWebhooksKey(ref.value) === undefined) {
        this.problem(
          'secret_env',
          `names ${envName}, whose value is not a Standard Webhooks secret (whsec_ followed by base64)`,
        );
      } else {
        secrets.push(new Secret(ref.value));
      }
    }
    return { secretEnv, secrets };
  }

  private rateLimit(value: unknown): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    this.problem('rate_limit', 'must be a whole number >= 0 (requests per RATE_LIMIT_WINDOW)');
    return undefined;
  }

  private tolerance(value: unknown): number {
    if (value === undefined) return DEFAULT_TOLERANCE_MS;
    const ms =
      typeof value === 'number'
        ? Number.isFinite(value)
          ? value * 1000
          : undefined
        : typeof value === 'string'
          ? parseDuration(value)
          : undefined;
    if (ms === undefined || ms < 1000 || ms > MAX_TOLERANCE_MS) {
      this.problem(
        'tolerance',
        'must be a duration from 1s to 1h, such as 300s or 5m (a bare number is seconds)',
      );
      return DEFAULT_TOLERANCE_MS;
    }
    return ms;
  }

  private hmacSettings(
    settings: Record<string, unknown>,
  ): Omit<HmacDefinition, 'name' | 'secretEnv' | 'secrets' | 'rateLimit'> {
    const header = this.headerName(settings, 'header', undefined);
    const algorithm = this.choice(settings, 'algorithm', ['sha256', 'sha512'] as const);
    const encoding = this.choice(settings, 'encoding', ['hex', 'base64'] as const);
    const prefix = settings.prefix ?? '';
    if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
      this.problem('prefix', 'must be up to 32 printable characters without spaces, e.g. sha256=');
    }
    return {
      scheme: 'hmac',
      header,
      algorithm,
      encoding,
      prefix: typeof prefix === 'string' ? prefix : '',
      eventTypeHeader: this.headerName(settings, 'event_type_header', 'x-event-type'),
      deliveryIdHeader: this.headerName(settings, 'delivery_id_header', 'idempotency-key'),
    };
  }

  private headerName(
    settings: Record<string, unknown>,
    field: string,
    fallback: string | undefined,
  ): string {
    const value = settings[field] ?? fallback;
    if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
      this.problem(field, 'must be an HTTP header name, e.g. X-Signature');
      return '';
    }
    return value.toLowerCase();
  }

  private choice<T extends string>(
    settings: Record<string, unknown>,
    field: string,
    allowed: readonly T[],
  ): T {
    const value = settings[field] ?? allowed[0];
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
      return value as T;
    this.problem(field, `must be one of ${allowed.join(', ')}`);
    return allowed[0] as T;
  }
}

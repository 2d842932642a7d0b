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
import { ENV_NAME, NOT_AN_ENV_NAME, readEnvRef } from '../config/env-ref.js';
import { Secret } from '../config/secret.js';
import type { SourceDefinition } from './definition.js';
import type { SchemeDefinition } from './scheme-definition.js';
import { SCHEME_NAMES, type SchemeName, schemeDefinition } from './schemes.js';
import { readSettings } from './settings.js';

type Env = Record<string, string | undefined>;

const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** POST /webhooks is the `default` source; a verified source must not share its dedupe scope. */
export const DEFAULT_SOURCE = 'default';

const COMMON_FIELDS = ['scheme', 'secret_env', 'rate_limit'];

/** The keys a source of `scheme` may have: the common ones, then the scheme's own. */
function fieldsOf(scheme: SchemeDefinition): string[] {
  return [...COMMON_FIELDS, ...Object.values(scheme.settings).map((setting) => setting.key)];
}

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
    const scheme =
      typeof settings.scheme === 'string' ? schemeDefinition(settings.scheme) : undefined;
    if (!scheme) {
      this.problem('scheme', `must be one of ${SCHEME_NAMES.join(', ')}`);
      return undefined;
    }
    const fields = fieldsOf(scheme);
    for (const key of Object.keys(settings)) {
      if (!fields.includes(key))
        this.problem(
          key,
          `is not a setting of the ${scheme.name} scheme (known: ${fields.join(', ')})`,
        );
    }
    const { secretEnv, secrets } = this.secrets(scheme, settings.secret_env);
    const rateLimit = this.rateLimit(settings.rate_limit);
    const own = readSettings(
      scheme.settings,
      (setting) => settings[setting.key],
      (setting, text) => this.problem(setting.key, text),
    );
    const def: SourceDefinition = {
      ...own,
      name,
      scheme: scheme.name as SchemeName,
      secretEnv,
      secrets,
      rateLimit,
    };
    return this.problems.length === before ? def : undefined;
  }

  private secrets(
    scheme: SchemeDefinition,
    value: unknown,
  ): { secretEnv: string[]; secrets: Secret[] } {
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
      } else if (scheme.secret && scheme.secret.key(ref.value) === undefined) {
        this.problem(
          'secret_env',
          `names ${envName}, whose value is not ${scheme.secret.expected}`,
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
}

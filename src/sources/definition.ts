/**
 * A configured source, as read and validated from SOURCES_FILE: its name (the
 * `:source` of `POST /webhooks/:source`), its scheme and the scheme's settings,
 * and its secrets, already resolved from the environment variables the file names.
 */
import type { Secret } from '../config/secret.js';
import type { SchemeName } from './scheme.js';
import type { HmacAlgorithm } from './signing.js';

interface CommonDefinition {
  name: string;
  /** The variables the secrets came from, for display (the values never are). */
  secretEnv: string[];
  /** One or more secrets; several while a secret is being rotated. */
  secrets: Secret[];
  /** Requests per rate-limit window for this source; overrides RATE_LIMIT_PER_SOURCE. 0 = none. */
  rateLimit: number | undefined;
}

export interface TimestampedDefinition extends CommonDefinition {
  scheme: Extract<SchemeName, 'stripe' | 'slack' | 'standard-webhooks'>;
  /** Largest accepted distance between the signed timestamp and now, either way. */
  toleranceMs: number;
}

export interface BodyOnlyDefinition extends CommonDefinition {
  scheme: Extract<SchemeName, 'github' | 'shopify'>;
}

export interface HmacDefinition extends CommonDefinition {
  scheme: 'hmac';
  header: string;
  algorithm: HmacAlgorithm;
  encoding: 'hex' | 'base64';
  prefix: string;
  eventTypeHeader: string;
  deliveryIdHeader: string;
}

export type SourceDefinition = TimestampedDefinition | BodyOnlyDefinition | HmacDefinition;

/** A definition as it is safe to print: everything but the secrets. */
export function describeSource(def: SourceDefinition): Record<string, unknown> {
  const { secrets: _secrets, secretEnv, ...rest } = def;
  return { ...rest, secretEnv, secretCount: def.secrets.length };
}

/**
 * A configured source, as read and validated from the config file: its name
 * (the `:source` of `POST /webhooks/:source`), its scheme and the scheme's
 * settings (schemes.ts), and its secrets, already resolved from the environment
 * variables the file names.
 */
import type { Secret } from '../config/secret.js';
import type { SchemeSettings } from './scheme-definition.js';
import type { SchemeName } from './schemes.js';

interface CommonDefinition {
  name: string;
  scheme: SchemeName;
  /** The variables the secrets came from, for display (the values never are). */
  secretEnv: string[];
  /** One or more secrets; several while a secret is being rotated. */
  secrets: Secret[];
  /** Requests per rate-limit window for this source; overrides RATE_LIMIT_PER_SOURCE. 0 = none. */
  rateLimit: number | undefined;
}

/** The common fields, and beside them the settings the scheme's definition read. */
export type SourceDefinition = CommonDefinition & SchemeSettings;

/** A definition as it is safe to print: everything but the secrets. */
export function describeSource(def: SourceDefinition): Record<string, unknown> {
  const { secrets: _secrets, secretEnv, ...rest } = def;
  return { ...rest, secretEnv, secretCount: def.secrets.length };
}

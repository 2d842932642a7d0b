/**
 * The configured sources by name, each with its scheme ready to verify.
 */
import type { SourceDefinition } from './definition.js';
import type { Scheme } from './scheme.js';
import { secretKey } from './scheme-definition.js';
import { schemeDefinition } from './schemes.js';

export interface Source {
  readonly name: string;
  readonly scheme: Scheme;
  /** Requests per window for this source, when it overrides the global limit. */
  readonly rateLimit: number | undefined;
}

/** Builds the scheme of a validated definition, turning its secrets into HMAC keys. */
export function createScheme(def: SourceDefinition): Scheme {
  const definition = schemeDefinition(def.scheme);
  if (!definition) throw new Error(`unknown scheme ${def.scheme}`);
  // Validated when the file was read; a secret that did not decode is left out
  // rather than replaced, so it can never verify anything.
  const keys = def.secrets.flatMap((s) => secretKey(definition, s.reveal()) ?? []);
  return definition.create(def, keys);
}

export class SourceRegistry {
  private readonly byName = new Map<string, Source>();

  constructor(definitions: readonly SourceDefinition[]) {
    for (const def of definitions) {
      this.byName.set(def.name, {
        name: def.name,
        scheme: createScheme(def),
        rateLimit: def.rateLimit,
      });
    }
  }

  get(name: string): Source | undefined {
    return this.byName.get(name);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  get size(): number {
    return this.byName.size;
  }
}

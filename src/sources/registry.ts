/**
 * The configured sources by name, each with its scheme ready to verify.
 */
import type { SourceDefinition } from './definition.js';
import { githubScheme } from './github.js';
import { hmacScheme } from './hmac.js';
import type { Scheme } from './scheme.js';
import { shopifyScheme } from './shopify.js';
import { slackScheme } from './slack.js';
import { standardWebhooksKey, standardWebhooksScheme } from './standard-webhooks.js';
import { stripeScheme } from './stripe.js';

export interface Source {
  readonly name: string;
  readonly scheme: Scheme;
  /** Requests per window for this source, when it overrides the global limit. */
  readonly rateLimit: number | undefined;
}

/** Builds the scheme of a validated definition, turning its secrets into HMAC keys. */
export function createScheme(def: SourceDefinition): Scheme {
  const utf8Keys = def.secrets.map((s) => Buffer.from(s.reveal(), 'utf8'));
  switch (def.scheme) {
    case 'stripe':
      return stripeScheme({ keys: utf8Keys, toleranceMs: def.toleranceMs });
    case 'slack':
      return slackScheme({ keys: utf8Keys, toleranceMs: def.toleranceMs });
    case 'standard-webhooks': {
      // Validated when the file was read; a secret that did not decode is left out
      // rather than replaced, so it can never verify anything.
      const keys = def.secrets.flatMap((s) => standardWebhooksKey(s.reveal()) ?? []);
      return standardWebhooksScheme({ keys, toleranceMs: def.toleranceMs });
    }
    case 'github':
      return githubScheme({ keys: utf8Keys });
    case 'shopify':
      return shopifyScheme({ keys: utf8Keys });
    case 'hmac':
      return hmacScheme({ ...def, keys: utf8Keys });
  }
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

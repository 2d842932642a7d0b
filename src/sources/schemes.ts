/**
 * Every verification scheme the service knows, in the order `--help`, error
 * messages and the docs list them. A new scheme is its own file, exporting a
 * `defineScheme(…)`, and one entry here (docs/extending.md).
 */
import { github } from './github.js';
import { hmacDefinition } from './hmac.js';
import type { SchemeDefinition } from './scheme-definition.js';
import { shopify } from './shopify.js';
import { slack } from './slack.js';
import { standardWebhooks } from './standard-webhooks.js';
import { stripe } from './stripe.js';
import { svix } from './svix.js';

export const SCHEMES = [stripe, github, shopify, slack, standardWebhooks, svix, hmacDefinition];

export type SchemeName = (typeof SCHEMES)[number]['name'];

export const SCHEME_NAMES: readonly SchemeName[] = SCHEMES.map((s) => s.name);

/** The definition of a scheme by name; undefined for a name that is not one. */
export function schemeDefinition(name: string): SchemeDefinition | undefined {
  return (SCHEMES as readonly SchemeDefinition[]).find((s) => s.name === name);
}

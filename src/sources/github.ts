/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of the raw body.
 * The event type is `X-GitHub-Event`, the delivery id `X-GitHub-Delivery`.
 *
 * GitHub signs no timestamp, so a captured delivery can be replayed; the
 * delivery id as idempotency key turns such a replay into a duplicate.
 */
import { hmacScheme } from './hmac.js';
import type { Scheme } from './scheme.js';
import { defineScheme } from './scheme-definition.js';

export function githubScheme(opts: { keys: readonly Buffer[] }): Scheme {
  return hmacScheme({
    schemeName: 'github',
    keys: opts.keys,
    header: 'x-hub-signature-256',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    eventTypeHeader: 'x-github-event',
    deliveryIdHeader: 'x-github-delivery',
  });
}

export const github = defineScheme({
  name: 'github',
  summary: 'X-Hub-Signature-256: sha256=<hex>, with X-GitHub-Event and X-GitHub-Delivery',
  docs: {
    signature: '`X-Hub-Signature-256: sha256=<hex>`',
    signedContent: 'body, HMAC-SHA256',
    eventType: '`X-GitHub-Event`',
    deliveryId: '`X-GitHub-Delivery`',
  },
  settings: {},
  create: (_settings, keys) => githubScheme({ keys }),
  example: {
    eventType: 'issues',
    body: () => ({
      action: 'opened',
      issue: { number: 1, title: 'Hello from webhook-processor send' },
      repository: { full_name: 'octo-org/example' },
      sender: { login: 'octocat' },
    }),
  },
});

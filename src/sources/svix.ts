/**
 * Svix: Standard Webhooks under Svix's own header names, `svix-id`,
 * `svix-timestamp` and `svix-signature` (`v1,<base64>` entries, an HMAC-SHA256
 * over `<id>.<timestamp>.<raw body>` keyed with the base64 of the `whsec_`
 * secret), the timestamp within the tolerance (5 minutes by default).
 *
 * The event type is the payload's `type`, the delivery id `svix-id`.
 */
import { defineScheme } from './scheme-definition.js';
import { tolerance } from './settings.js';
import { standardExample, standardWebhooksScheme, whsecSecret } from './standard-webhooks.js';

const SVIX_HEADERS = { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' };

export const svix = defineScheme({
  name: 'svix',
  summary: 'svix-signature: v1,<base64> …, with svix-id and svix-timestamp',
  docs: {
    signature: '`svix-signature: v1,<base64> …` + `svix-id`, `svix-timestamp`',
    signedContent: 'as `standard-webhooks`',
    eventType: 'payload `type`',
    deliveryId: '`svix-id`',
  },
  settings: { toleranceMs: tolerance() },
  secret: whsecSecret('a Svix secret (whsec_ followed by base64)'),
  create: ({ toleranceMs }, keys) =>
    standardWebhooksScheme({ keys, toleranceMs, name: 'svix', headers: SVIX_HEADERS }),
  example: standardExample,
});

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64>`, an HMAC-SHA256 of the raw body
 * keyed with the app's client secret. The event type is `X-Shopify-Topic`
 * (e.g. `orders/create`), the delivery id `X-Shopify-Webhook-Id`.
 *
 * Like GitHub, no timestamp is signed; the webhook id deduplicates replays.
 */
import { hmacScheme } from './hmac.js';
import type { Scheme } from './scheme.js';
import { defineScheme } from './scheme-definition.js';

export function shopifyScheme(opts: { keys: readonly Buffer[] }): Scheme {
  return hmacScheme({
    schemeName: 'shopify',
    keys: opts.keys,
    header: 'x-shopify-hmac-sha256',
    algorithm: 'sha256',
    encoding: 'base64',
    prefix: '',
    eventTypeHeader: 'x-shopify-topic',
    deliveryIdHeader: 'x-shopify-webhook-id',
  });
}

export const shopify = defineScheme({
  name: 'shopify',
  summary: 'X-Shopify-Hmac-Sha256: <base64>, with X-Shopify-Topic and X-Shopify-Webhook-Id',
  docs: {
    signature: '`X-Shopify-Hmac-Sha256: <base64>`',
    signedContent: 'body, HMAC-SHA256 (app client secret)',
    eventType: '`X-Shopify-Topic` (e.g. `orders/create`)',
    deliveryId: '`X-Shopify-Webhook-Id`',
  },
  settings: {},
  create: (_settings, keys) => shopifyScheme({ keys }),
  example: {
    eventType: 'orders/create',
    body: () => ({
      id: 820982911946154500,
      email: 'jon@example.com',
      total_price: '10.00',
      currency: 'USD',
    }),
  },
});

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64>`, an HMAC-SHA256 of the raw body
 * keyed with the app's client secret. The event type is `X-Shopify-Topic`
 * (e.g. `orders/create`), the delivery id `X-Shopify-Webhook-Id`.
 *
 * Like GitHub, no timestamp is signed; the webhook id deduplicates replays.
 */
import { rejected, type Scheme, VERIFIED } from './scheme.js';
import { anyMatch, decodeBase64, headerValue, hmac } from './signing.js';

const HEADER = 'x-shopify-hmac-sha256';

export function shopifyScheme(opts: { keys: readonly Buffer[] }): Scheme {
  return {
    name: 'shopify',
    verify(request) {
      const header = headerValue(request.headers, HEADER);
      if (header === undefined) return rejected('missing_header', HEADER);
      const sig = decodeBase64(header.trim(), 'sha256');
      if (!sig) return rejected('malformed_header', HEADER);
      const expected = opts.keys.map((key) => hmac('sha256', key, request.rawBody));
      return anyMatch(expected, [sig]) ? VERIFIED : rejected('no_matching_signature', HEADER);
    },
    identify: (headers) => ({
      eventType: headerValue(headers, 'x-shopify-topic'),
      deliveryId: headerValue(headers, 'x-shopify-webhook-id'),
    }),
  };
}

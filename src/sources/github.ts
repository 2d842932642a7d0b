/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of the raw body.
 * The event type is `X-GitHub-Event`, the delivery id `X-GitHub-Delivery`.
 *
 * GitHub signs no timestamp, so a captured delivery can be replayed; the
 * delivery id as idempotency key turns such a replay into a duplicate.
 */
import { rejected, type Scheme, VERIFIED } from './scheme.js';
import { anyMatch, decodeHex, headerValue, hmac } from './signing.js';

const HEADER = 'x-hub-signature-256';
const PREFIX = 'sha256=';

export function githubScheme(opts: { keys: readonly Buffer[] }): Scheme {
  return {
    name: 'github',
    verify(request) {
      const header = headerValue(request.headers, HEADER);
      if (header === undefined) return rejected('missing_header', HEADER);
      const sig = header.startsWith(PREFIX)
        ? decodeHex(header.slice(PREFIX.length), 'sha256')
        : undefined;
      if (!sig) return rejected('malformed_header', HEADER);
      const expected = opts.keys.map((key) => hmac('sha256', key, request.rawBody));
      return anyMatch(expected, [sig]) ? VERIFIED : rejected('no_matching_signature', HEADER);
    },
    identify: (headers) => ({
      eventType: headerValue(headers, 'x-github-event'),
      deliveryId: headerValue(headers, 'x-github-delivery'),
    }),
  };
}

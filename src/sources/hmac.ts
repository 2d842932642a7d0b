/**
 * The body-HMAC scheme: one header carrying `<prefix><digest>`, the digest an
 * HMAC (sha256 or sha512) of the raw body, encoded as hex or base64.
 *
 * It serves the generic `hmac` source, for senders with no scheme of their own,
 * and is what GitHub and Shopify sign with (see github.ts, shopify.ts). The event
 * type and delivery id come from the configured headers (for `hmac`, by default
 * `X-Event-Type` and `Idempotency-Key`); when absent, the service falls back to
 * the payload's `type`/`event` and `id`, as for POST /webhooks. No timestamp is
 * signed, so replays are caught only by the idempotency key.
 */
import type { HmacDefinition } from './definition.js';
import { rejected, type Scheme, type SchemeName, VERIFIED } from './scheme.js';
import { anyMatch, decodeBase64, decodeHex, headerValue, hmac, signingKey } from './signing.js';

export type HmacSchemeOptions = Pick<
  HmacDefinition,
  'header' | 'algorithm' | 'encoding' | 'prefix' | 'eventTypeHeader' | 'deliveryIdHeader'
> & {
  keys: readonly Buffer[];
  /** The scheme's name, when a provider's scheme is this one with fixed settings. */
  schemeName?: SchemeName;
};

export function hmacScheme(opts: HmacSchemeOptions): Scheme {
  const decode = opts.encoding === 'hex' ? decodeHex : decodeBase64;
  return {
    name: opts.schemeName ?? 'hmac',
    signatureHeaders: [opts.header.toLowerCase()],
    verify(request) {
      const header = headerValue(request.headers, opts.header);
      if (header === undefined) return rejected('missing_header', opts.header);
      const sig = header.startsWith(opts.prefix)
        ? decode(header.slice(opts.prefix.length).trim(), opts.algorithm)
        : undefined;
      if (!sig) return rejected('malformed_header', opts.header);
      const expected = opts.keys.map((key) => hmac(opts.algorithm, key, request.rawBody));
      return anyMatch(expected, [sig]) ? VERIFIED : rejected('no_matching_signature', opts.header);
    },
    identify: (headers) => ({
      eventType: headerValue(headers, opts.eventTypeHeader),
      deliveryId: headerValue(headers, opts.deliveryIdHeader),
    }),
    sign({ rawBody, eventType, deliveryId }) {
      const digest = hmac(opts.algorithm, signingKey(opts.keys), rawBody);
      return {
        [opts.header.toLowerCase()]: `${opts.prefix}${digest.toString(opts.encoding)}`,
        [opts.eventTypeHeader.toLowerCase()]: eventType,
        [opts.deliveryIdHeader.toLowerCase()]: deliveryId,
      };
    },
  };
}

/**
 * A generic HMAC scheme for senders with no scheme of their own: one header
 * carrying `<prefix><digest>`, the digest an HMAC (sha256 or sha512) of the raw
 * body, encoded as hex or base64.
 *
 * The event type and delivery id come from the configured headers (by default
 * `X-Event-Type` and `Idempotency-Key`); when absent, the service falls back to
 * the payload's `type`/`event` and `id`, as for POST /webhooks. No timestamp is
 * signed, so replays are caught only by the idempotency key.
 */
import { rejected, type Scheme, VERIFIED } from './scheme.js';
import {
  anyMatch,
  decodeBase64,
  decodeHex,
  type HmacAlgorithm,
  headerValue,
  hmac,
} from './signing.js';

export interface HmacSchemeOptions {
  keys: readonly Buffer[];
  /** Lower-case header name. */
  header: string;
  algorithm: HmacAlgorithm;
  encoding: 'hex' | 'base64';
  /** Text before the digest, e.g. `sha256=`; empty for none. */
  prefix: string;
  /** Lower-case header names for the event type and the delivery id. */
  eventTypeHeader: string;
  deliveryIdHeader: string;
}

export function hmacScheme(opts: HmacSchemeOptions): Scheme {
  const decode = opts.encoding === 'hex' ? decodeHex : decodeBase64;
  return {
    name: 'hmac',
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
  };
}

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
import { rejected, type Scheme, VERIFIED } from './scheme.js';
import { defineScheme } from './scheme-definition.js';
import { choice, headerName, prefix } from './settings.js';
import {
  anyMatch,
  decodeBase64,
  decodeHex,
  type HmacAlgorithm,
  headerValue,
  hmac,
  signingKey,
} from './signing.js';

/** Where the signature is and how it is written; header names in lower case. */
export interface HmacSettings {
  header: string;
  algorithm: HmacAlgorithm;
  encoding: 'hex' | 'base64';
  prefix: string;
  eventTypeHeader: string;
  deliveryIdHeader: string;
}

export type HmacSchemeOptions = HmacSettings & {
  keys: readonly Buffer[];
  /** The scheme's name, when a provider's scheme is this one with fixed settings. */
  schemeName?: string;
};

export function hmacScheme(opts: HmacSchemeOptions): Scheme {
  const decode = opts.encoding === 'hex' ? decodeHex : decodeBase64;
  const header = opts.header.toLowerCase();
  return {
    name: opts.schemeName ?? 'hmac',
    signatureHeaders: [header],
    signedHeaders: [header],
    verify(request) {
      const value = headerValue(request.headers, header);
      if (value === undefined) return rejected('missing_header', header);
      const sig = value.startsWith(opts.prefix)
        ? decode(value.slice(opts.prefix.length).trim(), opts.algorithm)
        : undefined;
      if (!sig) return rejected('malformed_header', header);
      const expected = opts.keys.map((key) => hmac(opts.algorithm, key, request.rawBody));
      return anyMatch(expected, [sig]) ? VERIFIED : rejected('no_matching_signature', header);
    },
    identify: (headers) => ({
      eventType: headerValue(headers, opts.eventTypeHeader),
      deliveryId: headerValue(headers, opts.deliveryIdHeader),
    }),
    sign({ rawBody, eventType, deliveryId }) {
      const digest = hmac(opts.algorithm, signingKey(opts.keys), rawBody);
      return {
        [header]: `${opts.prefix}${digest.toString(opts.encoding)}`,
        [opts.eventTypeHeader.toLowerCase()]: eventType,
        [opts.deliveryIdHeader.toLowerCase()]: deliveryId,
      };
    },
  };
}

/** The generic scheme, for senders with none of their own: every setting is the source's. */
export const hmacDefinition = defineScheme({
  name: 'hmac',
  summary: 'a header you name, <prefix><digest>: HMAC of the body, hex or base64',
  docs: {
    signature: 'a header you name, `<prefix><digest>`',
    signedContent: 'body, HMAC-SHA256 or -SHA512, hex or base64',
    eventType: '`X-Event-Type` (or `event_type_header`)',
    deliveryId: '`Idempotency-Key` (or `delivery_id_header`)',
  },
  settings: {
    header: headerName('header', 'header'),
    algorithm: choice('algorithm', 'algorithm', ['sha256', 'sha512']),
    encoding: choice('encoding', 'encoding', ['hex', 'base64']),
    prefix: prefix('prefix', 'prefix'),
    eventTypeHeader: headerName('event_type_header', 'event-header', 'X-Event-Type'),
    deliveryIdHeader: headerName('delivery_id_header', 'id-header', 'Idempotency-Key'),
  },
  create: (settings, keys) => hmacScheme({ ...settings, keys }),
  example: {
    eventType: 'payment.succeeded',
    // The built-in payment handler's fields, with the payload's own type and id.
    body: (eventType, deliveryId) => ({
      id: deliveryId,
      type: eventType,
      amount: 1000,
      currency: 'USD',
    }),
  },
});

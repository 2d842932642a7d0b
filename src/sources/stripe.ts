/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, an
 * HMAC-SHA256 over `<t>.<raw body>` keyed with the whole `whsec_…` secret.
 * Any `v1` may match (Stripe sends several while a secret is being rolled).
 * The event type and delivery id are the payload's `type` and `id`.
 */
import {
  rejected,
  type Scheme,
  type SignedRequest,
  stringAt,
  VERIFIED,
  type Verdict,
} from './scheme.js';
import { defineScheme } from './scheme-definition.js';
import { tolerance } from './settings.js';
import {
  anyMatch,
  checkTimestamp,
  decodeHex,
  headerValue,
  hmac,
  parseUnixSeconds,
  signingKey,
  unixSeconds,
} from './signing.js';

const HEADER = 'stripe-signature';

export interface StripeSignature {
  /** The `t` value exactly as sent (it is part of the signed content). */
  timestamp: string;
  signatures: Buffer[];
}

/**
 * Parses the header: exactly one valid `t`, at least one well-formed `v1`.
 * Unknown keys (`v0`, future schemes) are ignored, as Stripe asks.
 */
export function parseStripeSignature(header: string): StripeSignature | undefined {
  let timestamp: string | undefined;
  let timestamps = 0;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') {
      timestamps++;
      timestamp = value;
    } else if (key === 'v1') {
      const sig = decodeHex(value, 'sha256');
      if (sig) signatures.push(sig);
    }
  }
  if (timestamps !== 1 || parseUnixSeconds(timestamp) === undefined || signatures.length === 0)
    return undefined;
  return { timestamp: timestamp as string, signatures };
}

export function stripeScheme(opts: { keys: readonly Buffer[]; toleranceMs: number }): Scheme {
  return {
    name: 'stripe',
    signatureHeaders: [HEADER],
    signedHeaders: [HEADER],
    verify(request: SignedRequest, nowMs: number): Verdict {
      const header = headerValue(request.headers, HEADER);
      if (header === undefined) return rejected('missing_header', HEADER);
      const parsed = parseStripeSignature(header);
      if (!parsed) return rejected('malformed_header', HEADER);
      const late = checkTimestamp(Number(parsed.timestamp), nowMs, opts.toleranceMs, HEADER);
      if (late) return late;
      const expected = opts.keys.map((key) =>
        hmac('sha256', key, parsed.timestamp, '.', request.rawBody),
      );
      return anyMatch(expected, parsed.signatures)
        ? VERIFIED
        : rejected('no_matching_signature', HEADER);
    },
    identify: (_headers, payload) => ({
      eventType: stringAt(payload, 'type'),
      deliveryId: stringAt(payload, 'id'),
    }),
    // The type and id travel in the payload.
    sign({ rawBody }, nowMs) {
      const t = unixSeconds(nowMs);
      const v1 = hmac('sha256', signingKey(opts.keys), t, '.', rawBody).toString('hex');
      return { [HEADER]: `t=${t},v1=${v1}` };
    },
  };
}

export const stripe = defineScheme({
  name: 'stripe',
  summary: 'Stripe-Signature: t=<seconds>,v1=<hex>; type and id in the payload',
  docs: {
    signature: '`Stripe-Signature: t=…,v1=<hex>` (any `v1` may match)',
    signedContent: '`<t>.<body>`, HMAC-SHA256 keyed with the whole `whsec_…`',
    eventType: 'payload `type`',
    deliveryId: 'payload `id`',
  },
  settings: { toleranceMs: tolerance() },
  create: ({ toleranceMs }, keys) => stripeScheme({ keys, toleranceMs }),
  example: {
    // A Stripe event carries its amount inside data.object, not where the built-in
    // payment handler looks, so the example is Stripe's own name for a payment,
    // which the generic handler takes.
    eventType: 'payment_intent.succeeded',
    body: (eventType, deliveryId, nowMs) => ({
      id: deliveryId,
      object: 'event',
      type: eventType,
      created: Math.floor(nowMs / 1000),
      data: {
        object: { id: 'pi_example', object: 'payment_intent', amount: 1000, currency: 'usd' },
      },
    }),
  },
});

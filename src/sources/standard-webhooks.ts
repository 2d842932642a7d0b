/**
 * Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp`
 * and `webhook-signature`, the last a space-separated list of `v1,<base64>`
 * entries. Each is an HMAC-SHA256 over `<id>.<timestamp>.<raw body>`, keyed with
 * the base64-decoded `whsec_` secret. The timestamp must be within the
 * tolerance in both directions.
 *
 * The event type is the payload's `type`; the delivery id is the id header,
 * which the sender keeps across retries. Svix signs the same way under its own
 * header names (svix.ts).
 */
import { rejected, type Scheme, stringAt, VERIFIED } from './scheme.js';
import { defineScheme, type ExampleEvent, type SecretFormat } from './scheme-definition.js';
import { tolerance } from './settings.js';
import {
  anyMatch,
  checkTimestamp,
  decodeBase64,
  headerValue,
  hmac,
  parseUnixSeconds,
  signingKey,
  unixSeconds,
} from './signing.js';

/** The three headers of the scheme, in lower case. */
export interface StandardHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

const STANDARD_HEADERS: StandardHeaders = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
};
const SECRET_PREFIX = 'whsec_';

/**
 * The `v1` signatures of the header. Other versions (`v1a` is asymmetric) and
 * entries that do not decode are skipped; an empty result means nothing usable.
 */
export function parseStandardSignatures(header: string): Buffer[] {
  const out: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const sig = decodeBase64(entry.slice(comma + 1), 'sha256');
    if (sig) out.push(sig);
  }
  return out;
}

/**
 * The signing key of a `whsec_<base64>` secret (the prefix is optional), or
 * undefined when it is not valid base64 or decodes to nothing.
 */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 === 1) return undefined;
  const key = Buffer.from(b64, 'base64');
  return key.length > 0 ? key : undefined;
}

/** A `whsec_<base64>` secret, described as `expected` when one is not. */
export function whsecSecret(expected: string): SecretFormat {
  return { key: standardWebhooksKey, expected };
}

export function standardWebhooksScheme(opts: {
  keys: readonly Buffer[];
  toleranceMs: number;
  /** For a provider that signs this way under its own header names. */
  name?: string;
  headers?: StandardHeaders;
}): Scheme {
  const { id: ID, timestamp: TIMESTAMP, signature: SIGNATURE } = opts.headers ?? STANDARD_HEADERS;
  return {
    name: opts.name ?? 'standard-webhooks',
    signatureHeaders: [SIGNATURE],
    signedHeaders: [ID, TIMESTAMP, SIGNATURE],
    verify(request, nowMs) {
      const id = headerValue(request.headers, ID);
      const timestamp = headerValue(request.headers, TIMESTAMP);
      const header = headerValue(request.headers, SIGNATURE);
      if (id === undefined || id === '') return rejected('missing_header', ID);
      if (timestamp === undefined) return rejected('missing_header', TIMESTAMP);
      if (header === undefined) return rejected('missing_header', SIGNATURE);
      const seconds = parseUnixSeconds(timestamp);
      if (seconds === undefined) return rejected('malformed_header', TIMESTAMP);
      const signatures = parseStandardSignatures(header);
      if (signatures.length === 0) return rejected('malformed_header', SIGNATURE);
      const late = checkTimestamp(seconds, nowMs, opts.toleranceMs, TIMESTAMP);
      if (late) return late;
      const expected = opts.keys.map((key) =>
        hmac('sha256', key, id, '.', timestamp, '.', request.rawBody),
      );
      return anyMatch(expected, signatures)
        ? VERIFIED
        : rejected('no_matching_signature', SIGNATURE);
    },
    identify: (headers, payload) => ({
      eventType: stringAt(payload, 'type'),
      deliveryId: headerValue(headers, ID),
    }),
    // The type travels in the payload; the id is signed.
    sign({ rawBody, deliveryId }, nowMs) {
      const ts = unixSeconds(nowMs);
      const sig = hmac('sha256', signingKey(opts.keys), deliveryId, '.', ts, '.', rawBody);
      return { [ID]: deliveryId, [TIMESTAMP]: ts, [SIGNATURE]: `v1,${sig.toString('base64')}` };
    },
  };
}

/** The payload Standard Webhooks recommends: `type`, `timestamp`, `data`. */
export const standardExample: ExampleEvent = {
  eventType: 'invoice.paid',
  body: (eventType, _deliveryId, nowMs) => ({
    type: eventType,
    timestamp: new Date(nowMs).toISOString(),
    data: { id: 'example', amount: 1000 },
  }),
};

export const standardWebhooks = defineScheme({
  name: 'standard-webhooks',
  summary: 'webhook-signature: v1,<base64> …, with webhook-id and webhook-timestamp',
  docs: {
    signature: '`webhook-signature: v1,<base64> …` + `webhook-id`, `webhook-timestamp`',
    signedContent: '`<id>.<timestamp>.<body>`, HMAC-SHA256 keyed with the base64 of `whsec_…`',
    eventType: 'payload `type`',
    deliveryId: '`webhook-id`',
  },
  settings: { toleranceMs: tolerance() },
  secret: whsecSecret('a Standard Webhooks secret (whsec_ followed by base64)'),
  create: ({ toleranceMs }, keys) => standardWebhooksScheme({ keys, toleranceMs }),
  example: standardExample,
});

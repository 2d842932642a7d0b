/**
 * Slack (Events API): `X-Slack-Signature: v0=<hex>`, an HMAC-SHA256 over
 * `v0:<X-Slack-Request-Timestamp>:<raw body>`, with the timestamp within the
 * tolerance (5 minutes by default) of now.
 *
 * The event type is the inner `event.type` of an `event_callback`, else the
 * payload's `type`; the delivery id is `event_id`, which Slack keeps across its
 * retries. The `url_verification` handshake is answered on the spot with its
 * challenge (after the signature is checked, like every other request).
 */
import { InvalidInputError } from '../ingest/invalid-input.js';
import { type InlineReply, rejected, type Scheme, stringAt, VERIFIED } from './scheme.js';
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

const SIGNATURE = 'x-slack-signature';
const TIMESTAMP = 'x-slack-request-timestamp';
const PREFIX = 'v0=';
/** Slack's challenges are short; anything long is not one. */
const MAX_CHALLENGE = 512;

export function slackScheme(opts: { keys: readonly Buffer[]; toleranceMs: number }): Scheme {
  return {
    name: 'slack',
    signatureHeaders: [SIGNATURE],
    signedHeaders: [TIMESTAMP, SIGNATURE],
    verify(request, nowMs) {
      const header = headerValue(request.headers, SIGNATURE);
      if (header === undefined) return rejected('missing_header', SIGNATURE);
      const timestamp = headerValue(request.headers, TIMESTAMP);
      if (timestamp === undefined) return rejected('missing_header', TIMESTAMP);
      const seconds = parseUnixSeconds(timestamp);
      if (seconds === undefined) return rejected('malformed_header', TIMESTAMP);
      const sig = header.startsWith(PREFIX)
        ? decodeHex(header.slice(PREFIX.length), 'sha256')
        : undefined;
      if (!sig) return rejected('malformed_header', SIGNATURE);
      const late = checkTimestamp(seconds, nowMs, opts.toleranceMs, TIMESTAMP);
      if (late) return late;
      const expected = opts.keys.map((key) =>
        hmac('sha256', key, 'v0:', timestamp, ':', request.rawBody),
      );
      return anyMatch(expected, [sig]) ? VERIFIED : rejected('no_matching_signature', SIGNATURE);
    },
    identify: (_headers, payload) => ({
      eventType:
        stringAt(payload, 'type') === 'event_callback'
          ? (stringAt(payload, 'event', 'type') ?? 'event_callback')
          : stringAt(payload, 'type'),
      deliveryId: stringAt(payload, 'event_id'),
    }),
    // The type and id travel in the payload.
    sign({ rawBody }, nowMs) {
      const ts = unixSeconds(nowMs);
      const sig = hmac('sha256', signingKey(opts.keys), 'v0:', ts, ':', rawBody).toString('hex');
      return { [TIMESTAMP]: ts, [SIGNATURE]: `${PREFIX}${sig}` };
    },
    inlineReply(payload): InlineReply | undefined {
      if (stringAt(payload, 'type') !== 'url_verification') return undefined;
      const challenge = stringAt(payload, 'challenge');
      if (challenge === undefined || challenge.length > MAX_CHALLENGE)
        throw new InvalidInputError(
          'payload',
          'A url_verification request needs a "challenge" string.',
        );
      return { status: 200, body: { challenge } };
    },
  };
}

export const slack = defineScheme({
  name: 'slack',
  summary: 'X-Slack-Signature: v0=<hex> and X-Slack-Request-Timestamp (Events API)',
  docs: {
    signature: '`X-Slack-Signature: v0=<hex>` + `X-Slack-Request-Timestamp`',
    signedContent: '`v0:<timestamp>:<body>`, HMAC-SHA256 (signing secret)',
    eventType: '`event.type`, else `type`',
    deliveryId: '`event_id`',
  },
  settings: { toleranceMs: tolerance() },
  create: ({ toleranceMs }, keys) => slackScheme({ keys, toleranceMs }),
  example: {
    eventType: 'app_mention',
    body: (eventType, deliveryId, nowMs) => ({
      type: 'event_callback',
      event_id: deliveryId,
      event_time: Math.floor(nowMs / 1000),
      event: { type: eventType, text: 'hello from webhook-processor send' },
    }),
  },
});

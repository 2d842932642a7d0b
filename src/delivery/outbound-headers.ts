/**
 * The headers of a delivery. Only the provider's Content-Type is carried over
 * from the incoming request: its signature headers were for us, not for the
 * destination, which gets our own Standard Webhooks signature instead.
 */
import { createRequire } from 'node:module';
import type { DestinationConfig } from './destination.js';
import { signatureHeader } from './signature.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export const DEFAULT_USER_AGENT = `webhook-processor/${version}`;

/** One delivery attempt, as the delivery engine hands it over. */
export interface OutboundMessage {
  /** Standard Webhooks `webhook-id`: stable for this delivery across retries (the caller builds it). */
  webhookId: string;
  /** The body exactly as received from the provider (valid UTF-8 JSON); its UTF-8 bytes are sent. */
  body: string;
  /** The provider's Content-Type, as received. */
  contentType: string;
  /** X-Webhook-Source. */
  source: string;
  /** X-Webhook-Event-Type. */
  eventType: string;
  /** X-Webhook-Event-Id (the job id). */
  eventId: string;
  /** X-Webhook-Attempt, 1-based. */
  attempt: number;
}

/**
 * The destination's own headers, lower-cased, with HTTP basic credentials from
 * its URL (which undici would otherwise drop) unless it sets Authorization itself.
 */
export function destinationHeaders(d: DestinationConfig, url: URL): Record<string, string> {
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  for (const [name, value] of Object.entries(d.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * A header value that survives the trip: event types and ids come from the
 * provider's payload and may hold any character, but header bytes are read as
 * Latin-1 and undici refuses anything past U+00FF. So control characters and
 * everything outside printable ASCII are sent percent-encoded (UTF-8), and the
 * signature covers the id as sent.
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/gu, (ch) =>
    [...Buffer.from(ch, 'utf8')]
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

/** Every header of one attempt; ours win over the destination's on a clash. */
export function attemptHeaders(
  base: Record<string, string>,
  signingKeys: readonly Buffer[],
  msg: OutboundMessage,
  body: Buffer,
  timestampSeconds: number,
  userAgent: string,
): Record<string, string> {
  const webhookId = headerSafe(msg.webhookId);
  const headers: Record<string, string> = {
    ...base,
    'content-type': msg.contentType,
    'user-agent': userAgent,
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestampSeconds),
    'x-webhook-source': headerSafe(msg.source),
    'x-webhook-event-type': headerSafe(msg.eventType),
    'x-webhook-event-id': headerSafe(msg.eventId),
    'x-webhook-attempt': String(msg.attempt),
  };
  const signature = signatureHeader(signingKeys, webhookId, timestampSeconds, body);
  if (signature) headers['webhook-signature'] = signature;
  else delete headers['webhook-signature'];
  return headers;
}

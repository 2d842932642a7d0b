/**
 * What ingest reads from a request: the event type and the idempotency key.
 */
import * as crypto from 'node:crypto';
import { InvalidInputError } from './invalid-input.js';
import { lastTopLevelNumberToken } from './number-token.js';

const EVENT_TYPE = /^[A-Za-z0-9._:-]{1,128}$/;
/** Providers' own types may also contain `/` (Shopify topics such as `orders/create`). */
const PROVIDER_EVENT_TYPE = /^[A-Za-z0-9._:/-]{1,128}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

export const GENERIC_EVENT_TYPE = 'generic';

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The event type: the X-Event-Type header, else the payload's `type`, else its
 * `event`, else `generic`. Only strings are candidates; a candidate that is not a
 * short name is a client error, not something to store and label metrics with.
 */
export function eventTypeOf(
  header: string | string[] | undefined,
  payload: Record<string, unknown>,
): string {
  const fromHeader = firstHeader(header);
  const candidate =
    fromHeader !== undefined
      ? fromHeader.trim()
      : typeof payload.type === 'string'
        ? payload.type
        : typeof payload.event === 'string'
          ? payload.event
          : GENERIC_EVENT_TYPE;
  if (!EVENT_TYPE.test(candidate)) throw new InvalidInputError('event_type');
  return candidate;
}

/**
 * The deduplication key: the Idempotency-Key header, else the payload's `id`
 * (a non-empty string or a number). Undefined when neither is present: such an
 * event is accepted without deduplication.
 *
 * A numeric id that is a safe integer keys as `String(id)` (the form keys have
 * always had). Any other number (past 2^53, a fraction) was rounded by
 * `JSON.parse`, so distinct ids would collide: it keys as its exact text in
 * `bodyText`, the body the payload was parsed from. When that text cannot be
 * found, the event is accepted without deduplication rather than on a guess.
 */
export function idempotencyKeyOf(
  header: string | string[] | undefined,
  payload: Record<string, unknown>,
  bodyText: string | undefined,
): string | undefined {
  const fromHeader = firstHeader(header);
  if (fromHeader !== undefined) {
    if (!IDEMPOTENCY_KEY.test(fromHeader)) throw new InvalidInputError('idempotency_key');
    return fromHeader;
  }
  const id = payload.id;
  if (typeof id === 'string' && id !== '') return id;
  if (typeof id !== 'number') return undefined;
  if (Number.isSafeInteger(id)) return String(id);
  if (bodyText === undefined) return undefined;
  const token = lastTopLevelNumberToken(bodyText, 'id');
  // The token must be the very number the payload holds, or it is not its text.
  return token !== undefined && Number(token) === id ? token : undefined;
}

/** A verified provider's event type, checked like any other before it names a job. */
export function providerEventType(value: string): string {
  if (!PROVIDER_EVENT_TYPE.test(value)) throw new InvalidInputError('event_type');
  return value;
}

/** A verified provider's delivery id, held to the same rules as the Idempotency-Key header. */
export function providerDeliveryId(value: string): string {
  if (!IDEMPOTENCY_KEY.test(value)) throw new InvalidInputError('idempotency_key');
  return value;
}

/**
 * The stored form of a key: scoped to its source (two providers may reuse an id)
 * and hashed, so that key length and characters are bounded whatever the sender chose.
 */
export function dedupeKey(source: string, key: string): string {
  return sha256(`${source}\n${key}`);
}

/**
 * SHA-256, base64url. `crypto.hash` (Node 20.12+) is the one-shot form, several
 * times cheaper per call than a Hash object; this runs once per accepted webhook.
 */
const sha256: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'base64url')
    : (text) => crypto.createHash('sha256').update(text).digest('base64url');

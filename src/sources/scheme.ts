/**
 * What every verification scheme provides, once configured for a source: a
 * verdict on the raw request, and the provider's own event type and delivery id
 * once the request is trusted. The schemes themselves are listed in schemes.ts.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A request as a scheme sees it: the headers (lower-case names) and the exact body bytes. */
export interface SignedRequest {
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

/**
 * Why a request failed verification. These go to the debug log only; the client
 * sees one generic error whatever the reason.
 */
export type FailureReason =
  | 'missing_header'
  | 'malformed_header'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'no_matching_signature';

export type Verdict = { ok: true } | { ok: false; reason: FailureReason; header: string };

export const VERIFIED: Verdict = { ok: true };

export function rejected(reason: FailureReason, header: string): Verdict {
  return { ok: false, reason, header };
}

/** What a verified request says about itself, in the provider's own terms. */
export interface ProviderIdentity {
  /** The provider's event type (becomes the job's type), when it supplies one. */
  eventType: string | undefined;
  /** The provider's delivery or event id (becomes the idempotency key), when it supplies one. */
  deliveryId: string | undefined;
}

/** A reply given on the spot instead of queueing (Slack's url_verification handshake). */
export interface InlineReply {
  status: 200;
  body: Record<string, unknown>;
}

/** A delivery to sign as its provider would (developers' test deliveries). */
export interface OutgoingDelivery {
  rawBody: Buffer;
  eventType: string;
  deliveryId: string;
}

export interface Scheme {
  /** The scheme's name (schemes.ts). */
  readonly name: string;
  /** Lower-case names of the headers that carry signatures: redacted wherever headers are kept. */
  readonly signatureHeaders: readonly string[];
  /**
   * Lower-case names of every header the verdict depends on (signature, signed
   * timestamp, signed id), the signature last: each one missing is a failure.
   */
  readonly signedHeaders: readonly string[];
  /** Checks the signature on the raw bytes. `nowMs` is the receiving time (ms since the epoch). */
  verify(request: SignedRequest, nowMs: number): Verdict;
  /** Only called after `verify` succeeded and the body parsed as a JSON object. */
  identify(headers: IncomingHttpHeaders, payload: Record<string, unknown>): ProviderIdentity;
  /**
   * The headers the provider would send with this delivery, signed with the
   * first secret at `nowMs`: the signature and, where the provider puts them in
   * headers, the event type and delivery id.
   */
  sign(delivery: OutgoingDelivery, nowMs: number): Record<string, string>;
  /** A verified request the service answers itself rather than queueing, if any. */
  inlineReply?(payload: Record<string, unknown>): InlineReply | undefined;
}

/** The string at `path` in a JSON payload, if it is a non-empty string. */
export function stringAt(payload: Record<string, unknown>, ...path: string[]): string | undefined {
  let node: unknown = payload;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' && node !== '' ? node : undefined;
}

/**
 * The pieces every HMAC scheme shares: digests over raw bytes, strict decoding of
 * the signature the sender supplied, a constant-time compare, header access and
 * timestamp tolerance.
 *
 * Parsers here never throw: anything they do not understand is `undefined`, and
 * the scheme turns that into a failed verification.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { rejected, type Verdict } from './scheme.js';

export type HmacAlgorithm = 'sha256' | 'sha512';

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha256: 32, sha512: 64 };

/** HMAC of the concatenated parts, fed in order without copying the body. */
export function hmac(algorithm: HmacAlgorithm, key: Buffer, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Compares two digests in time independent of where they differ. A length
 * mismatch returns at once: lengths are public (every digest of an algorithm has
 * the same one), the contents are not.
 */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * True when any supplied signature equals any expected digest (one per secret,
 * so that old and new secrets both verify during a rotation). Every pair is
 * compared, so the time taken does not depend on which one matched.
 */
export function anyMatch(expected: readonly Buffer[], supplied: readonly Buffer[]): boolean {
  let matched = false;
  for (const e of expected) {
    for (const s of supplied) {
      if (safeEqual(e, s)) matched = true;
    }
  }
  return matched;
}

/**
 * A header's value. A header sent twice arrives as an array (or joined by
 * Node); an array is ambiguous, so it counts as absent.
 */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** The key that signs outgoing deliveries: the first (current) secret. */
export function signingKey(keys: readonly Buffer[]): Buffer {
  const key = keys[0];
  if (!key) throw new Error('the source has no usable secret to sign with');
  return key;
}

/** Whole seconds since the epoch, as providers send them. */
export function unixSeconds(nowMs: number): string {
  return String(Math.floor(nowMs / 1000));
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes a hex digest of exactly the algorithm's length, else undefined. */
export function decodeHex(text: string, algorithm: HmacAlgorithm): Buffer | undefined {
  if (text.length !== DIGEST_BYTES[algorithm] * 2 || !HEX.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}

/** Decodes a standard-alphabet base64 digest of exactly the algorithm's length, else undefined. */
export function decodeBase64(text: string, algorithm: HmacAlgorithm): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === DIGEST_BYTES[algorithm] ? bytes : undefined;
}

const UNIX_SECONDS = /^\d{1,12}$/;

/** Whole seconds since the epoch, as providers send them; anything else is undefined. */
export function parseUnixSeconds(text: string | undefined): number | undefined {
  return text !== undefined && UNIX_SECONDS.test(text) ? Number(text) : undefined;
}

/**
 * Rejects a timestamp further than `toleranceMs` from now in either direction:
 * too old is a replay, too new is a clock problem or a forged future timestamp
 * that would otherwise stay replayable for longer.
 */
export function checkTimestamp(
  seconds: number,
  nowMs: number,
  toleranceMs: number,
  header: string,
): Verdict | undefined {
  const skewMs = nowMs - seconds * 1000;
  if (skewMs > toleranceMs) return rejected('stale_timestamp', header);
  if (-skewMs > toleranceMs) return rejected('future_timestamp', header);
  return undefined;
}

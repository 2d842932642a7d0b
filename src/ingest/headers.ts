/**
 * The request headers a job keeps, so that an operator looking at a dead letter
 * sees how it arrived (user agent, provider delivery headers, content type).
 *
 * Kept: every header but the hop-by-hop ones, in arrival order, with these
 * limits: at most MAX_HEADERS headers, values cut to MAX_VALUE characters, and
 * MAX_TOTAL characters in all (what does not fit is left out). Redacted before
 * anything is stored, value replaced by `[redacted]` and name kept: credentials
 * and cookies (`authorization`, `cookie`, …), every header whose name suggests a
 * secret (token, secret, signature, hmac, password, api key, session), and the
 * signature headers of the request's source scheme, whatever they are named.
 */
import type { IncomingHttpHeaders } from 'node:http';

export const MAX_HEADERS = 64;
export const MAX_VALUE = 1_024;
export const MAX_TOTAL = 8 * 1_024;
export const REDACTED = '[redacted]';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);
const SECRET_NAME =
  /authorization|cookie|token|secret|signature|hmac|password|passwd|api[-_]?key|session|credential|csrf/;

/** True when a header of this (lower-case) name must not be stored as it is. */
export function isSecretHeader(name: string, signatureHeaders: readonly string[] = []): boolean {
  return SECRET_NAME.test(name) || signatureHeaders.includes(name);
}

/**
 * The headers to keep with a job. `signatureHeaders` are the source scheme's
 * own (lower-case), redacted whatever their names.
 */
export function recordedHeaders(
  headers: IncomingHttpHeaders,
  signatureHeaders: readonly string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  let total = 0;
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined || HOP_BY_HOP.has(name)) continue;
    let value = isSecretHeader(name, signatureHeaders)
      ? REDACTED
      : Array.isArray(raw)
        ? raw.join(', ')
        : raw;
    if (value.length > MAX_VALUE) value = `${value.slice(0, MAX_VALUE)}…`;
    total += name.length + value.length;
    if (++count > MAX_HEADERS || total > MAX_TOTAL) break;
    out[name] = value;
  }
  return out;
}

/** Headers read back from storage, redacted again (entries stored before a rule existed). */
export function redactedHeaders(
  headers: Record<string, string> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    out[name] = isSecretHeader(name.toLowerCase()) ? REDACTED : value;
  }
  return out;
}

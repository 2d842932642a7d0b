/**
 * A destination's `headers`: extra request headers, each a literal or a value
 * from the environment (`{ env: NAME }`, for API keys and tokens).
 *
 * Headers that frame the request or that the sender sets to describe and sign
 * the delivery cannot be configured: a second Content-Length or a forged
 * Webhook-Signature would break the request or the receiver's verification.
 * Problems name the header, never its value, literal or not: an API key pasted
 * in as a literal is still a secret.
 */
import { isEnvRef, readEnvRefField } from '../config/env-ref.js';

type Env = Record<string, string | undefined>;

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/;
/** What Node's HTTP clients accept in a header value (no CR, LF, NUL or other controls). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_VALUE_LENGTH = 8192;

/** Set by the HTTP client from the body and the connection. */
const FRAMING = new Set([
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);
/** Set by the sender to identify, describe and sign each delivery. */
const PROVENANCE = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'user-agent']);
const PROVENANCE_PREFIX = 'x-webhook-';

/** Why a header name cannot be configured, or undefined when it can. */
export function reservedHeaderReason(lowerName: string): string | undefined {
  if (FRAMING.has(lowerName)) return 'is set by the HTTP client for every request';
  if (PROVENANCE.has(lowerName) || lowerName.startsWith(PROVENANCE_PREFIX)) {
    return 'is set by the sender to identify and sign each delivery';
  }
  return undefined;
}

/**
 * Validates the `headers` map; `problem(field, text)` reports against a field
 * such as `headers.X-Api-Key`. Names are returned lower-cased (HTTP header names
 * are case-insensitive, and HTTP/2 sends them so).
 */
export function readHeaders(
  value: unknown,
  env: Env,
  problem: (field: string, text: string) => void,
): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problem('headers', 'must be a map of header name -> value or { env: NAME }');
    return {};
  }
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  for (const [name, raw] of Object.entries(value)) {
    const field = `headers.${name}`;
    if (!TOKEN.test(name)) {
      problem(field, "is not a valid header name (letters, digits and !#$%&'*+.^_`|~-)");
      continue;
    }
    const lower = name.toLowerCase();
    const reserved = reservedHeaderReason(lower);
    if (reserved) {
      problem(field, `${reserved}; it cannot be configured`);
      continue;
    }
    if (seen.has(lower)) {
      problem(field, 'is given twice (header names are case-insensitive)');
      continue;
    }
    seen.add(lower);
    const resolved = headerValue(raw, env, (text) => problem(field, text));
    if (resolved !== undefined) entries.push([lower, resolved]);
  }
  // fromEntries defines own properties, so a header named __proto__ stays a header.
  return Object.fromEntries(entries);
}

function headerValue(raw: unknown, env: Env, problem: (text: string) => void): string | undefined {
  let value: string;
  if (typeof raw === 'string') {
    value = raw;
  } else if (typeof raw === 'number' && Number.isFinite(raw)) {
    value = String(raw);
  } else if (isEnvRef(raw)) {
    const ref = readEnvRefField(raw, env);
    if (!ref.ok) {
      problem(ref.problem);
      return undefined;
    }
    value = ref.value;
  } else {
    problem('must be a string, a number, or { env: NAME } to read it from the environment');
    return undefined;
  }
  if (!HEADER_VALUE.test(value) || value.length > MAX_VALUE_LENGTH) {
    problem(
      `has a value that is not a valid header value (at most ${MAX_VALUE_LENGTH} characters, no line breaks or control characters); the value is not shown`,
    );
    return undefined;
  }
  return value;
}

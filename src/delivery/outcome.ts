/**
 * What one delivery attempt came to, and the rules that decide it: any 2xx is
 * delivered; network errors, timeouts, 408, 429 and 5xx are worth retrying; a
 * redirect, 410 and (unless the destination says otherwise) other 4xx are not.
 * Error texts are short and stable, and never carry the request body, header
 * values or URL credentials.
 */
import { STATUS_CODES } from 'node:http';
import { EgressRefusedError } from './egress-guard.js';
import { parseRetryAfter } from './retry-after.js';

export type CodeClass = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'network';

export type AttemptOutcome =
  | { kind: 'delivered'; status: number; durationMs: number; responseBody: string }
  | {
      kind: 'retry';
      status?: number;
      codeClass: CodeClass;
      error: string;
      /** From the answer's Retry-After (429 and 503 only), uncapped. */
      retryAfterMs?: number;
      durationMs: number;
      responseBody?: string;
    }
  | {
      kind: 'dead';
      status?: number;
      codeClass: CodeClass;
      error: string;
      durationMs: number;
      responseBody?: string;
    };

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Up to the first KiB of the body, decoded. */
  responseBody: string;
  durationMs: number;
}

export interface AnswerContext {
  /** The destination's URL, to resolve a relative Location against. */
  url: URL;
  retry4xx: boolean;
  nowMs: number;
}

/** The outcome of an attempt that got a final status. */
export function outcomeForAnswer(a: Answer, ctx: AnswerContext): AttemptOutcome {
  const { status, durationMs, responseBody } = a;
  if (status >= 200 && status < 300) return { kind: 'delivered', status, durationMs, responseBody };
  const codeClass = statusClass(status);
  const base = { status, codeClass, durationMs, responseBody };
  if (status >= 300 && status < 400) {
    return { kind: 'dead', ...base, error: redirectError(status, a.headers.location, ctx.url) };
  }
  const error = statusText(status);
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(a.headers['retry-after'], ctx.nowMs);
    return {
      kind: 'retry',
      ...base,
      error,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (status >= 500 || status === 408) return { kind: 'retry', ...base, error };
  if (status === 410 || !ctx.retry4xx) return { kind: 'dead', ...base, error };
  return { kind: 'retry', ...base, error };
}

/** Why the attempt's signal fired, when it did. */
export type AbortCause = 'timeout' | 'aborted' | undefined;

/** The outcome of an attempt that failed before a status arrived. */
export function outcomeForError(
  err: unknown,
  cause: AbortCause,
  durationMs: number,
  timeoutMs: number,
): AttemptOutcome {
  if (cause === 'timeout' || isUndiciTimeout(err)) {
    return {
      kind: 'retry',
      codeClass: 'timeout',
      error: `timed out after ${timeoutMs}ms`,
      durationMs,
    };
  }
  // The caller's abort is a shutdown: the delivery is not at fault and goes again.
  if (cause === 'aborted')
    return { kind: 'retry', codeClass: 'network', error: 'aborted', durationMs };
  const refused = findEgressRefusal(err);
  if (refused) return { kind: 'dead', codeClass: 'network', error: refused.message, durationMs };
  const code = errorCode(err);
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') {
    return { kind: 'retry', codeClass: 'network', error: 'sender closed', durationMs };
  }
  // A request undici refuses to build (a bad configured header) fails the same way every time.
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    return { kind: 'dead', codeClass: 'network', error: errorText(err), durationMs };
  }
  return { kind: 'retry', codeClass: 'network', error: errorText(err), durationMs };
}

function statusClass(status: number): CodeClass {
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}

function statusText(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

/** Names at most the target's origin: a Location's path or query may carry a token. */
function redirectError(status: number, location: string | string[] | undefined, base: URL): string {
  const text = `${statusText(status)}: redirects are not followed`;
  const loc = Array.isArray(location) ? location[0] : location;
  if (!loc) return text;
  try {
    const origin = new URL(loc, base).origin;
    return origin === 'null' ? text : `${text} (to ${origin})`;
  } catch {
    return text;
  }
}

function isUndiciTimeout(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function findEgressRefusal(err: unknown, depth = 0): EgressRefusedError | undefined {
  if (err instanceof EgressRefusedError) return err;
  if (depth > 3 || !(err instanceof Error)) return undefined;
  if (err instanceof AggregateError) {
    for (const e of err.errors) {
      const found = findEgressRefusal(e, depth + 1);
      if (found) return found;
    }
  }
  return findEgressRefusal(err.cause, depth + 1);
}

const MAX_ERROR_TEXT = 300;

/**
 * `connect ECONNREFUSED 127.0.0.1:3000`, `other side closed (UND_ERR_SOCKET)`;
 * an AggregateError (one failure per address tried) lists its distinct parts.
 */
export function errorText(err: unknown): string {
  let text: string;
  if (err instanceof AggregateError && err.errors.length > 0) {
    text = [...new Set(err.errors.map(singleErrorText))].slice(0, 4).join('; ');
  } else {
    text = singleErrorText(err);
  }
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT - 1)}…` : text;
}

function singleErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = errorCode(err);
  const message = err.message || err.name;
  if (!code || message.includes(code)) return message;
  return `${message} (${code})`;
}

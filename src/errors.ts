/**
 * The error catalogue: every error a client can see, with its stable code and HTTP status.
 *
 * Routes throw `apiError(code)`; one Fastify error handler renders every error as
 * `{"error":{"code":"…","message":"…"}}`. Clients and tests match on `code`, never on
 * the wording of `message`.
 */
import { formatBytes } from './config/bytes.js';

export const ERRORS = {
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  empty_body: { status: 400, message: 'The request body is empty; send a JSON object.' },
  invalid_body: { status: 400, message: 'The request body must be a JSON object.' },
  invalid_event_type: {
    status: 400,
    message:
      'The event type must be 1-128 characters of letters, digits and . _ : - (from X-Event-Type, or the payload "type" or "event").',
  },
  invalid_idempotency_key: {
    status: 400,
    message: 'The Idempotency-Key header must be 1-255 printable ASCII characters.',
  },
  bad_request: { status: 400, message: 'The request is malformed.' },
  invalid_filter: {
    status: 400,
    message:
      'A filter or paging parameter is invalid: type, source and destination are short names, failed_after and failed_before RFC 3339 times with failed_after first, limit and max within range, no unknown parameters.',
  },
  invalid_cursor: {
    status: 400,
    message: 'The cursor (or up_to) is not one this service returned.',
  },
  confirmation_required: {
    status: 400,
    message: 'A purge deletes dead letters for good; repeat the request with confirm=true.',
  },
  unauthorized: { status: 401, message: 'Missing or invalid credentials.' },
  // One code and one message for every way a signature can fail: the response must
  // not tell a forger which part was wrong (the debug log records that).
  invalid_signature: { status: 401, message: 'The webhook signature could not be verified.' },
  not_found: { status: 404, message: 'No such route.' },
  unknown_source: { status: 404, message: 'No webhook source of that name is configured.' },
  dlq_entry_not_found: {
    status: 404,
    message: 'No dead letter with that id (it may have been replayed or deleted already).',
  },
  unknown_destination: { status: 404, message: 'No destination of that name is configured.' },
  event_not_found: {
    status: 404,
    message: 'No event with that id is in the event log (it may be older than EVENT_RETENTION).',
  },
  event_not_replayable: {
    status: 409,
    message:
      'The event cannot be replayed: it is a suppressed duplicate (replay the original), the log kept no payload for it, or it is still being delivered.',
  },
  destination_not_configured: {
    status: 409,
    message:
      'The dead letter belongs to a destination that is no longer configured: a replay would deliver it nowhere. Add the destination back to the config file, or delete the entry.',
  },
  method_not_allowed: { status: 405, message: 'Method not allowed on this route.' },
  request_timeout: {
    status: 408,
    message: 'The request did not arrive in full in time; the connection is closed.',
  },
  payload_too_large: { status: 413, message: 'The request body exceeds the size limit.' },
  unsupported_media_type: {
    status: 415,
    message: 'Content-Type must be application/json (or application/*+json), in UTF-8.',
  },
  rate_limited: {
    status: 429,
    message: 'Too many requests; retry after the time in Retry-After.',
    retryAfterSeconds: 1,
  },
  headers_too_large: {
    status: 431,
    message: 'The request line and headers exceed the size limit.',
  },
  queue_full: {
    status: 503,
    message: 'The queue backlog is at its limit; retry later.',
    retryAfterSeconds: 5,
  },
  overloaded: {
    status: 503,
    message: 'This instance has too many writes in progress; retry later.',
    retryAfterSeconds: 1,
  },
  store_unavailable: {
    status: 503,
    message: 'The queue store is unavailable; the event was not accepted. Retry later.',
    retryAfterSeconds: 5,
  },
  shutting_down: {
    status: 503,
    message: 'The service is shutting down; retry later.',
    retryAfterSeconds: 5,
  },
  dashboard_not_built: {
    status: 503,
    message: "The dashboard's files are missing from dist/ui: build them with npm run build.",
  },
  internal_error: { status: 500, message: 'Internal error.' },
} as const satisfies Record<
  string,
  { status: number; message: string; retryAfterSeconds?: number }
>;

export type ErrorCode = keyof typeof ERRORS;

/** An error whose code is in the catalogue; rendered as-is by the HTTP error handler. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly retryAfterSeconds: number | undefined;
  /** `retryAfterSeconds` overrides the catalogue's value (e.g. the rest of a rate-limit window). */
  constructor(
    readonly code: ErrorCode,
    message?: string,
    retryAfterSeconds?: number,
  ) {
    const entry: { status: number; message: string; retryAfterSeconds?: number } = ERRORS[code];
    super(message ?? entry.message);
    this.name = 'ApiError';
    this.statusCode = entry.status;
    this.retryAfterSeconds = retryAfterSeconds ?? entry.retryAfterSeconds;
  }
}

export function apiError(code: ErrorCode, message?: string, retryAfterSeconds?: number): ApiError {
  return new ApiError(code, message, retryAfterSeconds);
}

/**
 * 413 with the limit in its message, so a sender knows how far over it is and an
 * operator which setting to raise. The code stays `payload_too_large`.
 */
export function payloadTooLarge(limitBytes: number): ApiError {
  return new ApiError(
    'payload_too_large',
    `The request body exceeds the ${formatBytes(limitBytes)} limit (BODY_LIMIT).`,
  );
}

/** The JSON body every error response carries. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(err: ApiError): ErrorBody {
  return { error: { code: err.code, message: err.message } };
}

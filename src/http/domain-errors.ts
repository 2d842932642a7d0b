/**
 * The domain's errors in the catalogue's terms: the one place where ingest,
 * sources, the DLQ and the event log meet HTTP. Domain code throws errors that
 * say what went wrong in its own words (a reason, a detail); the error handler
 * asks this module which code, status and message a client gets for them.
 */
import { FilterError } from '../dlq/filter.js';
import { ApiError, type ErrorCode } from '../errors.js';
import { type InvalidInput, InvalidInputError } from '../ingest/invalid-input.js';
import { RateLimitedError } from '../ingest/rate-limit.js';
import { IngestRefusedError } from '../ingest/refusal.js';
import { StoreUnavailableError } from '../store/store.js';

const INVALID_INPUT_CODES: Record<InvalidInput, ErrorCode> = {
  event_type: 'invalid_event_type',
  idempotency_key: 'invalid_idempotency_key',
  payload: 'invalid_body',
};

/** The catalogue error for a domain error, or undefined when `err` is not one. */
export function domainApiError(err: Error): ApiError | undefined {
  // Ingest's refusals are catalogue codes already (shutting_down, queue_full, ...).
  if (err instanceof IngestRefusedError) return new ApiError(err.reason);
  // The store is out of reach (any route that reads or writes it): retry later, as for ingest.
  if (err instanceof StoreUnavailableError) return new ApiError('store_unavailable');
  if (err instanceof InvalidInputError)
    return new ApiError(INVALID_INPUT_CODES[err.reason], err.detail);
  if (err instanceof RateLimitedError) {
    // Retry-After in whole seconds, never 0: the window is not over until it is.
    return new ApiError('rate_limited', undefined, Math.max(1, Math.ceil(err.resetInMs / 1000)));
  }
  if (err instanceof FilterError)
    return new ApiError(err.reason === 'cursor' ? 'invalid_cursor' : 'invalid_filter', err.detail);
  return undefined;
}

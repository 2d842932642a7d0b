/**
 * The domain's errors reach clients as the catalogue entries they always were:
 * same code, status, message and Retry-After.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterError } from '../../src/dlq/filter.js';
import { ERRORS } from '../../src/errors.js';
import { toApiError } from '../../src/http/error-handler.js';
import { InvalidInputError } from '../../src/ingest/invalid-input.js';
import { RateLimitedError } from '../../src/ingest/rate-limit.js';
import { type IngestRefusal, IngestRefusedError } from '../../src/ingest/refusal.js';
import { StoreUnavailableError } from '../../src/store/store.js';

function wire(err: Error) {
  const e = toApiError(err);
  return {
    code: e.code,
    status: e.statusCode,
    message: e.message,
    retryAfter: e.retryAfterSeconds,
  };
}

describe('domain errors on the wire', () => {
  it('ingest refusals keep their catalogue code, status and Retry-After', () => {
    const reasons: IngestRefusal[] = [
      'shutting_down',
      'store_unavailable',
      'queue_full',
      'overloaded',
    ];
    for (const reason of reasons) {
      assert.deepEqual(wire(new IngestRefusedError(reason)), {
        code: reason,
        status: 503,
        message: ERRORS[reason].message,
        retryAfter: ERRORS[reason].retryAfterSeconds,
      });
    }
    assert.equal(wire(new StoreUnavailableError('down')).code, 'store_unavailable');
  });

  it('invalid input maps to its code, with the catalogue message unless a detail is given', () => {
    assert.deepEqual(wire(new InvalidInputError('event_type')), {
      code: 'invalid_event_type',
      status: 400,
      message: ERRORS.invalid_event_type.message,
      retryAfter: undefined,
    });
    assert.equal(wire(new InvalidInputError('idempotency_key')).code, 'invalid_idempotency_key');
    assert.equal(
      wire(new InvalidInputError('idempotency_key')).message,
      ERRORS.invalid_idempotency_key.message,
    );
    assert.deepEqual(wire(new InvalidInputError('payload', 'Needs a "challenge".')), {
      code: 'invalid_body',
      status: 400,
      message: 'Needs a "challenge".',
      retryAfter: undefined,
    });
  });

  it('a rate limit answers 429 with the rest of the window in whole seconds, at least 1', () => {
    assert.deepEqual(wire(new RateLimitedError(7_500)), {
      code: 'rate_limited',
      status: 429,
      message: ERRORS.rate_limited.message,
      retryAfter: 8,
    });
    assert.equal(wire(new RateLimitedError(0)).retryAfter, 1);
  });

  it('filter and cursor faults map to invalid_filter (with the detail) and invalid_cursor', () => {
    assert.deepEqual(wire(new FilterError('filter', 'Invalid filter: limit must be 1-500.')), {
      code: 'invalid_filter',
      status: 400,
      message: 'Invalid filter: limit must be 1-500.',
      retryAfter: undefined,
    });
    assert.deepEqual(wire(new FilterError('cursor')), {
      code: 'invalid_cursor',
      status: 400,
      message: ERRORS.invalid_cursor.message,
      retryAfter: undefined,
    });
  });

  it('anything else stays a 500 internal_error', () => {
    assert.equal(wire(new Error('boom')).code, 'internal_error');
  });
});

/**
 * A destination's retry policy: the shared rule (worker/retry-policy.ts) with the
 * destination's own settings plugged in. Its MAX_RETRIES and backoff; a
 * server's Retry-After honoured but capped at its longest backoff wait. Whether
 * an answer is worth retrying at all (retry_4xx, 410, redirects) is decided
 * where the answer is read (outcome.ts) and reaches the policy as `permanent`.
 */
import { exponentialBackoff } from '../worker/backoff.js';
import { RetryPolicy } from '../worker/retry-policy.js';
import type { DestinationConfig } from './destination.js';

export function destinationRetryPolicy(
  d: Pick<DestinationConfig, 'maxRetries' | 'retryBaseDelayMs' | 'retryMaxDelayMs'>,
): RetryPolicy {
  return new RetryPolicy({
    maxRetries: d.maxRetries,
    backoff: exponentialBackoff(d.retryBaseDelayMs, d.retryMaxDelayMs),
    maxDelayMs: d.retryMaxDelayMs,
  });
}

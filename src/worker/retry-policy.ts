/**
 * The one rule for a failed attempt: retry, after how long, or dead-letter.
 *
 * Every place that decides asks a RetryPolicy: the worker pool after a handler
 * failed, a destination after a delivery failed, and (through `maxAttempts`)
 * the reclaim and the shutdown hand-back. Those two run inside the store, in
 * one Lua script or one SQL transaction, because the attempt count they compare
 * lives there and the move must stay atomic; the policy gives them the limit,
 * the store applies it. So the rule is written once, here, and executed by
 * whichever side holds the data.
 *
 * The policy is a value: a handler's own options and a destination's settings
 * (maxRetries, its backoff, a cap on Retry-After) are policies derived with
 * `with()`, never a second copy of the rule.
 */
import type { Backoff } from './backoff.js';

export interface RetryPolicyOptions {
  /** Retries after the first attempt: a job runs at most maxRetries + 1 times. */
  maxRetries: number;
  /** The wait before retry n (n = the attempts that failed so far). */
  backoff: Backoff;
  /**
   * The longest a retry waits. A server's Retry-After is honoured up to it;
   * unset, the backoff's own cap is the only one and Retry-After is uncapped.
   */
  maxDelayMs?: number;
}

/** What failed, as far as the rule needs to know. */
export interface FailedAttempt {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  /** Retrying cannot help (PermanentError, a refused delivery). */
  permanent?: boolean;
  /** The other side asked for this wait (Retry-After): at least this, up to maxDelayMs. */
  retryAfterMs?: number;
}

export type RetryDecision =
  | { kind: 'retry'; delayMs: number }
  /** `permanent`: retrying cannot help; `exhausted`: that was the last attempt. */
  | { kind: 'dead'; reason: 'permanent' | 'exhausted' };

export class RetryPolicy {
  readonly maxRetries: number;
  readonly backoff: Backoff;
  readonly maxDelayMs: number | undefined;

  constructor(o: RetryPolicyOptions) {
    if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) {
      throw new RangeError(`maxRetries must be an integer >= 0, got ${o.maxRetries}`);
    }
    this.maxRetries = o.maxRetries;
    this.backoff = o.backoff;
    this.maxDelayMs = o.maxDelayMs;
  }

  /**
   * The most attempts a job may have. The store compares a job's attempt count
   * with it where a lost or handed-back run is counted (reclaimStale, release).
   */
  get maxAttempts(): number {
    return this.maxRetries + 1;
  }

  decide(failure: FailedAttempt): RetryDecision {
    if (failure.permanent) return { kind: 'dead', reason: 'permanent' };
    if (failure.attempt >= this.maxAttempts) return { kind: 'dead', reason: 'exhausted' };
    return { kind: 'retry', delayMs: this.delayAfter(failure) };
  }

  /** This policy with some options replaced (a handler's or a destination's own). */
  with(overrides: Partial<RetryPolicyOptions>): RetryPolicy {
    return new RetryPolicy({
      maxRetries: overrides.maxRetries ?? this.maxRetries,
      backoff: overrides.backoff ?? this.backoff,
      maxDelayMs: 'maxDelayMs' in overrides ? overrides.maxDelayMs : this.maxDelayMs,
    });
  }

  private delayAfter(failure: FailedAttempt): number {
    const backoff = this.backoff(failure.attempt);
    const wanted =
      failure.retryAfterMs !== undefined ? Math.max(failure.retryAfterMs, backoff) : backoff;
    const capped = this.maxDelayMs !== undefined ? Math.min(wanted, this.maxDelayMs) : wanted;
    return Number.isFinite(capped) && capped > 0 ? Math.floor(capped) : 0;
  }
}

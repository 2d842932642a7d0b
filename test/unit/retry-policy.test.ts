import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destinationRetryPolicy } from '../../src/delivery/destination-retry.js';
import { RetryPolicy } from '../../src/worker/retry-policy.js';

const linear = (n: number) => n * 100;

describe('retry policy', () => {
  it('retries with the backoff of the failed attempt until maxRetries are spent', () => {
    const p = new RetryPolicy({ maxRetries: 2, backoff: linear });
    assert.equal(p.maxAttempts, 3);
    assert.deepEqual(p.decide({ attempt: 1 }), { kind: 'retry', delayMs: 100 });
    assert.deepEqual(p.decide({ attempt: 2 }), { kind: 'retry', delayMs: 200 });
    assert.deepEqual(p.decide({ attempt: 3 }), { kind: 'dead', reason: 'exhausted' });
    assert.deepEqual(p.decide({ attempt: 9 }), { kind: 'dead', reason: 'exhausted' });
  });

  it('dead-letters a permanent failure on its first attempt', () => {
    const p = new RetryPolicy({ maxRetries: 5, backoff: linear });
    assert.deepEqual(p.decide({ attempt: 1, permanent: true }), {
      kind: 'dead',
      reason: 'permanent',
    });
  });

  it('with maxRetries 0 never retries', () => {
    const p = new RetryPolicy({ maxRetries: 0, backoff: linear });
    assert.equal(p.maxAttempts, 1);
    assert.equal(p.decide({ attempt: 1 }).kind, 'dead');
  });

  it('honours Retry-After when longer than the backoff, up to maxDelayMs', () => {
    const p = new RetryPolicy({ maxRetries: 5, backoff: linear, maxDelayMs: 1_000 });
    assert.deepEqual(p.decide({ attempt: 1, retryAfterMs: 500 }), { kind: 'retry', delayMs: 500 });
    assert.deepEqual(p.decide({ attempt: 3, retryAfterMs: 50 }), { kind: 'retry', delayMs: 300 });
    assert.deepEqual(p.decide({ attempt: 1, retryAfterMs: 60_000 }), {
      kind: 'retry',
      delayMs: 1_000,
    });
  });

  it('never schedules a negative or non-finite delay', () => {
    const p = new RetryPolicy({ maxRetries: 5, backoff: () => Number.NaN });
    assert.deepEqual(p.decide({ attempt: 1 }), { kind: 'retry', delayMs: 0 });
    const q = new RetryPolicy({ maxRetries: 5, backoff: () => -5 });
    assert.deepEqual(q.decide({ attempt: 1 }), { kind: 'retry', delayMs: 0 });
  });

  it('derives a policy with some options replaced, leaving the original alone', () => {
    const base = new RetryPolicy({ maxRetries: 3, backoff: linear, maxDelayMs: 250 });
    const own = base.with({ maxRetries: 0 });
    assert.equal(own.maxAttempts, 1);
    assert.equal(own.maxDelayMs, 250);
    assert.equal(base.maxAttempts, 4);
    const slow = base.with({ backoff: () => 10_000, maxDelayMs: undefined });
    assert.deepEqual(slow.decide({ attempt: 1 }), { kind: 'retry', delayMs: 10_000 });
  });

  it('refuses a maxRetries that is not a count', () => {
    assert.throws(() => new RetryPolicy({ maxRetries: -1, backoff: linear }), RangeError);
    assert.throws(() => new RetryPolicy({ maxRetries: 1.5, backoff: linear }), RangeError);
  });
});

describe("a destination's retry policy", () => {
  it('uses its maxRetries and caps Retry-After at its longest backoff wait', () => {
    const p = destinationRetryPolicy({
      maxRetries: 2,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 2_000,
    });
    assert.equal(p.maxAttempts, 3);
    assert.deepEqual(p.decide({ attempt: 1, retryAfterMs: 3_600_000 }), {
      kind: 'retry',
      delayMs: 2_000,
    });
    assert.equal(p.decide({ attempt: 3 }).kind, 'dead');
    const d = p.decide({ attempt: 2 });
    assert.ok(d.kind === 'retry' && d.delayMs >= 160 && d.delayMs <= 240, JSON.stringify(d));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fullJitterBackoff } from '../../src/worker/backoff.js';
import { describeError } from '../../src/worker/errors.js';

describe('full-jitter backoff', () => {
  it('doubles its ceiling per attempt up to the cap', () => {
    const ceiling = fullJitterBackoff(100, 1_000, () => 0.999999);
    assert.deepEqual([1, 2, 3, 4, 5, 9].map(ceiling), [99, 199, 399, 799, 999, 999]);
  });
  it('draws uniformly below the ceiling', () => {
    const low = fullJitterBackoff(100, 1_000, () => 0);
    assert.equal(low(3), 0);
    const half = fullJitterBackoff(100, 1_000, () => 0.5);
    assert.equal(half(3), 200);
    const real = fullJitterBackoff(100, 1_000);
    for (let i = 0; i < 200; i++) {
      const d = real(3);
      assert.ok(d >= 0 && d < 400, String(d));
    }
  });
  it('does not overflow on huge attempt counts', () => {
    assert.equal(fullJitterBackoff(1_000, 60_000, () => 0.5)(10_000), 30_000);
  });
});

describe('describeError', () => {
  it('describes anything a handler can throw', () => {
    assert.equal(describeError(new TypeError('boom')), 'TypeError: boom');
    assert.equal(describeError(null), 'non-Error thrown: null');
    assert.equal(describeError(undefined), 'non-Error thrown: undefined');
    assert.equal(describeError('plain'), 'non-Error thrown: plain');
    assert.equal(describeError({ code: 42 }), 'non-Error thrown: {"code":42}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(describeError(cyclic), 'non-Error thrown: [object Object]');
  });
  it('bounds the length', () => {
    assert.ok(describeError(new Error('x'.repeat(10_000))).length <= 2_001);
  });
});

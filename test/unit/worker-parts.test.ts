import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fullJitterBackoff } from '../../src/worker/backoff.js';
import { describeError, UNDESCRIBABLE_ERROR } from '../../src/worker/errors.js';

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

  it('never throws, whatever it is given', () => {
    const throws = () => {
      throw new Error('getter throws');
    };
    const badMessage = new Error('hidden');
    Object.defineProperty(badMessage, 'message', { get: throws });
    const badName = new RangeError('visible');
    Object.defineProperty(badName, 'name', { get: throws });
    const nameWithBadToString = new Error('visible');
    Object.defineProperty(nameWithBadToString, 'name', { value: { toString: throws } });
    const badEverything = new Error('x');
    Object.defineProperty(badEverything, 'name', { get: throws });
    Object.defineProperty(badEverything, 'message', { get: throws });
    const frozenCyclic: Record<string, unknown> = { a: 1 };
    frozenCyclic.self = frozenCyclic;
    Object.freeze(frozenCyclic);
    const badToJson = { toJSON: throws, toString: throws };
    const badTag = Object.defineProperty({ toJSON: throws }, Symbol.toStringTag, { get: throws });
    const hostile = new Proxy(
      {},
      {
        get: throws,
        getPrototypeOf: throws,
        ownKeys: throws,
        getOwnPropertyDescriptor: throws,
      },
    );
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();

    assert.equal(describeError(Symbol('boom')), 'non-Error thrown: Symbol(boom)');
    assert.equal(describeError(Symbol()), 'non-Error thrown: Symbol()');
    assert.equal(describeError(null), 'non-Error thrown: null');
    assert.equal(describeError(12n), 'non-Error thrown: 12');
    assert.equal(describeError(badMessage), 'Error: (unreadable message)');
    assert.equal(describeError(badName), 'Error: visible');
    assert.equal(describeError(nameWithBadToString), 'Error: visible');
    assert.equal(describeError(badEverything), 'Error: (unreadable message)');
    assert.equal(describeError(frozenCyclic), 'non-Error thrown: [object Object]');
    assert.equal(describeError(badToJson), 'non-Error thrown: [object Object]');
    assert.equal(describeError(badTag), UNDESCRIBABLE_ERROR);
    assert.equal(describeError(hostile), UNDESCRIBABLE_ERROR);
    assert.equal(describeError(revoked), UNDESCRIBABLE_ERROR);
  });
});

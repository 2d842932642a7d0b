import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/errors.js';
import { dedupeKey, eventTypeOf, idempotencyKeyOf } from '../../src/ingest/event.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    return err.code;
  }
  return undefined;
}

describe('event type', () => {
  it('prefers the header, then payload type, then event, then generic', () => {
    assert.equal(eventTypeOf('payment.succeeded', { type: 'x', event: 'y' }), 'payment.succeeded');
    assert.equal(eventTypeOf(undefined, { type: 'user.created', event: 'y' }), 'user.created');
    assert.equal(eventTypeOf(undefined, { event: 'message.sent' }), 'message.sent');
    assert.equal(eventTypeOf(undefined, {}), 'generic');
    assert.equal(eventTypeOf(undefined, { type: 42, event: 'a:b' }), 'a:b');
  });
  it('refuses anything that is not a short name', () => {
    for (const bad of ['', 'has space', 'x'.repeat(129), 'emoji🙂', 'a/b', '<script>']) {
      assert.equal(
        codeOf(() => eventTypeOf(bad, {})),
        'invalid_event_type',
        bad,
      );
      assert.equal(
        codeOf(() => eventTypeOf(undefined, { type: bad })),
        'invalid_event_type',
        bad,
      );
    }
    assert.equal(eventTypeOf('x'.repeat(128), {}), 'x'.repeat(128));
  });
});

describe('idempotency key', () => {
  it('prefers the header, then the payload id', () => {
    assert.equal(idempotencyKeyOf('key-1', { id: 'evt' }), 'key-1');
    assert.equal(idempotencyKeyOf(undefined, { id: 'evt_1' }), 'evt_1');
    assert.equal(idempotencyKeyOf(undefined, { id: 17 }), '17');
    assert.equal(idempotencyKeyOf(undefined, { id: '' }), undefined);
    assert.equal(idempotencyKeyOf(undefined, { id: { nested: true } }), undefined);
    assert.equal(idempotencyKeyOf(undefined, {}), undefined);
  });
  it('refuses a header that is empty, too long or not printable', () => {
    for (const bad of ['', ' padded', 'x'.repeat(256), 'tab\there', 'ünï']) {
      assert.equal(
        codeOf(() => idempotencyKeyOf(bad, {})),
        'invalid_idempotency_key',
        JSON.stringify(bad),
      );
    }
    assert.equal(idempotencyKeyOf('x'.repeat(255), {}), 'x'.repeat(255));
  });
  it('scopes stored keys by source and bounds their size', () => {
    assert.notEqual(dedupeKey('stripe', 'evt_1'), dedupeKey('github', 'evt_1'));
    assert.equal(dedupeKey('a', 'k'), dedupeKey('a', 'k'));
    assert.equal(dedupeKey('a', 'k'.repeat(10_000)).length, 43);
    // The stored form must not change between releases: keys written before an
    // upgrade still have to catch the provider's retries after it.
    assert.equal(
      dedupeKey('stripe', 'evt_1'),
      createHash('sha256').update('stripe').update('\n').update('evt_1').digest('base64url'),
    );
  });
});

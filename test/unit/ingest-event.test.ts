import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { dedupeKey, eventTypeOf, idempotencyKeyOf } from '../../src/ingest/event.js';
import { InvalidInputError } from '../../src/ingest/invalid-input.js';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidInputError);
    return err.reason;
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
        reasonOf(() => eventTypeOf(bad, {})),
        'event_type',
        bad,
      );
      assert.equal(
        reasonOf(() => eventTypeOf(undefined, { type: bad })),
        'event_type',
        bad,
      );
    }
    assert.equal(eventTypeOf('x'.repeat(128), {}), 'x'.repeat(128));
  });
});

describe('idempotency key', () => {
  it('prefers the header, then the payload id', () => {
    assert.equal(idempotencyKeyOf('key-1', { id: 'evt' }, undefined), 'key-1');
    assert.equal(idempotencyKeyOf(undefined, { id: 'evt_1' }, undefined), 'evt_1');
    assert.equal(idempotencyKeyOf(undefined, { id: 17 }, undefined), '17');
    assert.equal(idempotencyKeyOf(undefined, { id: '' }, undefined), undefined);
    assert.equal(idempotencyKeyOf(undefined, { id: { nested: true } }, undefined), undefined);
    assert.equal(idempotencyKeyOf(undefined, {}, undefined), undefined);
  });
  it('refuses a header that is empty, too long or not printable', () => {
    for (const bad of ['', ' padded', 'x'.repeat(256), 'tab\there', 'ünï']) {
      assert.equal(
        reasonOf(() => idempotencyKeyOf(bad, {}, undefined)),
        'idempotency_key',
        JSON.stringify(bad),
      );
    }
    assert.equal(idempotencyKeyOf('x'.repeat(255), {}, undefined), 'x'.repeat(255));
  });
  /** The key of a body as the ingest routes see it: the parsed payload and its text. */
  const keyOfBody = (text: string) => idempotencyKeyOf(undefined, JSON.parse(text), text);

  it('keeps the key of a safe integer id as it always was', () => {
    assert.equal(keyOfBody('{"id":17}'), '17');
    assert.equal(keyOfBody('{"id":-5}'), '-5');
    assert.equal(keyOfBody('{"id":1e2}'), '100');
    assert.equal(keyOfBody(`{"id":${Number.MAX_SAFE_INTEGER}}`), String(Number.MAX_SAFE_INTEGER));
  });
  it('keys an id past 2^53 by its exact text, so distinct ids no longer collide', () => {
    const a = keyOfBody('{"id":1795916857141234567}');
    const b = keyOfBody('{"id":1795916857141234568}');
    assert.equal(a, '1795916857141234567');
    assert.equal(b, '1795916857141234568');
    assert.notEqual(a, b);
    // JSON.parse alone rounds both to one double: the bug this guards against.
    assert.equal(
      JSON.parse('{"id":1795916857141234567}').id,
      JSON.parse('{"id":1795916857141234568}').id,
    );
    assert.equal(keyOfBody('{"id":9007199254740993}'), '9007199254740993');
    assert.equal(keyOfBody('{"id":-9007199254740993}'), '-9007199254740993');
    assert.equal(keyOfBody('{"id":1e400}'), '1e400');
  });
  it('keys a fractional id by its exact text', () => {
    assert.equal(keyOfBody('{"id":1.5}'), '1.5');
    assert.equal(
      keyOfBody('{"id":0.1000000000000000055511151231257827}'),
      '0.1000000000000000055511151231257827',
    );
    assert.notEqual(keyOfBody('{"id":0.1}'), keyOfBody('{"id":0.10000000000000001}'));
  });
  it('reads only the top-level id, not one in a nested object or array', () => {
    const text =
      '{"data":{"id":1},"list":[{"id":2},[3]],"id":1795916857141234567,"after":{"id":4}}';
    assert.equal(keyOfBody(text), '1795916857141234567');
    assert.equal(
      keyOfBody(' {\n "nested" : { "id" : 9007199254740993 } ,\n "id" : 9007199254740995 \n} '),
      '9007199254740995',
    );
  });
  it('is not misled by "id": inside strings', () => {
    assert.equal(
      keyOfBody('{"note":"\\"id\\":111111111111111111111,","id":9007199254740993}'),
      '9007199254740993',
    );
    assert.equal(
      keyOfBody('{"id":9007199254740993,"text":"{\\"id\\":9007199254740995}"}'),
      '9007199254740993',
    );
    assert.equal(keyOfBody('{"s":"}{[\\\\","id":9007199254740993}'), '9007199254740993');
  });
  it('decodes escaped member names', () => {
    assert.equal(keyOfBody('{"\\u0069d":9007199254740993}'), '9007199254740993');
    assert.equal(keyOfBody('{"\\u0069\\u0064":1.25}'), '1.25');
    // Not "id": an escape that decodes to something else.
    assert.equal(keyOfBody('{"\\u0069dx":9007199254740993}'), undefined);
  });
  it('takes the last of duplicate members, as JSON.parse does', () => {
    assert.equal(keyOfBody('{"id":9007199254740993,"id":9007199254740995}'), '9007199254740995');
    assert.equal(keyOfBody('{"id":9007199254740993,"\\u0069d":2.5}'), '2.5');
    // The last one is a string: the string is the key.
    assert.equal(keyOfBody('{"id":9007199254740993,"id":"evt_1"}'), 'evt_1');
  });
  it('accepts without deduplication rather than guess', () => {
    // No body text to read the exact id from.
    assert.equal(idempotencyKeyOf(undefined, { id: 2 ** 53 + 2 }, undefined), undefined);
    // Text that does not hold the payload's number.
    assert.equal(idempotencyKeyOf(undefined, { id: 2 ** 53 + 2 }, '{"id":7}'), undefined);
    assert.equal(idempotencyKeyOf(undefined, { id: 0.5 }, '{"x":0.5}'), undefined);
    assert.equal(idempotencyKeyOf(undefined, { id: 0.5 }, 'not json'), undefined);
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

/**
 * Retry-After parsing: delta-seconds and the three HTTP-date forms; anything
 * else, and a date already past, is ignored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter } from '../../src/delivery/retry-after.js';

const NOW = Date.parse('2030-06-01T12:00:00Z');

describe('Retry-After', () => {
  it('reads delta-seconds', () => {
    assert.equal(parseRetryAfter('0', NOW), 0);
    assert.equal(parseRetryAfter('120', NOW), 120_000);
    assert.equal(parseRetryAfter(' 7 ', NOW), 7_000);
    assert.equal(parseRetryAfter(['30', '60'], NOW), 30_000, 'the first of repeated headers');
    assert.equal(
      parseRetryAfter('99999999999', NOW),
      99_999_999_999_000,
      'uncapped: the caller caps',
    );
  });

  it('reads an IMF-fixdate, an RFC 850 date and an asctime date, as UTC', () => {
    assert.equal(parseRetryAfter('Sat, 01 Jun 2030 12:01:30 GMT', NOW), 90_000);
    assert.equal(parseRetryAfter('sat, 01 jun 2030 12:01:30 gmt', NOW), 90_000);
    assert.equal(parseRetryAfter('Saturday, 01-Jun-30 12:01:30 GMT', NOW), 90_000);
    assert.equal(parseRetryAfter('Sat Jun  1 12:01:30 2030', NOW), 90_000);
    assert.equal(parseRetryAfter(new Date(NOW + 3_600_000).toUTCString(), NOW), 3_600_000);
  });

  it('ignores garbage, negatives, fractions, impossible dates and the past', () => {
    for (const bad of [
      undefined,
      '',
      '   ',
      '-1',
      '+5',
      '1.5',
      '1e3',
      '0x10',
      'NaN',
      'Infinity',
      'soon',
      '12 34',
      'Sat, 31 Feb 2030 12:00:00 GMT',
      'Sat, 01 Jun 2030 25:00:00 GMT',
      'Sat, 01 Foo 2030 12:00:00 GMT',
      'Sat, 01 Jun 2030 12:01:30 PST',
      '2030-06-01T12:01:30Z',
      'Sat, 01 Jun 2030 11:59:00 GMT',
      [],
    ]) {
      assert.equal(parseRetryAfter(bad, NOW), undefined, JSON.stringify(bad));
    }
  });
});

/**
 * The enqueue batcher bounds a batch in bytes as Redis receives them (UTF-8),
 * not in UTF-16 units: a body of two-byte characters counts twice its length.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnqueueBatcher } from '../../src/store/redis/enqueue-batcher.js';
import type { EnqueueItem } from '../../src/store/redis/scripts.js';

function item(id: string, body: string): EnqueueItem {
  return {
    idemKey: 'k',
    dedupe: false,
    ttlMs: 0,
    id,
    targets: [{ stream: 's', job: 'j' }],
    record: { mode: 'new', member: '', summary: '', body, keyMember: '' },
  };
}

describe('Redis enqueue batcher', () => {
  it('counts the bytes of a body, not its UTF-16 length', async () => {
    const batches: string[][] = [];
    const batcher = new EnqueueBatcher(
      async (items) => {
        batches.push(items.map((i) => i.id));
        return items.flatMap((i) => [i.id, 0, '']);
      },
      { maxItems: 100, maxBytes: 1_000 },
    );
    // 300 characters of 2 bytes each: 600 bytes apiece, so two do not fit in 1,000.
    const body = 'é'.repeat(300);
    const results = await Promise.all([batcher.add(item('a', body)), batcher.add(item('b', body))]);
    assert.deepEqual(batches, [['a'], ['b']]);
    assert.deepEqual(
      results.map((r) => [r.id, r.duplicate, r.queued]),
      [
        ['a', false, ''],
        ['b', false, ''],
      ],
    );
  });
});

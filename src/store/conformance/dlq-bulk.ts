/**
 * Bulk replay at scale, on every store: 10,000 dead letters replayed in
 * batches, by an interrupted run and two concurrent ones, end up queued exactly
 * once each, and entries outside the filter stay dead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bulkDeadLetters } from '../../dlq/bulk.js';
import type { Delivery, JobRecord, Store } from '../store.js';
import type { StoreFactory, StoreHarness } from './harness.js';
import { job } from './jobs.js';

const COUNT = 10_000;
const OTHERS = 100;
const CHUNK = 500;

/** Dead-letters `jobs` quickly: writes in parallel chunks. */
async function seed(store: Store, jobs: readonly JobRecord[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += CHUNK) {
    await Promise.all(jobs.slice(i, i + CHUNK).map((j) => store.enqueue(j, undefined)));
  }
  let left = jobs.length;
  while (left > 0) {
    const held = await store.claim(Math.min(left, CHUNK), 100);
    const moved = await Promise.all(held.map((d) => store.deadLetter(d, 4, 'Error: down')));
    assert.ok(moved.every(Boolean));
    left -= held.length;
  }
}

/** Registers this part of the suite (node:test) for the store `factory` makes. */
export function bulkReplayConformance(factory: StoreFactory): void {
  describe(`bulk replay of ${COUNT} dead letters: ${factory.name}`, () => {
    let h: StoreHarness;
    let store: Store;
    before(async () => {
      h = factory.harness();
      store = await h.open('bulk');
    });
    after(async () => h.cleanup());

    it('queues every matching entry exactly once, across interrupted and concurrent runs', async () => {
      const jobs = Array.from({ length: COUNT }, (_, i) =>
        job({ type: 'bulk.job', payload: `{"n":${i}}` }),
      );
      const others = Array.from({ length: OTHERS }, () => job({ type: 'other.job' }));
      await seed(store, [...jobs.slice(0, COUNT / 2), ...others, ...jobs.slice(COUNT / 2)]);
      assert.equal((await store.stats()).dead, COUNT + OTHERS);
      const filter = { type: 'bulk.job' };
      const dlq = store.deadLetters;

      // A run of two calls, continued by its bound and cursor, then abandoned.
      const first = await bulkDeadLetters(dlq, 'replay', { filter, max: 2_500 });
      assert.equal(first.count, 2_500);
      assert.ok(first.upTo && first.next);
      const second = await bulkDeadLetters(dlq, 'replay', {
        filter,
        max: 2_500,
        upTo: first.upTo,
        after: first.next,
      });
      assert.equal(second.count, 2_500);
      assert.ok(second.next, 'interrupted before the end');

      // Run again from scratch, twice at once.
      const [a, b] = await Promise.all([
        bulkDeadLetters(dlq, 'replay', { filter, max: COUNT }),
        bulkDeadLetters(dlq, 'replay', { filter, max: COUNT }),
      ]);
      assert.equal(a.next, undefined);
      assert.equal(b.next, undefined);
      assert.equal(first.count + second.count + a.count + b.count, COUNT, 'each counted once');

      const stats = await store.stats();
      assert.equal(stats.dead, OTHERS, 'the entries outside the filter stay dead');
      assert.equal(stats.waiting, COUNT, 'queued exactly once each');
      const seen = new Map<string, number>();
      let claimed: Delivery[];
      do {
        claimed = await store.claim(2_000, 100);
        for (const d of claimed) {
          seen.set(d.job.id, (seen.get(d.job.id) ?? 0) + 1);
          assert.equal(d.attempt, 1);
        }
        await store.complete(claimed);
      } while (claimed.length > 0);
      assert.equal(seen.size, COUNT, 'none lost');
      assert.ok(
        [...seen.values()].every((n) => n === 1),
        'none duplicated',
      );
      assert.ok(jobs.every((j) => seen.has(j.id)));
      const left = await dlq.list({ filter: {}, limit: OTHERS + 1 });
      assert.ok(left.entries.every((e) => e.type === 'other.job'));
    });
  });
}

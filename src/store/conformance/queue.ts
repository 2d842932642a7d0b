/**
 * What every store must do. A behaviour that holds on one store only is a bug.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Delivery, Store } from '../store.js';
import type { StoreFactory, StoreHarness } from './harness.js';
import { claimN, job, TTL } from './jobs.js';
import { waitFor } from './wait.js';

/** Registers this part of the suite (node:test) for the store `factory` makes. */
export function queueConformance(factory: StoreFactory): void {
  describe(`store conformance: ${factory.name}`, () => {
    let h: StoreHarness;
    let store: Store;
    before(async () => {
      h = factory.harness();
      store = await h.open('main');
    });
    after(async () => h.cleanup());

    // Each test drains what it enqueues, so they can share one queue.
    it('enqueues and delivers a job intact, as attempt 1', async () => {
      const j = job();
      const r = await store.enqueue(j, undefined);
      assert.deepEqual(r, { id: j.id, duplicate: false });
      const [d] = await claimN(store, 1);
      assert.ok(d);
      assert.deepEqual(d.job, j);
      assert.equal(d.attempt, 1);
      assert.equal(d.previousError, undefined);
      await store.complete([d]);
      assert.deepEqual(await store.claim(10, 10), []);
    });

    it('deduplicates: a repeat returns the original id and queues nothing', async () => {
      const key = `k-${randomUUID()}`;
      const first = job();
      const r1 = await store.enqueue(first, { key, ttlMs: TTL });
      const r2 = await store.enqueue(job(), { key, ttlMs: TTL });
      assert.deepEqual(r1, { id: first.id, duplicate: false });
      assert.deepEqual(r2, { id: first.id, duplicate: true });
      const got = await claimN(store, 1);
      assert.deepEqual(await store.claim(10, 10), [], 'only one job was queued');
      await store.complete(got);
    });

    it('deduplicates atomically under concurrent enqueues of one key', async () => {
      const key = `race-${randomUUID()}`;
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.enqueue(job(), { key, ttlMs: TTL })),
      );
      const ids = new Set(results.map((r) => r.id));
      assert.equal(ids.size, 1, 'every caller got the same job id');
      assert.equal(results.filter((r) => !r.duplicate).length, 1, 'exactly one was queued');
      const got = await claimN(store, 1);
      assert.deepEqual(await store.claim(50, 10), []);
      await store.complete(got);
    });

    it('accepts events without a key as distinct jobs', async () => {
      await store.enqueue(job(), undefined);
      await store.enqueue(job(), undefined);
      const got = await claimN(store, 2);
      assert.notEqual(got[0]?.job.id, got[1]?.job.id);
      await store.complete(got);
    });

    it('forgets a key after its TTL', async () => {
      const key = `ttl-${randomUUID()}`;
      const first = await store.enqueue(job(), { key, ttlMs: 100 });
      const again = await waitFor(
        async () => {
          const r = await store.enqueue(job(), { key, ttlMs: 100 });
          return r.duplicate ? undefined : r;
        },
        { what: 'key expiry' },
      );
      assert.notEqual(again.id, first.id);
      await store.complete(await claimN(store, 2));
    });

    it('counts waiting, in progress, scheduled and dead', async () => {
      const base = await store.stats();
      for (let i = 0; i < 4; i++) await store.enqueue(job(), undefined);
      assert.equal((await store.stats()).waiting, base.waiting + 4);
      const [a, b, c] = await claimN(store, 3);
      assert.ok(a && b && c);
      let s = await store.stats();
      assert.equal(s.waiting, base.waiting + 1);
      assert.equal(s.inProgress, base.inProgress + 3);
      assert.equal(await store.retryLater(a, 60_000, 'later'), true);
      assert.equal(await store.deadLetter(b, 1, 'dead'), true);
      await store.complete([c]);
      s = await store.stats();
      assert.equal(s.inProgress, base.inProgress);
      assert.equal(s.scheduled, base.scheduled + 1);
      assert.equal(s.dead, base.dead + 1);
      await store.complete(await claimN(store, 1));
    });

    it('retries later: not before the delay, then with the attempt and error carried', async () => {
      const j = job();
      await store.enqueue(j, undefined);
      const [d] = await claimN(store, 1);
      assert.ok(d);
      assert.equal(await store.retryLater(d, 300, 'Error: first failure'), true);
      assert.equal(await store.promoteDue(100), 0, 'not due yet');
      assert.deepEqual(await store.claim(10, 10), []);
      await waitFor(async () => (await store.promoteDue(100)) > 0, { what: 'promotion' });
      const [again] = await claimN(store, 1);
      assert.ok(again);
      assert.equal(again.job.id, j.id);
      assert.equal(again.attempt, 2);
      assert.equal(again.previousError, 'Error: first failure');
      await store.complete([again]);
    });

    it('dead-letters with attempts, last error and timestamps', async () => {
      const j = job({ type: 'payment.failed' });
      await store.enqueue(j, undefined);
      const [d] = await claimN(store, 1);
      assert.ok(d);
      const before = Date.now();
      assert.equal(await store.deadLetter(d, 4, 'PermanentError: bad amount'), true);
      const dead = (await store.peekDead(1000)).find((e) => e.job.id === j.id);
      assert.ok(dead, 'the job is in the DLQ');
      assert.deepEqual(dead.job, j);
      assert.equal(dead.attempts, 4);
      assert.equal(dead.lastError, 'PermanentError: bad amount');
      assert.ok(dead.failedAt >= before - 1_000 && dead.failedAt <= Date.now() + 1_000);
      assert.deepEqual(await store.claim(10, 10), [], 'and not in the queue');
    });

    it('releases unfinished jobs unchanged for anyone to take', async () => {
      const other = await h.open('other-release');
      const j = job();
      await store.enqueue(j, undefined);
      const [d] = await claimN(store, 1);
      assert.ok(d);
      assert.deepEqual(await store.release([d]), { released: 1, deadLettered: 0 });
      const [again] = await claimN(other, 1);
      assert.ok(again);
      assert.equal(again.job.id, j.id);
      assert.equal(again.attempt, 1, 'a hand-back is not an attempt');
      await other.complete([again]);
    });

    const INTERRUPTED = { maxAttempts: 2, error: 'interrupted by a shutdown' };

    it('counts every hand-back of a started job after its first as an attempt, then dead-letters', async () => {
      const j = job();
      await store.enqueue(j, undefined);
      let [d] = await claimN(store, 1);
      assert.ok(d);
      assert.deepEqual(await store.release([d], INTERRUPTED), { released: 1, deadLettered: 0 });
      [d] = await claimN(store, 1);
      assert.equal(d?.job.id, j.id);
      assert.equal(d?.attempt, 1, 'the first hand-back is free');
      assert.equal(d?.previousError, undefined);
      assert.deepEqual(await store.release([d], INTERRUPTED), { released: 1, deadLettered: 0 });
      [d] = await claimN(store, 1);
      assert.equal(d?.attempt, 2, 'the second counts');
      assert.equal(d?.previousError, 'interrupted by a shutdown');
      assert.deepEqual(await store.release([d], INTERRUPTED), { released: 0, deadLettered: 1 });
      assert.deepEqual(await store.claim(10, 10), [], 'no attempts left: not queued');
      const dead = (await store.peekDead(1000)).find((e) => e.job.id === j.id);
      assert.ok(dead, 'in the DLQ');
      assert.deepEqual(dead.job, j);
      assert.equal(dead.attempts, 2);
      assert.equal(dead.lastError, 'interrupted by a shutdown');
    });

    it('hands back a job that never started unchanged, even after a counted hand-back', async () => {
      await store.enqueue(job(), undefined);
      let [d] = await claimN(store, 1);
      assert.ok(d);
      await store.release([d], INTERRUPTED);
      for (let i = 0; i < 3; i++) {
        [d] = await claimN(store, 1);
        assert.ok(d);
        assert.deepEqual(await store.release([d]), { released: 1, deadLettered: 0 });
      }
      [d] = await claimN(store, 1);
      assert.equal(d?.attempt, 1, 'never-started hand-backs count nothing');
      assert.ok(d);
      await store.release([d], INTERRUPTED);
      [d] = await claimN(store, 1);
      assert.equal(d?.attempt, 2, 'the next started one counts: the free one was used');
      await store.complete([d as Delivery]);
    });

    it('remembers a free hand-back across a retry and a reclaim', async () => {
      const dying = await h.open('dying-handback');
      await store.enqueue(job(), undefined);
      let [d] = await claimN(store, 1);
      assert.ok(d);
      await store.release([d], INTERRUPTED);
      [d] = await claimN(store, 1);
      assert.ok(d);
      assert.equal(await store.retryLater(d, 0, 'Error: failed'), true);
      await waitFor(async () => (await store.promoteDue(10)) > 0, { what: 'promotion' });
      [d] = await claimN(dying, 1);
      assert.equal(d?.attempt, 2);
      await waitFor(async () => (await store.reclaimStale(100, 10)).requeued > 0, {
        what: 'reclaim',
      });
      [d] = await claimN(store, 1);
      assert.equal(d?.attempt, 3);
      assert.ok(d);
      await store.release([d], { maxAttempts: 10, error: 'interrupted again' });
      [d] = await claimN(store, 1);
      assert.equal(d?.attempt, 4, 'the free hand-back was used before the retry and the reclaim');
      assert.equal(d?.previousError, 'interrupted again');
      await store.complete([d as Delivery]);
    });

    it('leaves a hand-back of a delivery no longer ours alone', async () => {
      const dying = await h.open('dying-late-release');
      await store.enqueue(job(), undefined);
      const [held] = await claimN(dying, 1);
      assert.ok(held);
      await waitFor(async () => (await store.reclaimStale(100, 10)).requeued > 0, {
        what: 'reclaim',
      });
      assert.deepEqual(await dying.release([held], INTERRUPTED), { released: 0, deadLettered: 0 });
      assert.deepEqual(await dying.release([held]), { released: 0, deadLettered: 0 });
      const got = await claimN(store, 1);
      assert.equal(got[0]?.attempt, 2);
      assert.deepEqual(await store.claim(10, 10), [], 'the late hand-back queued nothing');
      await store.complete(got);
    });

    it('reclaims the jobs of a dead consumer, counting the lost run', async () => {
      const dying = await h.open('dying');
      const survivor = await h.open('survivor');
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, undefined);
      const held = await claimN(dying, 3);
      assert.equal(held.length, 3);
      // `dying` never finishes. The survivor takes the jobs back once idle long enough.
      const reclaimed = { requeued: 0, deadLettered: 0 };
      await waitFor(
        async () => {
          const r = await survivor.reclaimStale(200, 4);
          reclaimed.requeued += r.requeued;
          reclaimed.deadLettered += r.deadLettered;
          return reclaimed.requeued >= 3;
        },
        { what: 'reclaim' },
      );
      assert.equal(reclaimed.requeued, 3);
      assert.equal(reclaimed.deadLettered, 0);
      const got = await claimN(survivor, 3);
      assert.deepEqual(got.map((d) => d.job.id).sort(), jobs.map((j) => j.id).sort());
      for (const d of got) {
        assert.equal(d.attempt, 2);
        assert.match(d.previousError ?? '', /worker lost/);
      }
      await survivor.complete(got);
      // The dead consumer's late outcome changes nothing.
      const scheduledBefore = (await store.stats()).scheduled;
      assert.equal(await dying.retryLater(held[0] as Delivery, 0, 'late'), false);
      await dying.complete(held);
      assert.equal((await store.stats()).scheduled, scheduledBefore);
      assert.deepEqual(await survivor.claim(10, 10), []);
    });

    it('dead-letters a reclaimed job that has no attempts left', async () => {
      const dying = await h.open('dying-last');
      const j = job();
      await store.enqueue(j, undefined);
      await claimN(dying, 1);
      const r = await waitFor(
        async () => {
          const res = await store.reclaimStale(200, 1);
          return res.deadLettered > 0 ? res : undefined;
        },
        { what: 'reclaim to DLQ' },
      );
      assert.equal(r.requeued, 0);
      const dead = (await store.peekDead(1000)).find((e) => e.job.id === j.id);
      assert.ok(dead);
      assert.equal(dead.attempts, 1);
      assert.match(dead.lastError, /worker lost/);
    });

    it('does not reclaim jobs younger than the idle time', async () => {
      const holder = await h.open('holder');
      await store.enqueue(job(), undefined);
      const held = await claimN(holder, 1);
      const r = await store.reclaimStale(60_000, 4);
      assert.equal(r.requeued + r.deadLettered, 0);
      await holder.complete(held);
    });

    it('keeps nothing for completed jobs', async () => {
      const base = await store.stats();
      for (let i = 0; i < 20; i++) await store.enqueue(job(), undefined);
      await store.complete(await claimN(store, 20));
      const s = await store.stats();
      assert.equal(s.waiting + s.inProgress, base.waiting + base.inProgress);
    });
  });
}

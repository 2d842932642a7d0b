/**
 * What every store must do across claims, restarts, crashes and shutdown.
 * Each test has a queue of its own, so that a restart in one cannot disturb another.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type Store, StoreUnavailableError } from '../store.js';
import type { StoreFactory, StoreHarness } from './harness.js';
import { claimN, job, TTL } from './jobs.js';
import { waitFor } from './wait.js';

/** Registers this part of the suite (node:test) for the store `factory` makes. */
export function lifecycleConformance(factory: StoreFactory): void {
  describe(`store lifecycle conformance: ${factory.name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = factory.harness();
      store = await h.open('main');
    });
    afterEach(async () => h.cleanup());

    it('delivers oldest first and no more than asked for', async () => {
      const jobs = [job(), job(), job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, undefined);
      const first = await store.claim(3, 1_000);
      assert.deepEqual(
        first.map((d) => d.job.id),
        jobs.slice(0, 3).map((j) => j.id),
      );
      const rest = await claimN(store, 2);
      assert.deepEqual(
        rest.map((d) => d.job.id),
        jobs.slice(3).map((j) => j.id),
      );
      await store.complete([...first, ...rest]);
    });

    it('a waiting claim receives a job enqueued meanwhile', async () => {
      const claiming = store.claim(1, 2_000);
      const j = job();
      await store.enqueue(j, undefined);
      const got = await claiming;
      assert.equal(got[0]?.job.id, j.id, 'the blocked claim was woken by the new job');
      await store.complete(got);
    });

    it('a completed delivery cannot be retried, dead-lettered or released afterwards', async () => {
      await store.enqueue(job(), undefined);
      const [d] = await claimN(store, 1);
      assert.ok(d);
      await store.complete([d]);
      await store.complete([d]);
      assert.equal(await store.retryLater(d, 0, 'late'), false);
      assert.equal(await store.deadLetter(d, 1, 'late'), false);
      assert.deepEqual(await store.release([d]), { released: 0, deadLettered: 0 });
      assert.deepEqual(await store.release([d], { maxAttempts: 1, error: 'late' }), {
        released: 0,
        deadLettered: 0,
      });
      const s = await store.stats();
      assert.deepEqual(s, { waiting: 0, inProgress: 0, scheduled: 0, dead: 0 });
    });

    it('promotes due retries at most `max` at a time', async () => {
      for (let i = 0; i < 3; i++) await store.enqueue(job(), undefined);
      for (const d of await claimN(store, 3)) assert.equal(await store.retryLater(d, 0, 'x'), true);
      assert.equal((await store.stats()).scheduled, 3);
      assert.equal(await store.promoteDue(2), 2);
      assert.equal(await store.promoteDue(2), 1);
      assert.equal(await store.promoteDue(2), 0);
      await store.complete(await claimN(store, 3));
    });

    it('lists the DLQ oldest first', async () => {
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, undefined);
      const held = await claimN(store, 3);
      for (const d of held) assert.equal(await store.deadLetter(d, 1, `failed ${d.job.id}`), true);
      const dead = await store.peekDead(10);
      assert.deepEqual(
        dead.map((e) => e.job.id),
        held.map((d) => d.job.id),
      );
      assert.equal(new Set(dead.map((e) => e.dlqId)).size, 3, 'each entry has its own id');
      assert.equal((await store.peekDead(2)).length, 2);
    });

    it('keeps waiting jobs, scheduled retries, the DLQ and idempotency keys across a restart', async () => {
      const key = `k-${randomUUID()}`;
      const waiting = job();
      const retried = job();
      const dead = job();
      await store.enqueue(retried, undefined);
      await store.enqueue(dead, undefined);
      const [r, d] = await claimN(store, 2);
      assert.ok(r && d);
      assert.equal(await store.retryLater(r, 200, 'Error: try again'), true);
      assert.equal(await store.deadLetter(d, 2, 'PermanentError: no'), true);
      const accepted = await store.enqueue(waiting, { key, ttlMs: TTL });

      await h.restart();
      store = await h.open('after-restart');

      assert.deepEqual(await store.stats(), { waiting: 1, inProgress: 0, scheduled: 1, dead: 1 });
      assert.deepEqual(await store.enqueue(job(), { key, ttlMs: TTL }), {
        id: accepted.id,
        duplicate: true,
      });
      const [first] = await claimN(store, 1);
      assert.equal(first?.job.id, waiting.id);
      await waitFor(async () => (await store.promoteDue(10)) === 1, { what: 'due retry' });
      const [again] = await claimN(store, 1);
      assert.equal(again?.job.id, retried.id);
      assert.equal(again?.attempt, 2);
      assert.equal(again?.previousError, 'Error: try again');
      const [entry] = await store.peekDead(10);
      assert.equal(entry?.job.id, dead.id);
      assert.equal(entry?.attempts, 2);
      await store.complete([first, again].filter((x) => x !== undefined));
    });

    it('after a crash, jobs that were running are taken back with the lost run counted', async () => {
      const crashed = await h.open('crashed');
      const jobs = [job(), job()];
      for (const j of jobs) await store.enqueue(j, undefined);
      await claimN(crashed, 2);
      // Every store goes away without an outcome for the held jobs, as in a crash.
      await h.restart();
      store = await h.open('restarted');
      const taken = { requeued: 0, deadLettered: 0 };
      await waitFor(
        async () => {
          const r = await store.reclaimStale(200, 4);
          taken.requeued += r.requeued;
          taken.deadLettered += r.deadLettered;
          return taken.requeued === 2;
        },
        { what: 'reclaim after restart' },
      );
      assert.equal(taken.deadLettered, 0);
      const got = await claimN(store, 2);
      assert.deepEqual(got.map((d) => d.job.id).sort(), jobs.map((j) => j.id).sort());
      for (const d of got) assert.equal(d.attempt, 2);
      await store.complete(got);
    });

    it('close answers every enqueue already made, and every accepted job is kept', async () => {
      const jobs = Array.from({ length: 20 }, () => job());
      const pending = jobs.map((j) => store.enqueue(j, undefined));
      const closing = store.close();
      const results = await Promise.all(pending);
      await closing;
      assert.deepEqual(
        results.map((r) => r.id),
        jobs.map((j) => j.id),
      );
      store = await h.open('after-close');
      assert.equal((await store.stats()).waiting, 20);
      await store.complete(await claimN(store, 20));
    });

    it('refuses enqueues after close with StoreUnavailableError', async () => {
      await store.close();
      await assert.rejects(store.enqueue(job(), undefined), StoreUnavailableError);
      store = await h.open('after-close');
      assert.equal((await store.stats()).waiting, 0, 'nothing was stored');
    });
  });
}

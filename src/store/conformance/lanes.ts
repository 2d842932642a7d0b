/**
 * Delivery queues: one per destination, filled by the same atomic enqueue as the
 * handlers' queue, each with its own attempts, retries and dead letters.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { bulkDeadLetters } from '../../dlq/bulk.js';
import type { Delivery, DeliveryQueue, Store } from '../store.js';
import type { StoreFactory, StoreHarness } from './harness.js';
import { claimN, claimOne, job, TTL } from './jobs.js';
import { waitFor } from './wait.js';

const BOTH = { handlers: true, destinations: ['billing', 'ci'] };

/** Registers this part of the suite (node:test) for the store `factory` makes. */
export function deliveryQueueConformance(factory: StoreFactory): void {
  describe(`delivery queue conformance: ${factory.name}`, () => {
    let h: StoreHarness;
    let store: Store;
    let billing: DeliveryQueue;
    let ci: DeliveryQueue;
    beforeEach(async () => {
      h = factory.harness();
      store = await h.open('main');
      billing = store.lane('billing');
      ci = store.lane('ci');
    });
    afterEach(async () => h.cleanup());

    it('one enqueue puts one copy on each target, naming its destination', async () => {
      const j = job();
      const r = await store.enqueue(j, undefined, BOTH);
      assert.deepEqual(r, { id: j.id, duplicate: false });
      const own = await claimOne(store);
      const b = await claimOne(billing);
      const c = await claimOne(ci);
      assert.equal(own.job.id, j.id);
      assert.equal(own.job.destination, undefined, "the handlers' copy names no destination");
      assert.equal(b.job.destination, 'billing');
      assert.equal(c.job.destination, 'ci');
      assert.equal(b.job.payload, j.payload, 'the body is kept as received');
      assert.equal(b.attempt, 1);
      await Promise.all([store.complete([own]), billing.complete([b]), ci.complete([c])]);
      assert.deepEqual(await store.stats(), { waiting: 0, inProgress: 0, scheduled: 0, dead: 0 });
    });

    it('a duplicate creates no delivery anywhere', async () => {
      const dedupe = { key: `k-${Math.random()}`, ttlMs: TTL };
      const first = job();
      await store.enqueue(first, dedupe, BOTH);
      const again = await store.enqueue(job(), dedupe, BOTH);
      assert.deepEqual(again, { id: first.id, duplicate: true });
      const s = await billing.stats();
      assert.equal(s.waiting, 1, 'billing has the first delivery only');
      assert.equal((await ci.stats()).waiting, 1);
      assert.equal((await store.stats()).waiting, 3, 'the store counts every queue');
    });

    it('an event for destinations only skips the handlers', async () => {
      await store.enqueue(job(), undefined, { handlers: false, destinations: ['ci'] });
      assert.deepEqual(await store.claim(5, 50), []);
      assert.equal((await claimN(ci, 1)).length, 1);
      assert.equal((await billing.stats()).waiting, 0);
    });

    it('a retry in one destination leaves the others alone', async () => {
      await store.enqueue(job(), undefined, { handlers: false, destinations: ['billing', 'ci'] });
      const b = await claimOne(billing);
      const c = await claimOne(ci);
      assert.equal(await billing.retryLater(b, 0, 'HTTP 503'), true);
      await ci.complete([c]);
      assert.deepEqual(await ci.stats(), { waiting: 0, inProgress: 0, scheduled: 0, dead: 0 });
      assert.equal((await billing.stats()).scheduled, 1);
      await waitFor(async () => (await billing.promoteDue(10)) === 1, { what: 'retry due' });
      assert.equal(await ci.promoteDue(10), 0, "ci's schedule is its own");
      const again = await claimOne(billing);
      assert.equal(again.attempt, 2);
      assert.equal(again.previousError, 'HTTP 503');
      await billing.complete([again]);
    });

    it('a dead delivery lands in the one DLQ, naming its destination', async () => {
      const j = job();
      await store.enqueue(j, undefined, { handlers: false, destinations: ['billing'] });
      const b = await claimOne(billing);
      assert.equal(await billing.deadLetter(b, 1, 'HTTP 410'), true);
      const dead = await store.peekDead(10);
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.job.id, j.id);
      assert.equal(dead[0]?.job.destination, 'billing');
      assert.equal(dead[0]?.lastError, 'HTTP 410');
      assert.equal((await store.stats()).dead, 1);
    });

    it("the DLQ's list, bulk replay and purge by destination touch that destination's only", async () => {
      const own = job();
      await store.enqueue(own, undefined, BOTH);
      const dead = [await claimOne(store), await claimOne(billing), await claimOne(ci)];
      await store.deadLetter(dead[0] as Delivery, 4, 'handler failed');
      await billing.deadLetter(dead[1] as Delivery, 1, 'HTTP 410 Gone');
      await ci.deadLetter(dead[2] as Delivery, 1, 'HTTP 400 Bad Request');
      const page = await store.deadLetters.list({ filter: { destination: 'billing' }, limit: 10 });
      assert.deepEqual(
        page.entries.map((e) => [e.jobId, e.destination, e.lastError]),
        [[own.id, 'billing', 'HTTP 410 Gone']],
      );
      const replayed = await bulkDeadLetters(store.deadLetters, 'replay', {
        filter: { destination: 'billing' },
        max: 10,
      });
      assert.equal(replayed.count, 1);
      const again = await claimOne(billing);
      assert.equal(again.job.destination, 'billing');
      assert.equal(again.attempt, 1, 'a fresh attempt count');
      assert.equal((await ci.stats()).waiting, 0, 'nothing went to ci');
      assert.deepEqual(await store.claim(5, 50), [], 'nor to the handlers');
      const purged = await bulkDeadLetters(store.deadLetters, 'remove', {
        filter: { destination: 'ci' },
        max: 10,
      });
      assert.equal(purged.count, 1);
      const left = await store.deadLetters.list({ filter: {}, limit: 10 });
      assert.deepEqual(
        left.entries.map((e) => e.destination),
        [undefined],
        "the handlers' dead letter is left",
      );
      await billing.complete([again]);
    });

    it("a reclaim takes back only its own destination's stale deliveries", async () => {
      await store.enqueue(job(), undefined, { handlers: false, destinations: ['billing', 'ci'] });
      await claimN(billing, 1);
      await claimN(ci, 1);
      await new Promise((r) => setTimeout(r, 30));
      const r = await billing.reclaimStale(10, 5);
      assert.equal(r.requeued, 1);
      assert.equal((await billing.stats()).waiting, 1);
      assert.equal((await ci.stats()).inProgress, 1, "ci's delivery is still held");
      const again = await claimOne(billing);
      assert.equal(again.attempt, 2, 'the lost run counted');
    });

    it('the store counts the deliveries of a destination it did not open this time', async () => {
      await store.enqueue(job(), undefined, { handlers: false, destinations: ['billing'] });
      await h.restart();
      const reopened = await h.open('second');
      reopened.lane('ci');
      assert.equal((await reopened.stats()).waiting, 1);
    });

    it('deliveries survive a restart', async () => {
      const j = job();
      await store.enqueue(j, undefined, { handlers: false, destinations: ['ci'] });
      await h.restart();
      const reopened = await h.open('second');
      const lane = reopened.lane('ci');
      const d = await claimOne(lane);
      assert.equal(d.job.id, j.id);
      assert.equal(d.job.destination, 'ci');
    });
  });
}

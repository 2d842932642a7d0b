/**
 * What every store's dead-letter queue must do for operators: page, filter,
 * show, replay (atomic and once), remove, bound and trim.
 * Each test has a queue of its own, so that counts and ids are its own.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DeadLetterFilter, DeadLetterSummary, Store } from '../store.js';
import type { StoreFactory, StoreHarness } from './harness.js';
import { claimN, clockPast, deadLetterJobs, job } from './jobs.js';
import { waitFor } from './wait.js';

/** Registers this part of the suite (node:test) for the store `factory` makes. */
export function deadLetterConformance(factory: StoreFactory): void {
  describe(`dead-letter conformance: ${factory.name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = factory.harness();
      store = await h.open('main');
    });
    afterEach(async () => h.cleanup());

    /** Every entry matching `filter`, page by page. */
    async function listAll(filter: DeadLetterFilter = {}, limit = 3): Promise<DeadLetterSummary[]> {
      const out: DeadLetterSummary[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await store.deadLetters.list({ filter, limit, ...(after ? { after } : {}) });
        assert.ok(page.entries.length <= limit);
        out.push(...page.entries);
        if (page.next === undefined) return out;
        assert.ok(store.deadLetters.isId(page.next), 'a cursor is an entry id');
        after = page.next;
      }
      assert.fail('paging did not end');
    }

    it('lists every entry oldest first, in pages a cursor continues, without payloads', async () => {
      const jobs = Array.from({ length: 7 }, (_, i) =>
        job({ type: i % 2 ? 'order.paid' : 'user.created', source: 'shop' }),
      );
      const before = Date.now();
      await deadLetterJobs(store, jobs, 4, 'PermanentError: no such order');
      const listed = await listAll();
      assert.deepEqual(
        listed.map((e) => e.jobId),
        jobs.map((j) => j.id),
      );
      assert.equal(new Set(listed.map((e) => e.dlqId)).size, 7);
      const first = listed[0] as DeadLetterSummary;
      const j0 = jobs[0];
      assert.ok(j0);
      assert.deepEqual(
        { ...first, dlqId: '', failedAt: 0 },
        {
          dlqId: '',
          jobId: j0.id,
          type: 'user.created',
          source: 'shop',
          receivedAt: j0.receivedAt,
          attempts: 4,
          lastError: 'PermanentError: no such order',
          failedAt: 0,
        },
      );
      assert.ok(first.failedAt >= before - 1_000 && first.failedAt <= Date.now() + 1_000);
      assert.ok(!('payload' in first), 'a listing carries no payload');
      const empty = await store.deadLetters.list({
        filter: {},
        limit: 5,
        after: listed[6]?.dlqId as string,
      });
      assert.deepEqual(empty, { entries: [], next: undefined });
    });

    it('filters by event type, source and failure time, alone or together', async () => {
      const e0 = job({ type: 'a.x', source: 's1' });
      const e1 = job({ type: 'b.x', source: 's2' });
      const early = [e0, e1];
      await deadLetterJobs(store, early);
      const boundary = Date.now() + 1;
      await clockPast(boundary);
      const l0 = job({ type: 'a.x', source: 's2' });
      const l1 = job({ type: 'b.x', source: 's1' });
      const late = [l0, l1];
      await deadLetterJobs(store, late);
      const ids = async (filter: DeadLetterFilter) =>
        (await listAll(filter, 1)).map((e) => e.jobId).sort();
      const idsOf = (...js: { id: string }[]) => js.map((j) => j.id).sort();
      assert.deepEqual(await ids({ type: 'a.x' }), idsOf(e0, l0));
      assert.deepEqual(await ids({ source: 's1' }), idsOf(e0, l1));
      assert.deepEqual(await ids({ type: 'b.x', source: 's2' }), idsOf(e1));
      assert.deepEqual(await ids({ failedFrom: boundary }), idsOf(l0, l1));
      assert.deepEqual(await ids({ failedTo: boundary }), idsOf(e0, e1));
      assert.deepEqual(await ids({ failedFrom: boundary, source: 's2' }), idsOf(l0));
      assert.deepEqual(await ids({ type: 'none.such' }), []);
      assert.deepEqual(await ids({ failedFrom: boundary, failedTo: boundary }), []);
    });

    it('shows one entry whole, headers included, and nothing for unknown or malformed ids', async () => {
      const j = job({ headers: { 'user-agent': 'Stripe/1.0', 'stripe-signature': '[redacted]' } });
      await deadLetterJobs(store, [j], 2, 'Error: boom');
      const [summary] = await listAll();
      assert.ok(summary);
      const entry = await store.deadLetters.get(summary.dlqId);
      assert.deepEqual(entry, {
        dlqId: summary.dlqId,
        job: j,
        attempts: 2,
        lastError: 'Error: boom',
        failedAt: summary.failedAt,
      });
      assert.equal(await store.deadLetters.get(`${summary.dlqId}9`), undefined);
      for (const bad of ['', 'x', '1-2-3', '-1', '../etc', '1 OR 1=1']) {
        assert.equal(store.deadLetters.isId(bad), false, bad);
        assert.equal(await store.deadLetters.get(bad), undefined, bad);
      }
    });

    it('replays an entry into the queue with a fresh attempt count, once', async () => {
      const j = job({ idempotencyKey: 'evt_1' });
      await deadLetterJobs(store, [j], 4, 'Error: upstream down');
      const [entry] = await listAll();
      assert.ok(entry);
      const twice = await Promise.all([
        store.deadLetters.replay([entry.dlqId]),
        store.deadLetters.replay([entry.dlqId]),
      ]);
      assert.deepEqual(twice.sort(), [0, 1], 'two concurrent replays move it once');
      assert.equal(
        await store.deadLetters.replay([entry.dlqId]),
        0,
        'and a later one finds nothing',
      );
      assert.equal(await store.deadLetters.get(entry.dlqId), undefined, 'no longer dead');
      const stats = await store.stats();
      assert.equal(stats.dead, 0);
      assert.equal(stats.waiting, 1, 'queued exactly once');
      const [d] = await claimN(store, 1);
      assert.ok(d);
      assert.deepEqual(d.job, j, 'the same job, id and all');
      assert.equal(d.attempt, 1);
      assert.equal(d.previousError, undefined);
      assert.deepEqual(await store.claim(10, 10), []);
      await store.complete([d]);
    });

    it('a replayed job that fails again is dead-lettered again, as a new entry', async () => {
      const j = job();
      await deadLetterJobs(store, [j]);
      const [first] = await listAll();
      assert.ok(first);
      assert.equal(await store.deadLetters.replay([first.dlqId]), 1);
      const [d] = await claimN(store, 1);
      assert.ok(d);
      assert.equal(await store.deadLetter(d, 1, 'Error: again'), true);
      const [second] = await listAll();
      assert.equal(second?.jobId, j.id);
      assert.notEqual(second?.dlqId, first.dlqId);
      assert.equal(second?.lastError, 'Error: again');
    });

    it('removes entries, counting only those that were there', async () => {
      await deadLetterJobs(store, [job(), job(), job()]);
      const [a, b, c] = await listAll();
      assert.ok(a && b && c);
      assert.equal(await store.deadLetters.remove([a.dlqId, b.dlqId, 'nonsense']), 2);
      assert.equal(await store.deadLetters.remove([a.dlqId]), 0);
      assert.deepEqual(
        (await listAll()).map((e) => e.dlqId),
        [c.dlqId],
      );
      assert.equal((await store.stats()).dead, 1);
      assert.deepEqual(await store.claim(10, 10), [], 'removed entries are not queued');
    });

    it('bounds a listing by an id taken earlier, excluding entries that came after', async () => {
      assert.equal(await store.deadLetters.newestId(), undefined, 'an empty DLQ has no newest id');
      await deadLetterJobs(store, [job(), job()]);
      const bound = await store.deadLetters.newestId();
      assert.ok(bound);
      const later = job();
      await deadLetterJobs(store, [later]);
      const page = await store.deadLetters.list({ filter: {}, limit: 10, upTo: bound });
      assert.equal(page.entries.length, 2);
      assert.equal(page.entries[1]?.dlqId, bound);
      assert.ok(!page.entries.some((e) => e.jobId === later.id));
      assert.equal(page.next, undefined);
    });

    it('lists entries dead-lettered by reclaim with their type and source', async () => {
      const dying = await h.open('dying');
      const j = job({ type: 'lost.job', source: 'github' });
      await store.enqueue(j, undefined);
      await claimN(dying, 1);
      await waitFor(async () => (await store.reclaimStale(100, 1)).deadLettered === 1, {
        what: 'reclaim to the DLQ',
      });
      const [entry] = await listAll({ type: 'lost.job', source: 'github' });
      assert.equal(entry?.jobId, j.id);
      assert.equal(entry?.receivedAt, j.receivedAt);
      assert.equal(entry?.attempts, 1);
    });

    it('trims the oldest entries beyond the length cap, and those past the age cap', async () => {
      const old = [job(), job()];
      await deadLetterJobs(store, old);
      const gapStart = Date.now();
      await clockPast(gapStart + 200);
      const recent = [job(), job(), job()];
      await deadLetterJobs(store, recent);
      assert.deepEqual(await store.deadLetters.trim({ maxLength: 0, maxAgeMs: 0 }), {
        byLength: 0,
        byAge: 0,
      });
      assert.deepEqual(await store.deadLetters.trim({ maxLength: 10, maxAgeMs: 3_600_000 }), {
        byLength: 0,
        byAge: 0,
      });
      // Older than the middle of the gap: exactly the first two.
      const maxAgeMs = Date.now() - (gapStart + 100);
      assert.deepEqual(await store.deadLetters.trim({ maxLength: 0, maxAgeMs }), {
        byLength: 0,
        byAge: 2,
      });
      assert.deepEqual(await store.deadLetters.trim({ maxLength: 2, maxAgeMs: 0 }), {
        byLength: 1,
        byAge: 0,
      });
      assert.deepEqual(
        (await listAll()).map((e) => e.jobId),
        recent.slice(1).map((j) => j.id),
        'the newest stay',
      );
      assert.equal((await store.stats()).dead, 2);
    });
  });
}

/**
 * The event log and the throughput history, held to one contract on every store:
 * what each state change records, search by every field, paging, retention by
 * count and by age, payloads off, the log off, and the per-minute counts.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  EVENT_RETENTION_DEFAULT_MS,
  type EventFilter,
  type EventLogOptions,
  type EventRecord,
  type EventSummary,
  HANDLERS_TARGET,
  MAX_LOGGED_KEY,
  minuteOf,
} from '../event-log.js';
import type { Store } from '../store.js';
import type { StoreFactory, StoreHarness } from './harness.js';
import { claimN, claimOne, job, TTL } from './jobs.js';
import { waitFor } from './wait.js';

const ON: EventLogOptions = {
  maxEvents: 1_000,
  retentionMs: EVENT_RETENTION_DEFAULT_MS,
  payloads: true,
};
const BOTH = { handlers: true, destinations: ['billing'] };

/** Every event the filter selects, newest first, following `next` to the end. */
async function listAll(store: Store, filter: EventFilter, limit = 50): Promise<EventSummary[]> {
  const out: EventSummary[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = await store.events.list({ filter, limit, ...(cursor ? { cursor } : {}) });
    assert.ok(page.events.length <= limit, 'a page holds at most `limit` events');
    out.push(...page.events);
    if (page.next === undefined) return out;
    assert.ok(store.events.isCursor(page.next), 'next is a cursor of this store');
    cursor = page.next;
  }
  throw new Error('paging did not end');
}

async function record(store: Store, id: string): Promise<EventRecord> {
  const r = await store.events.get(id);
  assert.ok(r, `event ${id} is in the log`);
  return r;
}

function deliveryOf(r: EventRecord, target: string) {
  const d = r.deliveries.find((x) => x.target === target);
  assert.ok(d, `event ${r.id} has a delivery to ${target}`);
  return d;
}

/** Registers this part of the suite (node:test) for the store `factory` makes. */
export function eventLogConformance(factory: StoreFactory): void {
  describe(`event log conformance: ${factory.name}`, () => {
    let h: StoreHarness | undefined;
    async function open(eventLog: EventLogOptions = ON): Promise<Store> {
      h = factory.harness({ eventLog });
      const store = await h.open('main');
      store.lane('billing');
      store.lane('ci');
      return store;
    }
    afterEach(async () => {
      await h?.cleanup();
      h = undefined;
    });

    it('records an accepted event with its fields and one queued delivery per target', async () => {
      const store = await open();
      const j = job({
        source: 'stripe',
        type: 'invoice.paid',
        idempotencyKey: 'evt_1',
        headers: { 'user-agent': 'Stripe/1.0' },
        contentType: 'application/json',
      });
      await store.enqueue(j, { key: 'k1', ttlMs: TTL }, BOTH);
      const r = await record(store, j.id);
      assert.equal(r.id, j.id);
      assert.equal(r.source, 'stripe');
      assert.equal(r.type, 'invoice.paid');
      assert.equal(r.idempotencyKey, 'evt_1');
      assert.equal(r.receivedAt, j.receivedAt);
      assert.equal(r.payload, j.payload);
      assert.deepEqual(r.headers, { 'user-agent': 'Stripe/1.0' });
      assert.equal(r.contentType, 'application/json');
      assert.equal(r.state, 'queued');
      assert.deepEqual(
        r.deliveries.map((d) => [d.target, d.state, d.attempts.length]),
        [
          [HANDLERS_TARGET, 'queued', 0],
          ['billing', 'queued', 0],
        ],
      );
      assert.equal(await store.events.size(), 1);
      assert.equal(await store.events.get('no-such-id'), undefined);
    });

    it('follows a delivery through claim, retry, and success, with each attempt', async () => {
      const store = await open();
      const billing = store.lane('billing');
      const j = job();
      await store.enqueue(j, undefined, { handlers: false, destinations: ['billing'] });
      const first = await claimOne(billing);
      assert.equal((await record(store, j.id)).state, 'delivering');
      const startedAt = Date.now() - 40;
      assert.equal(
        await billing.retryLater(first, 0, 'HTTP 503: busy', {
          startedAt,
          durationMs: 40,
          status: 503,
        }),
        true,
      );
      let r = await record(store, j.id);
      assert.equal(r.state, 'retrying');
      assert.deepEqual(deliveryOf(r, 'billing').attempts, [
        { at: startedAt, outcome: 'failed', durationMs: 40, status: 503, error: 'HTTP 503: busy' },
      ]);
      await waitFor(async () => (await billing.promoteDue(10)) === 1, { what: 'the retry due' });
      const second = await claimOne(billing);
      assert.equal((await record(store, j.id)).state, 'delivering');
      await billing.complete(
        [second],
        [{ startedAt: startedAt + 100, durationMs: 12, status: 200 }],
      );
      r = await record(store, j.id);
      assert.equal(r.state, 'delivered');
      const attempts = deliveryOf(r, 'billing').attempts;
      assert.equal(attempts.length, 2);
      assert.deepEqual(attempts[1], {
        at: startedAt + 100,
        outcome: 'delivered',
        durationMs: 12,
        status: 200,
      });
    });

    it('a delivery put off without an attempt (retryLater with no report) records no attempt', async () => {
      const store = await open();
      const billing = store.lane('billing');
      const j = job();
      await store.enqueue(j, undefined, { handlers: false, destinations: ['billing'] });
      const d = await claimOne(billing);
      assert.equal(await billing.retryLater({ ...d, attempt: d.attempt - 1 }, 60_000, ''), true);
      const r = await record(store, j.id);
      assert.equal(r.state, 'queued');
      assert.deepEqual(deliveryOf(r, 'billing').attempts, []);
      const minutes = await store.history.read(Date.now() - 120_000, Date.now() + 60_000);
      assert.equal(
        minutes.reduce((n, m) => n + (m.failed.billing ?? 0), 0),
        0,
      );
    });

    it('an event is dead while any delivery is, and queued again after its dead letter is replayed', async () => {
      const store = await open();
      const billing = store.lane('billing');
      const j = job();
      await store.enqueue(j, undefined, BOTH);
      const own = await claimOne(store);
      await store.complete([own], [{ startedAt: Date.now(), durationMs: 1 }]);
      const b = await claimOne(billing);
      await billing.deadLetter(b, 1, 'HTTP 410: gone', {
        startedAt: Date.now(),
        durationMs: 3,
        status: 410,
      });
      let r = await record(store, j.id);
      assert.equal(r.state, 'dead');
      assert.equal(deliveryOf(r, HANDLERS_TARGET).state, 'delivered');
      assert.equal(deliveryOf(r, 'billing').state, 'dead');
      assert.equal(deliveryOf(r, 'billing').attempts[0]?.status, 410);
      const [dead] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
      assert.ok(dead);
      assert.equal(await store.deadLetters.replay([dead.dlqId]), 1);
      r = await record(store, j.id);
      assert.equal(deliveryOf(r, 'billing').state, 'queued');
      assert.equal(r.state, 'queued');
      assert.equal(deliveryOf(r, 'billing').attempts.length, 1, 'the attempts are kept');
    });

    it('a lost run is recorded when the reclaim takes it back', async () => {
      const store = await open();
      const j = job();
      await store.enqueue(j, undefined);
      await claimOne(store);
      const other = await h?.open('other');
      assert.ok(other);
      await waitFor(async () => (await other.reclaimStale(1, 5)).requeued === 1, {
        what: 'the reclaim',
      });
      const r = await record(store, j.id);
      assert.equal(r.state, 'retrying');
      const [lost] = deliveryOf(r, HANDLERS_TARGET).attempts;
      assert.equal(lost?.outcome, 'lost');
      assert.ok(lost?.error, 'a lost run says why');
    });

    it('a reclaim with no attempts left dead-letters, and the log records a lost attempt', async () => {
      const store = await open();
      const j = job();
      await store.enqueue(j, undefined);
      await claimOne(store);
      await waitFor(async () => (await store.reclaimStale(1, 1)).deadLettered === 1, {
        what: 'the reclaim',
      });
      const r = await record(store, j.id);
      assert.equal(r.state, 'dead');
      const [lost] = deliveryOf(r, HANDLERS_TARGET).attempts;
      assert.equal(lost?.outcome, 'lost');
    });

    it('a hand-back of a job that never started puts it back to queued', async () => {
      const store = await open();
      const j = job();
      await store.enqueue(j, undefined);
      const d = await claimOne(store);
      assert.equal((await record(store, j.id)).state, 'delivering');
      await store.release([d]);
      const r = await record(store, j.id);
      assert.equal(r.state, 'queued');
      assert.equal(deliveryOf(r, HANDLERS_TARGET).attempts.length, 0);
    });

    it('a suppressed duplicate is an event of its own that points at the original', async () => {
      const store = await open();
      const dedupe = { key: 'dup-key', ttlMs: TTL };
      const first = job({ idempotencyKey: 'evt_dup' });
      const again = job({ idempotencyKey: 'evt_dup' });
      await store.enqueue(first, dedupe, BOTH);
      assert.deepEqual(await store.enqueue(again, dedupe, BOTH), { id: first.id, duplicate: true });
      const r = await record(store, again.id);
      assert.equal(r.state, 'duplicate');
      assert.equal(r.duplicateOf, first.id);
      assert.deepEqual(r.deliveries, []);
      const byKey = await listAll(store, { key: 'evt_dup' });
      assert.deepEqual(
        byKey.map((e) => e.id).sort(),
        [first.id, again.id].sort(),
        'a key finds the original and its duplicate',
      );
    });

    it('a replay keeps the record and puts the named targets back to queued', async () => {
      const store = await open();
      const billing = store.lane('billing');
      const j = job();
      await store.enqueue(j, undefined, { handlers: false, destinations: ['billing'] });
      await billing.complete([await claimOne(billing)], [{ startedAt: Date.now(), durationMs: 2 }]);
      assert.equal((await record(store, j.id)).state, 'delivered');
      await store.enqueue(j, undefined, {
        handlers: false,
        destinations: ['billing'],
        replay: true,
      });
      let r = await record(store, j.id);
      assert.equal(r.state, 'queued');
      assert.equal(r.receivedAt, j.receivedAt);
      assert.equal(deliveryOf(r, 'billing').attempts.length, 1, 'the first attempt is kept');
      assert.equal(await store.events.size(), 1, 'a replay is not a new event');
      const again = await claimOne(billing);
      assert.equal(again.job.id, j.id);
      await billing.complete([again], [{ startedAt: Date.now(), durationMs: 2 }]);
      r = await record(store, j.id);
      assert.equal(r.state, 'delivered');
      assert.equal(deliveryOf(r, 'billing').attempts.length, 2);
      // A replay to a target the event never had adds its delivery.
      await store.enqueue(j, undefined, { handlers: false, destinations: ['ci'], replay: true });
      r = await record(store, j.id);
      assert.deepEqual(
        r.deliveries.map((d) => [d.target, d.state]),
        [
          ['billing', 'delivered'],
          ['ci', 'queued'],
        ],
      );
      const minutes = await store.history.read(minuteOf(Date.now()) - 60_000, Date.now() + 60_000);
      const accepted = minutes.reduce((n, m) => n + m.accepted, 0);
      assert.equal(accepted, 1, 'replays are not counted as accepted');
    });

    it('a replay queues only targets whose delivery is finished or was never made', async () => {
      const store = await open();
      const billing = store.lane('billing');
      const j = job();
      await store.enqueue(j, undefined, BOTH);
      await store.complete([await claimOne(store)], [{ startedAt: Date.now(), durationMs: 1 }]);
      // billing is still queued: a replay of the event sends the handlers' copy alone.
      const r = await store.enqueue(j, undefined, { ...BOTH, replay: true });
      assert.deepEqual(r.queued, [HANDLERS_TARGET]);
      assert.equal((await billing.stats()).waiting, 1, 'no second copy for billing');
      const again = await store.enqueue(j, undefined, { ...BOTH, replay: true });
      assert.deepEqual(again.queued, [], 'both are under way now');
      assert.equal((await store.stats()).waiting, 2);
      const fresh = await store.enqueue(j, undefined, {
        handlers: false,
        destinations: ['ci'],
        replay: true,
      });
      assert.deepEqual(fresh.queued, ['ci'], 'a target it never had is queued');
    });

    it('two replays at once queue one copy', async () => {
      const store = await open();
      const billing = store.lane('billing');
      const j = job();
      const targets = { handlers: false, destinations: ['billing'] };
      await store.enqueue(j, undefined, targets);
      await billing.complete([await claimOne(billing)], [{ startedAt: Date.now(), durationMs: 1 }]);
      const [a, b] = await Promise.all([
        store.enqueue(j, undefined, { ...targets, replay: true }),
        store.enqueue(j, undefined, { ...targets, replay: true }),
      ]);
      assert.deepEqual([...(a.queued ?? []), ...(b.queued ?? [])], ['billing']);
      assert.equal((await billing.stats()).waiting, 1);
    });

    it('a dead letter whose delivery was replayed from the log is not queued a second time', async () => {
      const store = await open();
      const billing = store.lane('billing');
      const j = job();
      const targets = { handlers: false, destinations: ['billing'] };
      await store.enqueue(j, undefined, targets);
      await billing.deadLetter(await claimOne(billing), 1, 'HTTP 400', {
        startedAt: Date.now(),
        durationMs: 1,
        status: 400,
      });
      assert.deepEqual((await store.enqueue(j, undefined, { ...targets, replay: true })).queued, [
        'billing',
      ]);
      const [dead] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
      assert.ok(dead);
      assert.equal(await store.deadLetters.replay([dead.dlqId]), 1);
      assert.equal((await billing.stats()).waiting, 1, 'one copy, from the log replay');
      assert.equal((await store.stats()).dead, 0, 'the dead letter is gone');
      // Once that delivery is finished, a dead letter replays as usual.
      await billing.deadLetter(await claimOne(billing), 1, 'HTTP 400', {
        startedAt: Date.now(),
        durationMs: 1,
        status: 400,
      });
      const [second] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
      assert.ok(second);
      assert.equal(await store.deadLetters.replay([second.dlqId]), 1);
      assert.equal((await billing.stats()).waiting, 1);
      assert.equal(deliveryOf(await record(store, j.id), 'billing').state, 'queued');
    });

    it('says whether it kept the payload, and records a key every store can encode', async () => {
      const store = await open();
      const withKey = job({ idempotencyKey: 'x\ud800y' });
      const longKey = job({ idempotencyKey: 'k'.repeat(MAX_LOGGED_KEY + 1) });
      await store.enqueue(withKey, undefined);
      await store.enqueue(longKey, undefined);
      const r = await record(store, withKey.id);
      assert.equal(r.idempotencyKey, 'x\ufffdy');
      assert.equal(r.payloadKept, true);
      assert.deepEqual(
        (await listAll(store, { key: 'x\ufffdy' })).map((e) => e.id),
        [withKey.id],
      );
      assert.equal((await record(store, longKey.id)).idempotencyKey, undefined);
      const [summary] = await listAll(store, { key: 'x\ufffdy' });
      assert.equal(summary?.payloadKept, true);
    });

    it('with the log turned off, trim drops what an earlier run recorded', async () => {
      let store = await open();
      for (let i = 0; i < 5; i++) await store.enqueue(job(), undefined);
      assert.equal(await store.events.size(), 5);
      await h?.restart();
      store = await (h as StoreHarness).open('again', { eventLog: { ...ON, maxEvents: 0 } });
      assert.equal(store.events.enabled, false);
      await waitFor(async () => (await store.events.trim()) === 0, { what: 'the trims to end' });
      assert.equal(await store.events.size(), 0);
    });

    it('searches by every field, newest first', async () => {
      const store = await open();
      const t0 = Date.now() - 10_000;
      const a = job({
        source: 'stripe',
        type: 'invoice.paid',
        receivedAt: t0,
        idempotencyKey: 'ka',
        payload: '{"amount":100}',
      });
      const b = job({
        source: 'github',
        type: 'push',
        receivedAt: t0 + 1_000,
        payload: JSON.stringify({ ref: 'refs/heads/main', needle: 'blue-whale-42' }),
      });
      const c = job({
        source: 'stripe',
        type: 'charge.failed',
        receivedAt: t0 + 2_000,
        payload: '{"amount":7}',
      });
      await store.enqueue(a, undefined, { handlers: false, destinations: ['billing'] });
      await store.enqueue(b, undefined, { handlers: true, destinations: ['ci'] });
      await store.enqueue(c, undefined, { handlers: false, destinations: ['billing'] });
      const ci = store.lane('ci');
      await ci.deadLetter(await claimOne(ci), 1, 'HTTP 400', {
        startedAt: Date.now(),
        durationMs: 1,
        status: 400,
      });
      const ids = (f: EventFilter) => listAll(store, f).then((es) => es.map((e) => e.id));
      assert.deepEqual(await ids({}), [c.id, b.id, a.id]);
      assert.deepEqual(await ids({ source: 'stripe' }), [c.id, a.id]);
      assert.deepEqual(await ids({ type: 'push' }), [b.id]);
      assert.deepEqual(await ids({ state: 'dead' }), [b.id]);
      assert.deepEqual(await ids({ state: 'queued' }), [c.id, a.id]);
      assert.deepEqual(await ids({ destination: 'billing' }), [c.id, a.id]);
      assert.deepEqual(await ids({ destination: HANDLERS_TARGET }), [b.id]);
      assert.deepEqual(await ids({ since: t0 + 1_000 }), [c.id, b.id]);
      assert.deepEqual(await ids({ until: t0 + 1_000 }), [a.id]);
      assert.deepEqual(await ids({ since: t0 + 500, until: t0 + 1_500 }), [b.id]);
      assert.deepEqual(await ids({ key: 'ka' }), [a.id]);
      assert.deepEqual(await ids({ key: 'nope' }), []);
      assert.deepEqual(await ids({ q: 'blue-whale' }), [b.id]);
      assert.deepEqual(await ids({ q: 'Blue-Whale' }), [], 'q is case-sensitive');
      assert.deepEqual(await ids({ q: '42' }), [b.id], 'a short q still matches');
      assert.deepEqual(await ids({ q: '%' }), [], 'q is a plain substring, not a pattern');
      assert.deepEqual(await ids({ source: 'stripe', type: 'charge.failed' }), [c.id]);
      assert.deepEqual(await ids({ source: 'stripe', q: 'blue-whale' }), []);
      const [summary] = await listAll(store, { type: 'push' });
      assert.deepEqual(summary, {
        id: b.id,
        source: 'github',
        type: 'push',
        state: 'dead',
        receivedAt: b.receivedAt,
        payloadKept: true,
        deliveries: [
          { target: HANDLERS_TARGET, state: 'queued' },
          { target: 'ci', state: 'dead' },
        ],
      });
    });

    it('pages through many events without a gap or an overlap', async () => {
      const store = await open();
      const t0 = Date.now() - 60_000;
      const jobs = Array.from({ length: 37 }, (_, i) =>
        // Pairs share a received time: the order must still be total.
        job({ receivedAt: t0 + Math.floor(i / 2), source: i % 3 === 0 ? 'stripe' : 'github' }),
      );
      for (const j of jobs) await store.enqueue(j, undefined);
      const all = await listAll(store, {}, 5);
      assert.equal(all.length, 37);
      assert.equal(new Set(all.map((e) => e.id)).size, 37);
      for (let i = 1; i < all.length; i++) {
        assert.ok((all[i - 1] as EventSummary).receivedAt >= (all[i] as EventSummary).receivedAt);
      }
      const stripe = await listAll(store, { source: 'stripe' }, 4);
      assert.deepEqual(
        new Set(stripe.map((e) => e.id)),
        new Set(jobs.filter((_, i) => i % 3 === 0).map((j) => j.id)),
      );
    });

    it('drops the oldest beyond EVENT_LOG_MAX, and never a dead letter', async () => {
      const store = await open({ ...ON, maxEvents: 10 });
      const t0 = Date.now() - 60_000;
      const jobs = Array.from({ length: 25 }, (_, i) => job({ receivedAt: t0 + i }));
      const [dead] = jobs;
      assert.ok(dead);
      await store.enqueue(dead, undefined);
      await store.deadLetter(await claimOne(store), 1, 'boom');
      for (const j of jobs.slice(1)) await store.enqueue(j, undefined);
      await waitFor(
        async () => (await store.events.trim()) === 0 && (await store.events.size()) <= 10,
        {
          what: 'the log trimmed to 10',
        },
      );
      assert.equal(await store.events.size(), 10);
      const kept = await listAll(store, {});
      assert.deepEqual(
        kept.map((e) => e.id),
        jobs
          .slice(-10)
          .reverse()
          .map((j) => j.id),
        'the newest ten are kept',
      );
      assert.equal(await store.events.get(dead.id), undefined);
      assert.equal((await store.stats()).dead, 1, 'the dead letter stays in the DLQ');
    });

    it('drops events older than EVENT_RETENTION', async () => {
      const store = await open({ ...ON, retentionMs: 3_600_000 });
      const old = job({ receivedAt: Date.now() - 2 * 3_600_000 });
      const fresh = job();
      await store.enqueue(old, undefined);
      await store.enqueue(fresh, undefined);
      await store.events.trim();
      assert.equal(await store.events.get(old.id), undefined);
      assert.ok(await store.events.get(fresh.id));
    });

    it('an outcome after the event was dropped does not bring it back', async () => {
      const store = await open({ ...ON, maxEvents: 1 });
      const first = job({ receivedAt: Date.now() - 1_000 });
      await store.enqueue(first, undefined);
      const d = await claimOne(store);
      await store.enqueue(job(), undefined);
      await store.events.trim();
      assert.equal(await store.events.get(first.id), undefined);
      await store.complete([d], [{ startedAt: Date.now(), durationMs: 1 }]);
      assert.equal(await store.events.get(first.id), undefined);
      assert.equal(await store.events.size(), 1);
    });

    it('keeps no payload or headers when payloads are off, and q then finds nothing', async () => {
      const store = await open({ ...ON, payloads: false });
      const j = job({ payload: '{"secret":"needle"}', headers: { 'user-agent': 'x' } });
      await store.enqueue(j, undefined);
      const r = await record(store, j.id);
      assert.equal(r.payload, undefined);
      assert.equal(r.payloadKept, false);
      assert.equal(r.headers, undefined);
      assert.equal(r.type, j.type);
      assert.deepEqual(await listAll(store, { q: 'needle' }), []);
    });

    it('records nothing when the log is off, and still counts the history', async () => {
      const store = await open({ ...ON, maxEvents: 0 });
      assert.equal(store.events.enabled, false);
      const j = job();
      await store.enqueue(j, undefined);
      await store.complete([await claimOne(store)]);
      assert.equal(await store.events.get(j.id), undefined);
      assert.deepEqual((await store.events.list({ filter: {}, limit: 10 })).events, []);
      const minutes = await store.history.read(Date.now() - 120_000, Date.now() + 60_000);
      assert.equal(
        minutes.reduce((n, m) => n + m.accepted, 0),
        1,
      );
      assert.equal(
        minutes.reduce((n, m) => n + (m.delivered[HANDLERS_TARGET] ?? 0), 0),
        1,
      );
    });

    it('counts every minute: accepted, duplicates, delivered and failed per target, dead-lettered, rejected', async () => {
      const store = await open();
      const billing = store.lane('billing');
      const dedupe = { key: 'h-key', ttlMs: TTL };
      await store.enqueue(job(), dedupe, BOTH);
      await store.enqueue(job(), dedupe, BOTH);
      await store.enqueue(job(), undefined, { handlers: false, destinations: ['billing'] });
      const own = await claimOne(store);
      await store.complete([own], [{ startedAt: Date.now(), durationMs: 1 }]);
      const [b1, b2] = await claimN(billing, 2);
      assert.ok(b1 && b2);
      await billing.retryLater(b1, 60_000, 'HTTP 500', {
        startedAt: Date.now(),
        durationMs: 1,
        status: 500,
      });
      await billing.deadLetter(b2, 1, 'HTTP 404', {
        startedAt: Date.now(),
        durationMs: 1,
        status: 404,
      });
      const now = Date.now();
      await store.history.addRejected({ '4xx': 3, '5xx': 1 }, now);
      await store.history.addRejected({ '4xx': 2 }, now);
      const minutes = await store.history.read(now - 120_000, now + 60_000);
      const sum = (pick: (m: (typeof minutes)[number]) => number) =>
        minutes.reduce((n, m) => n + pick(m), 0);
      assert.equal(
        sum((m) => m.accepted),
        2,
      );
      assert.equal(
        sum((m) => m.duplicates),
        1,
      );
      assert.equal(
        sum((m) => m.delivered[HANDLERS_TARGET] ?? 0),
        1,
      );
      assert.equal(
        sum((m) => m.delivered.billing ?? 0),
        0,
      );
      assert.equal(
        sum((m) => m.failed.billing ?? 0),
        2,
      );
      assert.equal(
        sum((m) => m.deadLettered),
        1,
      );
      assert.equal(
        sum((m) => m.rejected['4xx'] ?? 0),
        5,
      );
      assert.equal(
        sum((m) => m.rejected['5xx'] ?? 0),
        1,
      );
      for (const m of minutes) {
        assert.equal(m.minute, minuteOf(m.minute), 'minutes start on the minute');
        assert.ok(m.minute >= minuteOf(now - 120_000) && m.minute < now + 60_000);
      }
      assert.deepEqual(await store.history.read(now - 3 * 3_600_000, now - 2 * 3_600_000), []);
    });

    it('the history is shared by every instance of the queue', async () => {
      const store = await open();
      const other = await h?.open('second');
      assert.ok(other);
      const now = Date.now();
      await other.history.addRejected({ '4xx': 7 }, now);
      await store.history.addRejected({ '4xx': 1 }, now);
      const minutes = await store.history.read(now - 60_000, now + 60_000);
      assert.equal(
        minutes.reduce((n, m) => n + (m.rejected['4xx'] ?? 0), 0),
        8,
      );
    });
  });
}

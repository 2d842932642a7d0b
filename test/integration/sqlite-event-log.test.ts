/**
 * The embedded store's event log: what each step of a job records, in the
 * same transaction as the step, and what it never does (recreate a trimmed
 * event). Replays are in sqlite-event-replay.test.ts, search and paging in
 * sqlite-event-search.test.ts, retention and the history in
 * sqlite-event-retention.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MAX_RECORDED_ATTEMPTS } from '../../src/store/event-log.js';
import { ERROR_MAX_BYTES } from '../../src/store/sqlite/event-records.js';
import type { Delivery, DeliveryQueue, JobQueue } from '../../src/store/store.js';
import { EventLogStores, job } from '../helpers/sqlite-events.js';

const stores = new EventLogStores();
after(() => stores.cleanup());

const ALL = { handlers: true, destinations: ['billing', 'crm'] };

async function claimOne(queue: JobQueue): Promise<Delivery> {
  const [d] = await queue.claim(1, 0);
  assert.ok(d, 'a delivery to claim');
  return d;
}

describe('embedded event log: ingest', () => {
  it('records a new event with one queued delivery per target, handlers first', async () => {
    const store = await stores.open();
    const j = job({ idempotencyKey: 'order-1', headers: { 'x-a': '1' }, contentType: 'text/json' });
    const r = await store.enqueue(j, { key: 'k1', ttlMs: 60_000 }, ALL);
    assert.deepEqual(r, { id: j.id, duplicate: false });
    assert.deepEqual(await store.events.get(j.id), {
      id: j.id,
      source: 'default',
      type: 'order.created',
      state: 'queued',
      receivedAt: j.receivedAt,
      idempotencyKey: 'order-1',
      payload: j.payload,
      payloadKept: true,
      headers: { 'x-a': '1' },
      contentType: 'text/json',
      deliveries: [
        { target: 'handlers', state: 'queued', attempts: [] },
        { target: 'billing', state: 'queued', attempts: [] },
        { target: 'crm', state: 'queued', attempts: [] },
      ],
    });
    assert.equal(await store.events.size(), 1);
    assert.equal(store.events.enabled, true);
  });

  it('records a suppressed duplicate under its own id, pointing at the original', async () => {
    const store = await stores.open();
    const first = job();
    const again = job({ idempotencyKey: 'same' });
    await store.enqueue(first, { key: 'same', ttlMs: 60_000 });
    const r = await store.enqueue(again, { key: 'same', ttlMs: 60_000 }, ALL);
    assert.deepEqual(r, { id: first.id, duplicate: true }, 'ingest answers with the original');
    const dup = await store.events.get(again.id);
    assert.equal(dup?.state, 'duplicate');
    assert.equal(dup?.duplicateOf, first.id);
    assert.equal(dup?.idempotencyKey, 'same');
    assert.equal(dup?.payload, again.payload);
    assert.deepEqual(dup?.deliveries, []);
    assert.equal((await store.events.get(first.id))?.deliveries.length, 1, 'original unchanged');
  });
});

describe('embedded event log: a delivery through its states', () => {
  it('claim, complete: delivering, then delivered with the attempt reported', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: true, destinations: ['billing'] });
    const billing = store.lane('billing');
    const d = await claimOne(billing);
    let e = await store.events.get(j.id);
    assert.deepEqual(
      e?.deliveries.map((x) => x.state),
      ['queued', 'delivering'],
    );
    assert.equal(e?.state, 'delivering');
    await billing.complete([d], [{ startedAt: 1_000, durationMs: 42, status: 204 }]);
    e = await store.events.get(j.id);
    assert.deepEqual(e?.deliveries[1], {
      target: 'billing',
      state: 'delivered',
      attempts: [{ at: 1_000, outcome: 'delivered', durationMs: 42, status: 204 }],
    });
    assert.equal(e?.state, 'queued', 'the handlers have yet to run');
    await store.complete([await claimOne(store)]);
    e = await store.events.get(j.id);
    assert.equal(e?.state, 'delivered');
    const at = e?.deliveries[0]?.attempts[0]?.at ?? 0;
    assert.ok(Math.abs(at - Date.now()) < 5_000, 'without a report, the time of the write');
  });

  it('retryLater: retrying, with the failed attempt; then delivering again', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: false, destinations: ['crm'] });
    const crm = store.lane('crm');
    const d = await claimOne(crm);
    assert.ok(
      await crm.retryLater(d, 0, 'HTTP 503: busy', { startedAt: 7, durationMs: 9, status: 503 }),
    );
    let e = await store.events.get(j.id);
    assert.equal(e?.state, 'retrying');
    assert.deepEqual(e?.deliveries[0]?.attempts, [
      { at: 7, outcome: 'failed', durationMs: 9, status: 503, error: 'HTTP 503: busy' },
    ]);
    await crm.promoteDue(10);
    await claimOne(crm);
    e = await store.events.get(j.id);
    assert.equal(e?.state, 'delivering');
  });

  it('a retry without a report (a deferral) is queued again, with no attempt and no count', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: false, destinations: ['crm'] });
    const crm = store.lane('crm');
    const d = await claimOne(crm);
    assert.ok(await crm.retryLater({ ...d, attempt: d.attempt - 1 }, 1_000, ''));
    const e = await store.events.get(j.id);
    assert.deepEqual(e?.deliveries, [{ target: 'crm', state: 'queued', attempts: [] }]);
    const [minute] = await store.history.read(0, Date.now() + 60_000);
    assert.deepEqual(minute?.failed, {});
  });

  it('deadLetter, then the DLQ replay: dead, then queued', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, ALL);
    const billing = store.lane('billing');
    await billing.deadLetter(await claimOne(billing), 3, 'HTTP 410', {
      startedAt: 5,
      durationMs: 6,
      status: 410,
    });
    let e = await store.events.get(j.id);
    assert.equal(e?.state, 'dead', 'dead wins over queued');
    assert.deepEqual(e?.deliveries[1]?.attempts, [
      { at: 5, outcome: 'failed', durationMs: 6, status: 410, error: 'HTTP 410' },
    ]);
    const [dead] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
    assert.ok(dead);
    assert.equal(await store.deadLetters.replay([dead.dlqId]), 1);
    e = await store.events.get(j.id);
    assert.equal(e?.deliveries[1]?.state, 'queued');
    assert.equal(e?.state, 'queued');
  });

  it('reclaim: a lost run is retrying with a lost attempt; none left, dead', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: true, destinations: [] });
    await claimOne(store);
    const r = await store.reclaimStale(0, 3);
    assert.equal(r.requeued, 1);
    let e = await store.events.get(j.id);
    assert.equal(e?.state, 'retrying');
    const [lost] = e?.deliveries[0]?.attempts ?? [];
    assert.equal(lost?.outcome, 'lost');
    assert.match(lost?.error ?? '', /worker lost/);
    await claimOne(store);
    assert.equal((await store.reclaimStale(0, 2)).deadLettered, 1);
    e = await store.events.get(j.id);
    assert.equal(e?.state, 'dead');
    assert.deepEqual(
      e?.deliveries[0]?.attempts.map((a) => a.outcome),
      ['lost', 'lost'],
      'the run lost on the way to the DLQ is recorded too',
    );
  });

  it('release: unstarted and the free hand-back are queued; a counted one is lost', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: true, destinations: [] });
    const states = async () => {
      const e = await store.events.get(j.id);
      return [e?.state, e?.deliveries[0]?.attempts.map((a) => a.outcome)];
    };
    await store.release([await claimOne(store)]);
    assert.deepEqual(await states(), ['queued', []]);
    const started = { maxAttempts: 5, error: 'interrupted by shutdown' };
    await store.release([await claimOne(store)], started);
    assert.deepEqual(await states(), ['queued', []], 'the first hand-back is free');
    await store.release([await claimOne(store)], started);
    assert.deepEqual(await states(), ['retrying', ['lost']]);
    const r = await store.release([await claimOne(store)], { ...started, maxAttempts: 2 });
    assert.equal(r.deadLettered, 1);
    assert.deepEqual(await states(), ['dead', ['lost', 'lost']], 'a counted hand-back, lost');
  });

  it('retiring a lane marks its deliveries dead', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: false, destinations: ['crm'] });
    const r = await store.retireLane('crm', 0, 'destination removed');
    assert.equal(r.deadLettered, 1);
    assert.equal((await store.events.get(j.id))?.state, 'dead');
  });

  it('a row that is not a job envelope: its event (if any) is dead', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: true, destinations: [] });
    store.database.prepare("UPDATE jobs SET job = 'null' WHERE job_id = ?").run(j.id);
    assert.deepEqual(await store.claim(1, 0), []);
    assert.equal((await store.events.get(j.id))?.state, 'dead');
  });

  it('keeps the latest attempts per delivery, and errors cut to 2 KiB', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: false, destinations: ['billing'] });
    const billing: DeliveryQueue = store.lane('billing');
    const total = MAX_RECORDED_ATTEMPTS + 3;
    for (let i = 1; i <= total; i++) {
      const d = await claimOne(billing);
      const error = `#${i} ${'é'.repeat(2_000)}`;
      await billing.retryLater(d, 0, error, { startedAt: i, durationMs: 1 });
      await billing.promoteDue(10);
    }
    const attempts = (await store.events.get(j.id))?.deliveries[0]?.attempts ?? [];
    assert.equal(attempts.length, MAX_RECORDED_ATTEMPTS);
    assert.equal(attempts[0]?.at, total - MAX_RECORDED_ATTEMPTS + 1, 'the oldest dropped');
    assert.equal(attempts.at(-1)?.at, total);
    const error = attempts.at(-1)?.error ?? '';
    assert.ok(error.startsWith(`#${total} é`));
    const bytes = Buffer.byteLength(error);
    assert.ok(bytes <= ERROR_MAX_BYTES && bytes > ERROR_MAX_BYTES - 2, `${bytes} bytes`);
    assert.ok(!error.includes('\uFFFD'), 'never cut inside a character');
  });

  it('an outcome for a delivery its record lacks adds the delivery, last, with its attempt', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: true, destinations: ['billing'] });
    store.database
      .prepare(
        `DELETE FROM event_deliveries WHERE target = 'billing'
           AND event = (SELECT n FROM events WHERE id = ?)`,
      )
      .run(j.id);
    const billing = store.lane('billing');
    const d = await claimOne(billing);
    let e = await store.events.get(j.id);
    assert.deepEqual(
      e?.deliveries.map((x) => [x.target, x.state]),
      [
        ['handlers', 'queued'],
        ['billing', 'delivering'],
      ],
    );
    assert.equal(e?.state, 'delivering');
    store.database
      .prepare(
        `DELETE FROM event_deliveries WHERE target = 'billing'
           AND event = (SELECT n FROM events WHERE id = ?)`,
      )
      .run(j.id);
    await billing.complete([d], [{ startedAt: 7, durationMs: 2, status: 204 }]);
    e = await store.events.get(j.id);
    assert.deepEqual(e?.deliveries[1], {
      target: 'billing',
      state: 'delivered',
      attempts: [{ at: 7, outcome: 'delivered', durationMs: 2, status: 204 }],
    });
    assert.equal(e?.state, 'queued', 'folded with the handlers, still queued');
  });

  it('an outcome for an event no longer in the log does not recreate it, but is counted', async () => {
    const store = await stores.open({ maxEvents: 1, retentionMs: 3_600_000, payloads: true });
    const first = job({ receivedAt: Date.now() - 1_000 });
    await store.enqueue(first, undefined, { handlers: false, destinations: ['billing'] });
    const billing = store.lane('billing');
    const d = await claimOne(billing);
    await store.enqueue(job(), undefined);
    assert.equal(await store.events.get(first.id), undefined, 'trimmed by the next enqueue');
    await billing.retryLater(d, 0, 'boom', { startedAt: 1, durationMs: 1 });
    await billing.promoteDue(10);
    await billing.complete([await claimOne(billing)]);
    assert.equal(await store.events.get(first.id), undefined, 'not recreated');
    assert.equal(await store.events.size(), 1);
    const [minute] = await store.history.read(0, Date.now() + 60_000);
    assert.deepEqual(minute?.failed, { billing: 1 });
    assert.deepEqual(minute?.delivered, { billing: 1 });
  });
});

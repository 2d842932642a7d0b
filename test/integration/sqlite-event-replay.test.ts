/**
 * Replays in the embedded store, from the event log (EnqueueTargets.replay)
 * and from the DLQ: which deliveries each queues, decided in the same
 * transaction as the enqueue or the move, so that no replay puts a second copy
 * beside a delivery under way.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Delivery, JobQueue } from '../../src/store/store.js';
import { EventLogStores, job } from '../helpers/sqlite-events.js';

const stores = new EventLogStores();
after(() => stores.cleanup());

const OFF = { maxEvents: 0, retentionMs: 3_600_000, payloads: true };

async function claimOne(queue: JobQueue): Promise<Delivery> {
  const [d] = await queue.claim(1, 0);
  assert.ok(d, 'a delivery to claim');
  return d;
}

/** Waiting jobs per lane ('' for the handlers), read from the table itself. */
function waiting(store: SqliteStore): Record<string, number> {
  const rows = store.database
    .prepare("SELECT lane, count(*) AS n FROM jobs WHERE state = 'waiting' GROUP BY lane")
    .all() as { lane: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.lane, r.n]));
}

describe('embedded event log: replay from the log', () => {
  it('a replay keeps the record and queues the targets named again, adding a new one', async () => {
    const store = await stores.open();
    const j = job({ receivedAt: Date.now() - 5_000 });
    await store.enqueue(j, undefined, { handlers: true, destinations: ['billing'] });
    const d = await claimOne(store.lane('billing'));
    await store.lane('billing').deadLetter(d, 1, 'HTTP 500', { startedAt: 1, durationMs: 2 });
    assert.equal((await store.events.get(j.id))?.state, 'dead');

    await store.enqueue({ ...j, receivedAt: Date.now() }, undefined, {
      handlers: false,
      destinations: ['billing', 'crm'],
      replay: true,
    });
    const e = await store.events.get(j.id);
    assert.equal(e?.receivedAt, j.receivedAt, 'the received time is kept');
    assert.deepEqual(
      e?.deliveries.map((x) => [x.target, x.state, x.attempts.length]),
      [
        ['handlers', 'queued', 0],
        ['billing', 'queued', 1],
        ['crm', 'queued', 0],
      ],
    );
    assert.equal(e?.state, 'queued');
    const [minute] = await store.history.read(0, Date.now() + 60_000);
    assert.equal(minute?.accepted, 1, 'a replay is not accepted again');
  });

  it('a replay of an event no longer in the log records it anew', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: true, destinations: [], replay: true });
    assert.deepEqual(
      (await store.events.get(j.id))?.deliveries.map((x) => x.state),
      ['queued'],
    );
  });

  it('queues only finished or missing deliveries, and says which, handlers first', async () => {
    const store = await stores.open();
    const j = job();
    await store.enqueue(j, undefined, { handlers: true, destinations: ['crm'] });
    await store.complete([await claimOne(store)]);
    const crm = store.lane('crm');
    await crm.deadLetter(await claimOne(crm), 1, 'HTTP 400', { startedAt: 1, durationMs: 1 });
    const all = { handlers: true, destinations: ['crm', 'billing'], replay: true };
    const r = await store.enqueue(j, undefined, all);
    assert.deepEqual(r, { id: j.id, duplicate: false, queued: ['handlers', 'crm', 'billing'] });
    assert.deepEqual(waiting(store), { '': 1, crm: 1, billing: 1 });
    await claimOne(crm);
    const again = await store.enqueue(j, undefined, all);
    assert.deepEqual(again.queued, [], 'queued, delivering: under way, all of them');
    assert.deepEqual(waiting(store), { '': 1, billing: 1 });
  });

  it('a retrying delivery is under way too', async () => {
    const store = await stores.open();
    const j = job();
    const crmOnly = { handlers: false, destinations: ['crm'] };
    await store.enqueue(j, undefined, crmOnly);
    const crm = store.lane('crm');
    await crm.retryLater(await claimOne(crm), 60_000, 'HTTP 503', { startedAt: 1, durationMs: 1 });
    const r = await store.enqueue(j, undefined, { ...crmOnly, replay: true });
    assert.deepEqual(r.queued, []);
    assert.deepEqual(waiting(store), {});
  });

  it('replays in one group commit are decided in order: one copy', async () => {
    const store = await stores.open();
    const j = job();
    const crmOnly = { handlers: false, destinations: ['crm'] };
    await store.enqueue(j, undefined, crmOnly);
    const crm = store.lane('crm');
    await crm.complete([await claimOne(crm)]);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.enqueue(j, undefined, { ...crmOnly, replay: true })),
    );
    assert.deepEqual(
      results.map((r) => r.queued),
      [['crm'], [], [], [], []],
    );
    assert.deepEqual(waiting(store), { crm: 1 });
  });

  it('with the log off, every target named is queued (nothing to check against)', async () => {
    const store = await stores.open(OFF);
    const j = job();
    const both = { handlers: true, destinations: ['crm'], replay: true };
    assert.deepEqual((await store.enqueue(j, undefined, both)).queued, ['handlers', 'crm']);
    assert.deepEqual(waiting(store), { '': 1, crm: 1 });
  });

  it('a plain enqueue has no `queued`', async () => {
    const store = await stores.open();
    const r = await store.enqueue(job(), undefined, { handlers: true, destinations: ['crm'] });
    assert.equal('queued' in r, false);
  });
});

describe('embedded event log: replay from the DLQ', () => {
  async function deadAndReplayedFromLog(store: SqliteStore) {
    const j = job();
    const crmOnly = { handlers: false, destinations: ['crm'] };
    await store.enqueue(j, undefined, crmOnly);
    const crm = store.lane('crm');
    await crm.deadLetter(await claimOne(crm), 1, 'HTTP 400', { startedAt: 1, durationMs: 1 });
    await store.enqueue(j, undefined, { ...crmOnly, replay: true });
    const [dead] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
    assert.ok(dead);
    return { j, crm, dlqId: dead.dlqId };
  }

  it('an entry whose delivery is being delivered again is removed, counted, not queued', async () => {
    const store = await stores.open();
    const { j, crm, dlqId } = await deadAndReplayedFromLog(store);
    await claimOne(crm);
    assert.equal(await store.deadLetters.replay([dlqId, dlqId]), 1);
    assert.equal((await store.stats()).dead, 0, 'gone from the DLQ');
    assert.deepEqual(waiting(store), {}, 'no second copy');
    assert.equal((await store.events.get(j.id))?.deliveries[0]?.state, 'delivering', 'unchanged');
  });

  it('with the log off, an entry is queued as ever', async () => {
    const store = await stores.open(OFF);
    const j = job();
    await store.enqueue(j, undefined, { handlers: false, destinations: ['crm'] });
    const crm = store.lane('crm');
    await crm.deadLetter(await claimOne(crm), 1, 'HTTP 400', { startedAt: 1, durationMs: 1 });
    const [dead] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
    assert.ok(dead);
    assert.equal(await store.deadLetters.replay([dead.dlqId]), 1);
    assert.deepEqual(waiting(store), { crm: 1 });
  });
});

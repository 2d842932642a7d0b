/**
 * The embedded event log's bounds (by count and by age, as it records and by
 * trim(), never touching the DLQ), the log turned off, and the per-minute
 * history.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HISTORY_RETENTION_MS, minuteOf } from '../../src/store/event-log.js';
import { trigramQuery } from '../../src/store/sqlite/event-search.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { EventLogStores, job, MovableTime } from '../helpers/sqlite-events.js';

const stores = new EventLogStores();
const scratch = mkdtempSync(join(tmpdir(), 'wp-event-retention-'));
after(async () => {
  await stores.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const log = (maxEvents: number, retentionMs = 72 * HOUR, payloads = true) => ({
  maxEvents,
  retentionMs,
  payloads,
});

async function ids(store: SqliteStore): Promise<string[]> {
  return (await store.events.list({ filter: {}, limit: 1_000 })).events.map((e) => e.id);
}

async function enqueueMany(store: SqliteStore, n: number, receivedAt = Date.now()) {
  const jobs = Array.from({ length: n }, (_, i) => job({ receivedAt: receivedAt + i }));
  await Promise.all(jobs.map((j) => store.enqueue(j, undefined)));
  return jobs;
}

describe('embedded event log: retention', () => {
  it('by count: each enqueue drops the oldest beyond maxEvents', async () => {
    const store = await stores.open(log(3));
    const t = Date.now();
    const jobs = [];
    for (let i = 0; i < 5; i++) {
      const j = job({ receivedAt: t + i });
      jobs.push(j);
      await store.enqueue(j, undefined);
      // Indexed before the next enqueue drops it: the trim must take its index rows too.
      await store.events.index.run();
    }
    assert.equal(await store.events.size(), 3);
    assert.deepEqual(await ids(store), [jobs[4]?.id, jobs[3]?.id, jobs[2]?.id]);
    // What belonged to a dropped event went with it: deliveries, attempts, its payload's index.
    const count = (sql: string, ...args: string[]) =>
      (store.database.prepare(sql).get(...args) as { n: number }).n;
    assert.equal(count('SELECT count(*) AS n FROM event_deliveries'), 3);
    const dropped = trigramQuery(jobs[0]?.payload ?? '') ?? '';
    assert.equal(
      count('SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH ?', dropped),
      0,
    );
    const kept = trigramQuery(jobs[4]?.payload ?? '') ?? '';
    assert.equal(count('SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH ?', kept), 1);
  });

  it('an enqueue drops at most twice what it adds; trim() drops the rest in steps', async () => {
    const file = join(scratch, `${randomUUID()}.sqlite`);
    let store = await stores.open(log(10_000), undefined, file);
    const jobs = await enqueueMany(store, 2_500);
    await store.close();
    // The first store opened on a file sets the bounds: reopen it with a lower one.
    store = await stores.open(log(10), undefined, file);
    await store.enqueue(job({ receivedAt: Date.now() + 10_000 }), undefined);
    assert.equal(await store.events.size(), 2_499, 'one added, two dropped');
    assert.equal(await store.events.get(jobs[0]?.id ?? ''), undefined, 'the oldest first');
    assert.ok(await store.events.get(jobs[2]?.id ?? ''));
    assert.equal(await store.events.trim(), 2_489);
    assert.equal(await store.events.size(), 10);
    assert.equal(await store.events.trim(), 0);
  });

  it('by age: an enqueue drops events past the retention, and so does trim()', async () => {
    const time = new MovableTime();
    const store = await stores.open(log(100, HOUR), time);
    const stale = job({ receivedAt: Date.now() - 2 * HOUR });
    await store.enqueue(stale, undefined);
    assert.equal(await store.events.get(stale.id), undefined, 'dropped as it was recorded');
    await enqueueMany(store, 4);
    time.advance(HOUR + 60_000);
    const fresh = job({ receivedAt: time.wallMs() });
    await store.enqueue(fresh, undefined);
    assert.equal(await store.events.size(), 3, 'the enqueue dropped two of the four');
    assert.equal(await store.events.trim(), 2);
    assert.deepEqual(await ids(store), [fresh.id]);
  });

  it('never touches the DLQ', async () => {
    const store = await stores.open(log(1));
    const j = job({ receivedAt: Date.now() - 1 });
    await store.enqueue(j, undefined);
    const [d] = await store.claim(1, 0);
    assert.ok(d);
    await store.deadLetter(d, 1, 'no', { startedAt: 1, durationMs: 1 });
    await enqueueMany(store, 3);
    await store.events.trim();
    assert.equal(await store.events.get(j.id), undefined);
    const dead = await store.deadLetters.list({ filter: {}, limit: 10 });
    assert.deepEqual(
      dead.entries.map((e) => e.jobId),
      [j.id],
    );
  });
});

describe('embedded event log: turned off (maxEvents 0)', () => {
  it('records nothing and finds nothing, and the history still counts', async () => {
    const store = await stores.open(log(0));
    assert.equal(store.events.enabled, false);
    const j = job();
    await store.enqueue(j, { key: 'k', ttlMs: 60_000 }, { handlers: true, destinations: ['crm'] });
    await store.enqueue(job(), { key: 'k', ttlMs: 60_000 });
    const [d] = await store.claim(1, 0);
    assert.ok(d);
    await store.complete([d], [{ startedAt: 1, durationMs: 1, status: 200 }]);
    assert.equal(await store.events.get(j.id), undefined);
    assert.deepEqual(await store.events.list({ filter: {}, limit: 10 }), {
      events: [],
      next: undefined,
    });
    assert.equal(await store.events.size(), 0);
    const rows = store.database.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    assert.equal(rows.n, 0);
    const [minute] = await store.history.read(0, Date.now() + 60_000);
    assert.equal(minute?.accepted, 1);
    assert.equal(minute?.duplicates, 1);
    assert.deepEqual(minute?.delivered, { handlers: 1 });
    assert.equal((await store.lane('crm').claim(1, 0)).length, 1, 'the queue works as ever');
  });
  it('trim() drops what an earlier run recorded, in steps; size() counts it until then', async () => {
    const file = join(scratch, `${randomUUID()}.sqlite`);
    const before = await stores.open(log(10_000), undefined, file);
    const j = job();
    await before.enqueue(j, undefined, { handlers: true, destinations: ['crm'] });
    const crm = before.lane('crm');
    const [d] = await crm.claim(1, 0);
    assert.ok(d);
    await crm.retryLater(d, 60_000, 'HTTP 500', { startedAt: 1, durationMs: 1, status: 500 });
    await enqueueMany(before, 2_499);
    await before.close();
    const store = await stores.open(log(0), undefined, file);
    assert.equal(await store.events.size(), 2_500, 'what is stored, though the log is off');
    assert.equal(await store.events.get(j.id), undefined, 'and not shown');
    let yielded = false;
    setImmediate(() => {
      yielded = true;
    });
    assert.equal(await store.events.trim(), 2_500);
    assert.ok(yielded, 'trim gave the event loop a turn between its steps');
    assert.equal(await store.events.size(), 0);
    for (const table of ['events', 'event_deliveries', 'event_attempts']) {
      const rows = store.database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as {
        n: number;
      };
      assert.equal(rows.n, 0, `${table} is empty`);
    }
    const indexed = store.database
      .prepare(`SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH '"der"'`)
      .get() as { n: number };
    assert.equal(indexed.n, 0, 'the payload index is empty');
    assert.equal(await store.events.trim(), 0);
  });

  it('trim() still drops the history past 24 hours', async () => {
    const time = new MovableTime();
    const store = await stores.open(log(0), time);
    const old = minuteOf(time.wallMs());
    await store.history.addRejected({ '4xx': 1 }, old);
    time.advance(HISTORY_RETENTION_MS + 120_000);
    await store.events.trim();
    assert.deepEqual(await store.history.read(old, old + 60_000), []);
  });
});

describe('embedded history', () => {
  it('counts each minute: accepted, duplicates, delivered, failed, dead-lettered', async () => {
    const time = new MovableTime();
    const store = await stores.open(undefined, time);
    const first = minuteOf(time.wallMs());
    await store.enqueue(
      job(),
      { key: 'a', ttlMs: 60_000 },
      { handlers: true, destinations: ['billing'] },
    );
    await store.enqueue(job(), { key: 'a', ttlMs: 60_000 });
    await store.enqueue(job(), undefined, { handlers: false, destinations: ['billing'] });
    time.advance(60_000);
    const billing = store.lane('billing');
    const [ok] = await billing.claim(1, 0);
    assert.ok(ok);
    await billing.complete([ok], [{ startedAt: 1, durationMs: 1, status: 200 }]);
    const [bad] = await billing.claim(1, 0);
    assert.ok(bad);
    await billing.retryLater(bad, 0, 'HTTP 500', { startedAt: 1, durationMs: 1, status: 500 });
    await billing.promoteDue(10);
    const [again] = await billing.claim(1, 0);
    assert.ok(again);
    await billing.deadLetter(again, 2, 'HTTP 500', { startedAt: 1, durationMs: 1, status: 500 });
    await store.claim(1, 0);
    await store.reclaimStale(0, 1);

    const minutes = await store.history.read(first, first + 120_000);
    assert.deepEqual(minutes, [
      {
        minute: first,
        accepted: 2,
        duplicates: 1,
        rejected: {},
        delivered: {},
        failed: {},
        deadLettered: 0,
      },
      {
        minute: first + 60_000,
        accepted: 0,
        duplicates: 0,
        rejected: {},
        delivered: { billing: 1 },
        failed: { billing: 2 },
        deadLettered: 2,
      },
    ]);
    assert.deepEqual(
      (await store.history.read(first + 60_000, first + 120_000)).map((m) => m.minute),
      [first + 60_000],
    );
    assert.deepEqual(await store.history.read(first - 120_000, first), []);
  });

  it('addRejected adds to the minute of `at`, by class, and ignores what is not a count', async () => {
    const store = await stores.open();
    const at = minuteOf(Date.now()) - 5 * 60_000;
    await store.history.addRejected({ '4xx': 3, '5xx': 1 }, at + 10);
    await store.history.addRejected({ '4xx': 2, '5xx': 0, bad: -1, nan: Number.NaN }, at + 59_999);
    await store.history.addRejected({ '4xx': 1 }, Number.NaN);
    const [m, ...rest] = await store.history.read(at, at + 60_000);
    assert.deepEqual(m?.rejected, { '4xx': 5, '5xx': 1 });
    assert.equal(m?.minute, at);
    assert.deepEqual(rest, []);
  });

  it('keeps 24 hours: trim() drops older minutes', async () => {
    const time = new MovableTime();
    const store = await stores.open(undefined, time);
    const old = minuteOf(time.wallMs());
    await store.enqueue(job(), undefined);
    await store.history.addRejected({ '4xx': 1 }, old);
    time.advance(HISTORY_RETENTION_MS - 120_000);
    await store.events.trim();
    assert.equal((await store.history.read(old, old + 60_000)).length, 1, 'not yet 24 h');
    time.advance(180_000);
    await store.events.trim();
    assert.deepEqual(await store.history.read(old, old + 60_000), []);
    assert.equal(await store.events.size(), 1, 'the event log keeps its own retention');
  });
});

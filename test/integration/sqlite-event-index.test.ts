/**
 * The embedded event log's payload index, written in the background: a search
 * finds an event as soon as its enqueue resolves, before the indexer reached
 * it and after; the mark moves in bounded batches, by the timer or a run; a
 * trim leaves no index rows behind, for events indexed or not; event keys never
 * repeat, so a new event is never taken for an indexed one.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { trigramQuery } from '../../src/store/sqlite/event-search.js';
import { BATCH_ROWS } from '../../src/store/sqlite/payload-index.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobRecord } from '../../src/store/store.js';
import { EventLogStores, job, MovableTime } from '../helpers/sqlite-events.js';
import { waitFor } from '../helpers/wait.js';

const stores = new EventLogStores();
after(() => stores.cleanup());

const HOUR = 3_600_000;
const LOG = { maxEvents: 100_000, retentionMs: HOUR, payloads: true };
/** A timer that never fires within a test: the test runs the indexer itself. */
const IDLE = { payloadIndexIntervalMs: 24 * HOUR };

const idle = (time = new MovableTime()) => stores.open(LOG, time, undefined, IDLE);

async function found(store: SqliteStore, q: string): Promise<string[]> {
  return (await store.events.list({ filter: { q }, limit: 100 })).events.map((e) => e.id);
}

/** Index rows whose payload holds every trigram of `payload`. */
function indexed(store: SqliteStore, payload: string): number {
  return (
    store.database
      .prepare('SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH ?')
      .get(trigramQuery(payload)) as { n: number }
  ).n;
}

function indexRows(store: SqliteStore): number {
  return (store.database.prepare('SELECT count(*) AS n FROM events_fts').get() as { n: number }).n;
}

function newestKey(store: SqliteStore): number {
  return (store.database.prepare('SELECT max(n) AS n FROM events').get() as { n: number }).n;
}

describe('embedded event log: the payload index, in the background', () => {
  it('a search finds an event at once after its enqueue, and after the indexer ran', async () => {
    const store = await idle();
    const j = job({ payload: '{"note":"needle-4711 in a haystack"}' });
    await store.enqueue(j, undefined);
    assert.equal(store.events.index.mark(), 0, 'not indexed yet');
    assert.equal(indexed(store, 'needle-4711'), 0);
    assert.deepEqual(await found(store, 'needle-4711'), [j.id]);
    assert.deepEqual(await found(store, 'needle-4712'), [], 'still exact');

    await store.events.index.run();
    assert.equal(store.events.index.mark(), newestKey(store), 'the mark moved past it');
    assert.ok(store.events.index.caughtUp());
    assert.equal(indexed(store, 'needle-4711'), 1);
    assert.deepEqual(await found(store, 'needle-4711'), [j.id]);
    assert.deepEqual(await found(store, 'needle-4712'), []);
  });

  it('pages across indexed and not yet indexed events, newest first', async () => {
    const store = await idle();
    const t = Date.now() - 60_000;
    const older = Array.from({ length: 3 }, (_, i) =>
      job({ receivedAt: t + i, payload: `{"tag":"paged","i":${i}}` }),
    );
    for (const j of older) await store.enqueue(j, undefined);
    await store.events.index.run();
    const newer = Array.from({ length: 3 }, (_, i) =>
      job({ receivedAt: t + 10 + i, payload: `{"tag":"paged","i":${10 + i}}` }),
    );
    for (const j of newer) await store.enqueue(j, undefined);
    assert.ok(!store.events.index.caughtUp());

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.events.list({
        filter: { q: '"paged"' },
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.events.map((e) => e.id));
      cursor = page.next;
    } while (cursor);
    assert.deepEqual(
      seen,
      [...older, ...newer].reverse().map((j) => j.id),
    );
  });

  it('the timer moves the mark by itself', async () => {
    const store = await stores.open(LOG, undefined, undefined, { payloadIndexIntervalMs: 20 });
    const j = job({ payload: '{"note":"timer-driven"}' });
    await store.enqueue(j, undefined);
    await waitFor(() => store.events.index.mark() >= newestKey(store), { what: 'the indexer' });
    assert.equal(indexed(store, 'timer-driven'), 1);
    assert.deepEqual(await found(store, 'timer-driven'), [j.id]);
  });

  it('in batches of at most BATCH_ROWS events, yielding to the event loop between them', async () => {
    const store = await idle();
    const n = 2 * BATCH_ROWS + BATCH_ROWS / 2;
    const jobs = Array.from({ length: n }, (_, i) => job({ payload: `{"batch":"b-${i}"}` }));
    await Promise.all(jobs.map((j) => store.enqueue(j, undefined)));
    const before = { ...store.events.index.stats };
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    await store.events.index.run();
    clearInterval(tick);
    const stats = store.events.index.stats;
    assert.equal(stats.rows - before.rows, n);
    assert.equal(stats.batches - before.batches, 3);
    assert.ok(turns > 0, 'the event loop had turns between batches');
    assert.equal(indexRows(store), n);
    assert.deepEqual(await found(store, `"b-${n - 1}"`), [jobs[n - 1]?.id]);
  });

  it('a trim of events not indexed yet, and of indexed ones, leaves no index rows', async () => {
    const time = new MovableTime();
    const store = await idle(time);
    const add = async (count: number, tag: string): Promise<JobRecord[]> => {
      const jobs = Array.from({ length: count }, (_, i) =>
        job({ receivedAt: time.wallMs(), payload: `{"trim":"${tag}-${i}"}` }),
      );
      for (const j of jobs) await store.enqueue(j, undefined);
      return jobs;
    };
    await add(5, 'indexed');
    await store.events.index.run();
    const mark = store.events.index.mark();
    await add(5, 'pending');
    assert.equal(indexRows(store), 5);

    time.advance(2 * HOUR);
    assert.equal(await store.events.trim(), 10);
    assert.equal(indexRows(store), 0, 'the indexed ones went with their events');
    await store.events.index.run();
    assert.equal(indexRows(store), 0, 'and the indexer found none of the others to index');
    assert.equal(store.events.index.mark(), mark, 'nothing was left to move the mark over');
    assert.deepEqual(await found(store, '"trim"'), []);

    const [later] = await add(1, 'later');
    assert.deepEqual(await found(store, 'later-0'), [later?.id]);
    await store.events.index.run();
    assert.equal(indexRows(store), 1);
    assert.deepEqual(await found(store, 'later-0'), [later?.id]);
  });

  it('a new event never reuses the key of an indexed one that was dropped', async () => {
    const time = new MovableTime();
    const store = await idle(time);
    await store.enqueue(job({ receivedAt: time.wallMs(), payload: '{"k":"first"}' }), undefined);
    // The newest key, but the oldest time: the retention drops it first.
    const old = job({ receivedAt: time.wallMs() - HOUR / 2, payload: '{"k":"old"}' });
    await store.enqueue(old, undefined);
    await store.events.index.run();
    const mark = store.events.index.mark();
    assert.equal(mark, newestKey(store));
    time.advance((3 * HOUR) / 4);
    assert.equal(await store.events.trim(), 1);
    assert.equal(await store.events.get(old.id), undefined);

    const fresh = job({ receivedAt: time.wallMs(), payload: '{"k":"fresh"}' });
    await store.enqueue(fresh, undefined);
    assert.ok(newestKey(store) > mark, 'above the mark, so searched without the index');
    assert.deepEqual(await found(store, 'fresh'), [fresh.id]);
  });

  it('with bodies off nothing is indexed', async () => {
    const store = await stores.open({ ...LOG, payloads: false }, undefined, undefined, {
      payloadIndexIntervalMs: 10,
    });
    await store.enqueue(job({ payload: '{"secret":"value"}' }), undefined);
    await store.events.index.run();
    assert.equal(indexRows(store), 0);
  });
});

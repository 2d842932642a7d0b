/**
 * Embedded store specifics the conformance suite cannot express: the clean-up
 * of expired idempotency keys, rows that are not job envelopes, and files of
 * older schema versions. The full disk has its own file (sqlite-disk-full.test.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { postWebhook } from '../helpers/http.js';
import { startedService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const root = mkdtempSync(join(tmpdir(), 'wp-sqlite-store-'));
const services: Service[] = [];
after(async () => {
  for (const s of services) await s.stop(2_000);
  rmSync(root, { recursive: true, force: true });
});

function sqliteConfig(dir: string, env: Record<string, string> = {}) {
  return loadConfig({
    STORE: 'sqlite',
    DATA_DIR: dir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    BACKLOG_SAMPLE_INTERVAL: '50ms',
    ...env,
  });
}

async function start(dir: string, env: Record<string, string>, processed?: Set<string>) {
  const service = await startedService(sqliteConfig(dir, env), {
    handlers: {
      'disk.test': async (job) => {
        processed?.add(job.id);
      },
    },
  });
  services.push(service);
  return service;
}

const send = (service: Service, padding: number) =>
  postWebhook(
    service.app,
    { id: randomUUID(), pad: 'x'.repeat(padding) },
    {
      'x-event-type': 'disk.test',
    },
  );

describe('embedded store: idempotency keys', () => {
  it('deletes expired keys, and keeps live ones', async () => {
    const dir = join(root, 'keys');
    const service = await start(dir, { WORKER_COUNT: '0', IDEMPOTENCY_TTL: '100ms' });
    const store = service.store as SqliteStore;
    for (let i = 0; i < 3; i++) assert.equal((await send(service, 10)).statusCode, 202);
    const keys = () =>
      (store.database.prepare('SELECT count(*) AS n FROM dedupe').get() as { n: number }).n;
    assert.equal(keys(), 3);
    let purged = 0;
    await waitFor(
      async () => {
        purged += await store.purgeExpiredKeys();
        return purged === 3;
      },
      { what: 'keys to expire' },
    );
    assert.equal(keys(), 0);
    const live = await store.enqueue(
      {
        id: randomUUID(),
        type: 'disk.test',
        source: 'default',
        payload: '{}',
        receivedAt: Date.now(),
      },
      { key: 'live', ttlMs: 60_000 },
    );
    assert.equal(await store.purgeExpiredKeys(), 0);
    assert.equal(keys(), 1);
    assert.deepEqual(
      await store.enqueue(
        { id: randomUUID(), type: 'disk.test', source: 'default', payload: '{}', receivedAt: 0 },
        { key: 'live', ttlMs: 60_000 },
      ),
      { id: live.id, duplicate: true },
    );
  });
});

describe('embedded store: a row that is not a job envelope', () => {
  it('goes to the dead-letter queue instead of to a worker', async () => {
    const dir = join(root, 'malformed');
    const store = new SqliteStore({
      file: join(dir, 'queue.sqlite'),
      consumer: 'malformed-test',
      log: pino({ level: 'silent' }),
      commitWindowMs: 2,
    });
    await store.init();
    try {
      store.database
        .prepare("INSERT INTO jobs (job_id, job, state, run_at) VALUES (?, 'null', 'waiting', 0)")
        .run(randomUUID());
      assert.deepEqual(await store.claim(10, 50), []);
      const [dead] = await store.peekDead(10);
      assert.equal(dead?.lastError, 'malformed job row');
      assert.equal((await store.stats()).waiting, 0);
    } finally {
      await store.close();
    }
  });
});

/** A v4 file less what version 4 added: the event log and the history. */
const WITHOUT_EVENT_LOG = `
  DROP TABLE events_fts;
  DROP TABLE events_indexed;
  DROP TABLE events;
  DROP TABLE event_deliveries;
  DROP TABLE event_attempts;
  DROP TABLE history_minutes;
  DELETE FROM counts WHERE name = 'events';
`;

/**
 * A current file turned back into a v4 one: deliveries indexed by target,
 * attempts keyed by one number for the whole log, and the triggers of then.
 */
/** Version 4's fold of an event's state from its deliveries', as its triggers wrote it. */
const V4_FOLD = `(SELECT CASE WHEN count(*) = 0 THEN 'queued'
      WHEN sum(state = 'dead') > 0 THEN 'dead' WHEN sum(state = 'retrying') > 0 THEN 'retrying'
      WHEN sum(state = 'delivering') > 0 THEN 'delivering' WHEN sum(state = 'queued') > 0 THEN 'queued'
      ELSE 'delivered' END FROM event_deliveries WHERE event = NEW.event)`;

const BACK_TO_V4 = `
  DROP TRIGGER events_out;
  DROP TRIGGER event_delivery_added;
  DROP TRIGGER event_delivery_moved;
  ALTER TABLE event_attempts RENAME TO attempts_v5;
  CREATE TABLE event_attempts (
    a INTEGER PRIMARY KEY, event INTEGER NOT NULL, target TEXT NOT NULL, at INTEGER NOT NULL,
    outcome TEXT NOT NULL, status INTEGER, duration_ms INTEGER, error TEXT
  );
  CREATE INDEX event_attempts_by_delivery ON event_attempts (event, target, a);
  INSERT INTO event_attempts (event, target, at, outcome, status, duration_ms, error)
    SELECT event, target, at, outcome, status, duration_ms, error FROM attempts_v5 ORDER BY a, event;
  DROP TABLE attempts_v5;
  ALTER TABLE event_deliveries DROP COLUMN attempts;
  CREATE INDEX event_deliveries_by_target ON event_deliveries (target, event);
  CREATE TRIGGER events_out AFTER DELETE ON events BEGIN
    UPDATE counts SET n = n - 1 WHERE name = 'events';
    DELETE FROM event_deliveries WHERE event = OLD.n;
    DELETE FROM event_attempts WHERE event = OLD.n;
  END;
  CREATE TRIGGER event_delivery_added AFTER INSERT ON event_deliveries BEGIN
    UPDATE events SET state = ${V4_FOLD}
    WHERE n = NEW.event AND state <> 'duplicate';
  END;
  CREATE TRIGGER event_delivery_moved AFTER UPDATE OF state ON event_deliveries
    WHEN OLD.state <> NEW.state BEGIN
    UPDATE events SET state = ${V4_FOLD}
    WHERE n = NEW.event AND state <> 'duplicate';
  END;
  PRAGMA user_version = 4;
`;

describe('embedded store: a file of schema version 4', () => {
  it('keeps its events, their deliveries and attempts, and records on after them', async () => {
    const file = join(root, 'v4', 'queue.sqlite');
    const open = () => {
      const s = new SqliteStore({
        file,
        consumer: 'v4',
        log: pino({ level: 'silent' }),
        commitWindowMs: 2,
      });
      s.lane('billing');
      return s;
    };
    const job = (n: number) => ({
      id: randomUUID(),
      type: 't',
      source: 'default',
      payload: `{"order":"v4-${n}"}`,
      receivedAt: Date.now(),
    });
    const retried = job(1);
    const delivered = job(2);
    const both = { handlers: true, destinations: ['billing'] };
    let store = open();
    await store.init();
    await store.enqueue(retried, undefined, both);
    await store.enqueue(delivered, undefined);
    const billing = store.lane('billing');
    for (let i = 1; i <= 2; i++) {
      const [d] = await billing.claim(1, 0);
      assert.ok(d);
      await billing.retryLater(d, 0, `#${i}`, { startedAt: i, durationMs: 1, status: 503 });
      await billing.promoteDue(10);
    }
    for (const queue of [store, billing]) {
      for (const d of await queue.claim(10, 0)) {
        if (d.job.id === delivered.id) await queue.complete([d], [{ startedAt: 9, durationMs: 1 }]);
        else await queue.release([d]);
      }
    }
    const before = [await store.events.get(retried.id), await store.events.get(delivered.id)];
    assert.equal(before[0]?.deliveries[1]?.attempts.length, 2);
    assert.equal(before[1]?.state, 'delivered');
    store.database.exec(BACK_TO_V4);
    await store.close();

    store = open();
    await store.init();
    try {
      assert.equal(store.database.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.deepEqual(
        [await store.events.get(retried.id), await store.events.get(delivered.id)],
        before,
        'the events are kept as they were',
      );
      const [d] = await store.lane('billing').claim(1, 0);
      assert.equal(d?.job.id, retried.id);
      assert.ok(d);
      await store.lane('billing').complete([d], [{ startedAt: 3, durationMs: 1 }]);
      const [h] = await store.claim(1, 0);
      assert.ok(h);
      await store.complete([h], [{ startedAt: 4, durationMs: 1 }]);
      const after = await store.events.get(retried.id);
      assert.equal(after?.state, 'delivered');
      assert.deepEqual(
        after?.deliveries.map((x) => x.attempts.map((a) => a.at)),
        [[4], [1, 2, 3]],
        'new attempts follow the ones kept',
      );
      const found = await store.events.list({ filter: { q: 'v4-2' }, limit: 10 });
      assert.deepEqual(
        found.events.map((e) => e.id),
        [delivered.id],
      );
      const routed = await store.events.list({ filter: { destination: 'billing' }, limit: 10 });
      assert.deepEqual(
        routed.events.map((e) => e.id),
        [retried.id],
      );
      const indexes = store.database
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'event%'")
        .all() as { name: string }[];
      assert.ok(!indexes.some((i) => i.name === 'event_deliveries_by_target'));
      const merge = store.database
        .prepare("SELECT v FROM events_fts_config WHERE k = 'automerge'")
        .get() as { v: number } | undefined;
      assert.equal(merge?.v, 16);
    } finally {
      await store.close();
    }
  });
});

describe('embedded store: a file of schema version 3', () => {
  it('gains the event log and the history at start-up, and keeps its jobs', async () => {
    const file = join(root, 'v3', 'queue.sqlite');
    const open = () =>
      new SqliteStore({ file, consumer: 'v3', log: pino({ level: 'silent' }), commitWindowMs: 2 });
    const id = randomUUID();
    let store = open();
    await store.init();
    await store.enqueue(
      { id, type: 't', source: 'default', payload: '{}', receivedAt: Date.now() },
      undefined,
    );
    store.database.exec(`${WITHOUT_EVENT_LOG} PRAGMA user_version = 3;`);
    await store.close();

    store = open();
    await store.init();
    try {
      assert.equal(store.database.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(await store.events.size(), 0, 'events before the upgrade were not recorded');
      const [d] = await store.claim(1, 50);
      assert.equal(d?.job.id, id, 'the job written before the upgrade is there');
      assert.ok(d);
      await store.complete([d]);
      assert.equal(await store.events.get(id), undefined, 'its outcome creates no record');
      const later = randomUUID();
      await store.enqueue(
        {
          id: later,
          type: 't',
          source: 'default',
          payload: '{"n":"upgraded"}',
          receivedAt: Date.now(),
        },
        undefined,
      );
      assert.equal((await store.events.get(later))?.state, 'queued');
      const found = await store.events.list({ filter: { q: 'upgraded' }, limit: 10 });
      assert.deepEqual(
        found.events.map((e) => e.id),
        [later],
        'the payload index works on the upgraded file',
      );
      const [minute] = await store.history.read(0, Date.now() + 60_000);
      assert.equal(minute?.accepted, 1);
      assert.deepEqual(minute?.delivered, { handlers: 1 });
    } finally {
      await store.close();
    }
  });
});

describe('embedded store: a file of schema version 1', () => {
  it('gains the hand-back count and the lanes at start-up, and keeps its jobs', async () => {
    const file = join(root, 'v1', 'queue.sqlite');
    const open = () =>
      new SqliteStore({ file, consumer: 'v1', log: pino({ level: 'silent' }), commitWindowMs: 2 });
    const id = randomUUID();
    let store = open();
    await store.init();
    await store.enqueue(
      { id, type: 't', source: 'default', payload: '{}', receivedAt: Date.now() },
      undefined,
    );
    // What a file written by schema version 1 holds: no hand-back count, no lanes.
    store.database.exec(`
      ${WITHOUT_EVENT_LOG}
      DROP INDEX jobs_by_lane;
      DROP INDEX dead_letters_by_destination;
      ALTER TABLE jobs DROP COLUMN handbacks;
      ALTER TABLE jobs DROP COLUMN lane;
      ALTER TABLE dead_letters DROP COLUMN destination;
      DROP TABLE destinations;
      DROP TABLE destination_minutes;
      PRAGMA user_version = 1;
    `);
    await store.close();

    store = open();
    await store.init();
    try {
      assert.equal(store.database.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const [d] = await store.claim(1, 50);
      assert.equal(d?.job.id, id, 'the job written before the upgrade is there');
      assert.ok(d);
      const interrupted = { maxAttempts: 5, error: 'interrupted' };
      await store.release([d], interrupted);
      const [again] = await store.claim(1, 50);
      assert.ok(again);
      await store.release([again], interrupted);
      assert.equal((await store.claim(1, 50))[0]?.attempt, 2, 'hand-backs are counted');
      const lane = store.lane('billing');
      await store.enqueue(
        { id: randomUUID(), type: 't', source: 'default', payload: '{}', receivedAt: Date.now() },
        undefined,
        { handlers: false, destinations: ['billing'] },
      );
      assert.equal(
        (await lane.claim(1, 50)).length,
        1,
        'a delivery queue works on the upgraded file',
      );
    } finally {
      await store.close();
    }
  });
});

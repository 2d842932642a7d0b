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

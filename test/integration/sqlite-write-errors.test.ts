/**
 * The embedded store when a write fails for a reason other than space: the
 * failure stays in its own step and draining goes on. The failures are real
 * SQLite errors, raised by temporary triggers on a real file.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';
import { job } from '../conformance/jobs.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/wait.js';

const root = mkdtempSync(join(tmpdir(), 'wp-sqlite-write-errors-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function openStore(name: string, extra: Partial<SqliteStoreOptions> = {}) {
  const logs = captureLogs('info');
  const store = new SqliteStore({
    file: join(root, `${name}.sqlite`),
    consumer: name,
    log: logs.log,
    commitWindowMs: 0,
    ...extra,
  });
  await store.init();
  return { store, logs };
}

/** Makes every `event` (INSERT, DELETE…) on `table` fail, as a broken write would. */
function refuse(store: SqliteStore, event: string, table: string): void {
  store.database.exec(
    `CREATE TEMP TRIGGER refuse_${table} BEFORE ${event} ON main.${table}
     BEGIN SELECT RAISE(ABORT, 'write refused'); END`,
  );
}

describe('embedded store: a dead-letter write that fails during a claim', () => {
  it('still hands out the other jobs the claim took', async () => {
    const { store, logs } = await openStore('malformed');
    try {
      store.database
        .prepare("INSERT INTO jobs (job_id, job, state, run_at) VALUES (?, 'null', 'waiting', 0)")
        .run(randomUUID());
      const good = job();
      await store.enqueue(good, undefined);
      refuse(store, 'INSERT', 'dead_letters');

      const got = await store.claim(10, 50);
      assert.deepEqual(
        got.map((d) => d.job.id),
        [good.id],
      );
      assert.ok(logs.text().includes('could not dead-letter a malformed job row'));
    } finally {
      await store.close();
    }
  });
});

describe('embedded store: the background deletion of expired idempotency keys fails', () => {
  it('logs it, raises nothing, and deletes them once writes work again', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const { store, logs } = await openStore('purge', { keyPurgeIntervalMs: 20 });
    try {
      refuse(store, 'DELETE', 'dedupe');
      await store.enqueue(job(), { key: 'k', ttlMs: 1 });
      await waitFor(() => logs.text().includes('could not delete expired idempotency keys'), {
        what: 'the failed purge to be logged',
      });
      store.database.exec('DROP TRIGGER temp.refuse_dedupe');
      const keys = () =>
        (store.database.prepare('SELECT count(*) AS n FROM dedupe').get() as { n: number }).n;
      await waitFor(() => keys() === 0, { what: 'the key to be deleted' });
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await store.close();
    }
  });
});

describe('embedded store: a payload index write that fails', () => {
  it('is rolled back whole, logged once, and tried again by the next run', async () => {
    const { store, logs } = await openStore('index', { payloadIndexIntervalMs: 24 * 3_600_000 });
    try {
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, undefined);
      refuse(store, 'UPDATE', 'events_indexed');
      await store.events.index.run();
      await store.events.index.run();
      assert.equal(store.events.index.mark(), 0);
      const rows = () =>
        (store.database.prepare('SELECT count(*) AS n FROM events_fts').get() as { n: number }).n;
      assert.equal(rows(), 0, 'the index rows went with the mark');
      assert.equal(logs.text().split('could not index event payloads').length - 1, 1);
      const found = await store.events.list({ filter: { q: jobs[1]?.payload ?? '' }, limit: 5 });
      assert.deepEqual(
        found.events.map((e) => e.id),
        [jobs[1]?.id],
      );

      store.database.exec('DROP TRIGGER temp.refuse_events_indexed');
      await store.events.index.run();
      assert.ok(store.events.index.caughtUp());
      assert.equal(rows(), jobs.length, 'each event indexed once');
      assert.ok(logs.text().includes('the event log indexes payloads again'));
    } finally {
      await store.close();
    }
  });
});

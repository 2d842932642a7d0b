/**
 * The Redis scripts write and remove a call's event records together (one
 * command per key for all of them): a batch whose keys JSON must escape is
 * trimmed without leaving a key indexed, an event enqueued again under its id
 * keeps one record, and two copies of one job completed together record both
 * attempts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventLogOptions } from '../../src/store/event-log.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { claimN, job, TTL } from '../conformance/jobs.js';
import { LOG_ON, redisStores } from '../helpers/redis-stores.js';

const { redis, open } = redisStores();
const openStore = (eventLog: EventLogOptions = LOG_ON, queue?: string) => open({ eventLog, queue });

/** How many entries each of the log's keys holds. */
async function logSizes(store: RedisStore) {
  const ev = store.keys.events;
  return {
    index: await redis.zcard(ev.index),
    byKey: await redis.zcard(ev.byKey),
    summary: await redis.hlen(ev.summary),
    body: await redis.hlen(ev.body),
    attempts: await redis.hlen(ev.attempts),
  };
}

describe('Redis event log: records written and removed together', () => {
  it('a batch whose keys JSON escapes is found by key, then trimmed whole', async () => {
    const store = await openStore();
    const keys = ['plain', 'quote"d', 'back\\slash', 'uni é😀', 'ctl\u0001', 'dup'];
    const jobs = [
      ...keys.map((k) => job({ idempotencyKey: k })),
      job({ idempotencyKey: 'dup' }),
      job(),
    ];
    const results = await Promise.all(
      jobs.map((j) =>
        store.enqueue(
          j,
          j.idempotencyKey === undefined ? undefined : { key: j.idempotencyKey, ttlMs: TTL },
        ),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.duplicate),
      [false, false, false, false, false, false, true, false],
    );
    for (const k of keys) {
      const page = await store.events.list({ filter: { key: k }, limit: 10 });
      const want = jobs.filter((j) => j.idempotencyKey === k).map((j) => j.id);
      assert.deepEqual(page.events.map((e) => e.id).sort(), want.sort(), k);
    }
    const [done] = await claimN(store, 1);
    assert.ok(done);
    await store.complete([done]);
    assert.equal((await logSizes(store)).attempts, 1);

    const off = await openStore({ ...LOG_ON, maxEvents: 0 }, store.keys.stream);
    assert.equal(await off.events.trim(), jobs.length);
    assert.deepEqual(await logSizes(store), {
      index: 0,
      byKey: 0,
      summary: 0,
      body: 0,
      attempts: 0,
    });
  });

  it('an enqueue trims the oldest of a full log, their keys with them', async () => {
    const store = await openStore({ ...LOG_ON, maxEvents: 5 });
    const jobs = Array.from({ length: 12 }, (_, i) =>
      job({ idempotencyKey: `k"${i}`, receivedAt: Date.now() - 1_000 + i }),
    );
    for (let i = 0; i < jobs.length; i += 4) {
      await Promise.all(jobs.slice(i, i + 4).map((j) => store.enqueue(j, undefined)));
    }
    const sizes = await logSizes(store);
    assert.deepEqual(
      { ...sizes, attempts: 0 },
      {
        index: 5,
        byKey: 5,
        summary: 5,
        body: 5,
        attempts: 0,
      },
    );
    const kept = (await store.events.list({ filter: {}, limit: 10 })).events.map((e) => e.id);
    assert.deepEqual(
      kept,
      jobs
        .slice(-5)
        .map((j) => j.id)
        .reverse(),
      'the newest five',
    );
  });

  it('an event enqueued again under its id keeps one record, alone or in one batch', async () => {
    const store = await openStore();
    const once = job({ idempotencyKey: 'again' });
    await store.enqueue(once, undefined);
    await store.enqueue({ ...once, receivedAt: once.receivedAt + 5 }, undefined);
    const twice = job({ idempotencyKey: 'twice' });
    await Promise.all([
      store.enqueue(twice, undefined),
      store.enqueue({ ...twice, receivedAt: twice.receivedAt + 5 }, undefined),
    ]);
    assert.deepEqual(
      { ...(await logSizes(store)), attempts: 0 },
      { index: 2, byKey: 2, summary: 2, body: 2, attempts: 0 },
    );
    for (const j of [once, twice]) {
      const record = await store.events.get(j.id);
      assert.equal(record?.receivedAt, j.receivedAt + 5);
      const page = await store.events.list({ filter: { key: j.idempotencyKey }, limit: 10 });
      assert.deepEqual(
        page.events.map((e) => e.id),
        [j.id],
      );
    }
  });

  it('two copies of one job claimed and completed together record both attempts', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined);
    const entries = (await redis.xrange(store.keys.stream, '-', '+')) as [string, string[]][];
    const fields = entries[0]?.[1] ?? [];
    await redis.xadd(store.keys.stream, '*', ...fields);
    const copies = await claimN(store, 2);
    assert.deepEqual(
      copies.map((d) => d.job.id),
      [j.id, j.id],
    );
    await store.complete(
      copies,
      copies.map((_, i) => ({ startedAt: 1_000 + i, durationMs: i })),
    );
    const record = await store.events.get(j.id);
    assert.equal(record?.state, 'delivered');
    assert.deepEqual(
      record?.deliveries[0]?.attempts.map((a) => [a.at, a.outcome]),
      [
        [1_000, 'delivered'],
        [1_001, 'delivered'],
      ],
    );
  });
});

/**
 * The Redis store's event log and throughput history: what each step records,
 * retention (on enqueue and by trim), payloads off, the log off, the history's
 * minutes, and outcomes of events the log no longer holds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type EventLogOptions,
  type EventRecord,
  MAX_RECORDED_ATTEMPTS,
  type MinuteCounts,
  minuteOf,
} from '../../src/store/event-log.js';
import { REDIS_EVENT_LOG_MAX_DEFAULT } from '../../src/store/redis/event-log.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import type { EnqueueTargets, JobRecord } from '../../src/store/store.js';
import { claimN, claimOne, job } from '../conformance/jobs.js';
import { LOG_ON, redisStores } from '../helpers/redis-stores.js';
import { testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const BOTH: EnqueueTargets = { handlers: true, destinations: ['hooks'] };

const { redis, open } = redisStores();
const openStore = (
  eventLog: EventLogOptions | undefined = LOG_ON,
  queue?: string,
  consumer?: string,
) => open({ eventLog, queue, ...(consumer ? { consumer } : {}), lanes: ['hooks'] });

async function record(store: RedisStore, id: string): Promise<EventRecord> {
  const r = await store.events.get(id);
  assert.ok(r, `event ${id} is in the log`);
  return r;
}

/** The history of the last hour summed over its minutes. */
async function lastHour(store: RedisStore): Promise<MinuteCounts> {
  const now = Date.now();
  const sum: MinuteCounts = {
    minute: 0,
    accepted: 0,
    duplicates: 0,
    rejected: {},
    delivered: {},
    failed: {},
    deadLettered: 0,
  };
  for (const m of await store.history.read(now - 3_600_000, now + 120_000)) {
    sum.accepted += m.accepted;
    sum.duplicates += m.duplicates;
    sum.deadLettered += m.deadLettered;
    for (const k of ['rejected', 'delivered', 'failed'] as const) {
      for (const [name, n] of Object.entries(m[k])) sum[k][name] = (sum[k][name] ?? 0) + n;
    }
  }
  return sum;
}

const withKey = (key: string, overrides: Partial<JobRecord> = {}) =>
  job({ idempotencyKey: key, ...overrides });
const dedupe = (key: string) => ({ key: `k:${key}`, ttlMs: 60_000 });

describe('Redis event log: recording', () => {
  it('records an enqueued event with its fields and one queued delivery per target', async () => {
    const store = await openStore();
    const j = withKey('evt-1', {
      headers: { 'user-agent': 'test' },
      contentType: 'application/json',
    });
    const result = await store.enqueue(j, dedupe('evt-1'), BOTH);
    assert.deepEqual(result, { id: j.id, duplicate: false });
    assert.deepEqual(await record(store, j.id), {
      id: j.id,
      source: j.source,
      type: j.type,
      state: 'queued',
      receivedAt: j.receivedAt,
      idempotencyKey: 'evt-1',
      contentType: 'application/json',
      payloadKept: true,
      payload: j.payload,
      headers: { 'user-agent': 'test' },
      deliveries: [
        { target: 'handlers', state: 'queued', attempts: [] },
        { target: 'hooks', state: 'queued', attempts: [] },
      ],
    });
    assert.equal(await store.events.size(), 1);
    assert.equal((await lastHour(store)).accepted, 1);
  });

  it('records a duplicate under its own id, pointing at the original', async () => {
    const store = await openStore();
    const original = withKey('dup');
    const again = withKey('dup');
    await store.enqueue(original, dedupe('dup'));
    const result = await store.enqueue(again, dedupe('dup'));
    assert.deepEqual(result, { id: original.id, duplicate: true });
    const dup = await record(store, again.id);
    assert.equal(dup.state, 'duplicate');
    assert.equal(dup.duplicateOf, original.id);
    assert.deepEqual(dup.deliveries, []);
    assert.equal(dup.payload, again.payload);
    assert.equal(dup.idempotencyKey, 'dup');
    assert.equal((await record(store, original.id)).state, 'queued');
    const counts = await lastHour(store);
    assert.equal(counts.accepted, 1);
    assert.equal(counts.duplicates, 1);
  });

  it('follows a delivery through claim, retry, claim again and completion', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined);
    const first = await claimOne(store);
    await waitFor(async () => (await record(store, j.id)).state === 'delivering', {
      what: 'the claim recorded',
    });
    const failedAt = Date.now() - 50;
    assert.equal(
      await store.retryLater(first, 0, 'HTTP 503', {
        startedAt: failedAt,
        durationMs: 12,
        status: 503,
      }),
      true,
    );
    let r = await record(store, j.id);
    assert.equal(r.state, 'retrying');
    assert.deepEqual(r.deliveries[0]?.attempts, [
      { at: failedAt, outcome: 'failed', durationMs: 12, status: 503, error: 'HTTP 503' },
    ]);
    assert.equal(await store.promoteDue(10), 1);
    const second = await claimOne(store);
    await waitFor(async () => (await record(store, j.id)).state === 'delivering', {
      what: 'the second claim recorded',
    });
    const doneAt = Date.now();
    await store.complete([second], [{ startedAt: doneAt, durationMs: 7, status: 200 }]);
    r = await record(store, j.id);
    assert.equal(r.state, 'delivered');
    assert.equal(r.deliveries[0]?.state, 'delivered');
    assert.deepEqual(r.deliveries[0]?.attempts[1], {
      at: doneAt,
      outcome: 'delivered',
      durationMs: 7,
      status: 200,
    });
    assert.equal(r.receivedAt, j.receivedAt, 'the received time is kept');
    const counts = await lastHour(store);
    assert.deepEqual(counts.delivered, { handlers: 1 });
    assert.deepEqual(counts.failed, { handlers: 1 });
  });

  it('records each target on its own, and the event state is the one that needs an operator', async () => {
    const store = await openStore();
    const hooks = store.lane('hooks');
    const j = job();
    await store.enqueue(j, undefined, BOTH);
    const h = await claimOne(store);
    const d = await claimOne(hooks);
    await store.complete([h]);
    await waitFor(async () => (await record(store, j.id)).state === 'delivering');
    assert.equal(await hooks.deadLetter(d, 3, 'gave up', { startedAt: 1, durationMs: 2 }), true);
    const r = await record(store, j.id);
    assert.equal(r.state, 'dead');
    assert.deepEqual(
      r.deliveries.map((x) => [x.target, x.state, x.attempts.map((a) => a.outcome)]),
      [
        ['handlers', 'delivered', ['delivered']],
        ['hooks', 'dead', ['failed']],
      ],
    );
    const counts = await lastHour(store);
    assert.deepEqual(counts.delivered, { handlers: 1 });
    assert.deepEqual(counts.failed, { hooks: 1 });
    assert.equal(counts.deadLettered, 1);

    const [entry] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
    assert.ok(entry);
    assert.equal(await store.deadLetters.replay([entry.dlqId]), 1);
    const replayed = await record(store, j.id);
    assert.equal(replayed.state, 'queued');
    assert.equal(replayed.deliveries[1]?.state, 'queued');
    assert.equal(replayed.deliveries[1]?.attempts.length, 1, 'the attempts are kept');
    assert.equal((await lastHour(store)).accepted, 1, 'a DLQ replay is not an acceptance');
  });

  it('a dead letter with no attempt run records none and counts no failure', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined);
    assert.equal(await store.deadLetter(await claimOne(store), 1, 'poison'), true);
    const r = await record(store, j.id);
    assert.equal(r.state, 'dead');
    assert.deepEqual(r.deliveries[0]?.attempts, []);
    const counts = await lastHour(store);
    assert.deepEqual(counts.failed, {});
    assert.equal(counts.deadLettered, 1);
  });

  it('a reclaim records the lost run, and dead-letters a job with no attempts left', async () => {
    const queue = testConfig().queueName;
    const a = await openStore(LOG_ON, queue, 'a');
    const b = await openStore(LOG_ON, queue, 'b');
    const j = job();
    await a.enqueue(j, undefined);
    await claimOne(a);
    assert.equal((await b.reclaimStale(0, 5)).requeued, 1);
    let r = await record(b, j.id);
    assert.equal(r.state, 'retrying');
    const [lost] = r.deliveries[0]?.attempts ?? [];
    assert.equal(lost?.outcome, 'lost');
    assert.match(lost?.error ?? '', /worker lost/);
    assert.ok(Math.abs((lost?.at ?? 0) - Date.now()) < 60_000, 'found lost now');

    await claimOne(a);
    assert.equal((await b.reclaimStale(0, 2)).deadLettered, 1);
    r = await record(b, j.id);
    assert.equal(r.state, 'dead');
    assert.deepEqual(
      r.deliveries[0]?.attempts.map((x) => x.outcome),
      ['lost', 'lost'],
    );
    assert.equal((await lastHour(b)).deadLettered, 1);
  });

  it('a hand-back that did not count goes back to queued, one that counted is a lost attempt', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined);
    const started = { maxAttempts: 5, error: 'handed back at shutdown' };
    assert.deepEqual(await store.release([await claimOne(store)]), {
      released: 1,
      deadLettered: 0,
    });
    assert.equal((await record(store, j.id)).state, 'queued');
    await store.release([await claimOne(store)], started);
    let r = await record(store, j.id);
    assert.equal(r.state, 'queued', 'the first hand-back of a run is free');
    assert.deepEqual(r.deliveries[0]?.attempts, []);
    await store.release([await claimOne(store)], started);
    r = await record(store, j.id);
    assert.equal(r.state, 'retrying');
    assert.equal(r.deliveries[0]?.attempts[0]?.outcome, 'lost');
    assert.equal(r.deliveries[0]?.attempts[0]?.error, 'handed back at shutdown');
    const dead = await store.release([await claimOne(store)], { ...started, maxAttempts: 2 });
    assert.deepEqual(dead, { released: 0, deadLettered: 1 });
    r = await record(store, j.id);
    assert.equal(r.state, 'dead');
    assert.deepEqual(
      r.deliveries[0]?.attempts.map((a) => a.outcome),
      ['lost', 'lost'],
      'the counted hand-back that dead-letters is a lost attempt too',
    );
    assert.equal((await lastHour(store)).deadLettered, 1);
  });

  it('retiring a destination records its deliveries dead', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined, { handlers: false, destinations: ['hooks'] });
    const retired = await store.retireLane('hooks', 0, 'destination removed');
    assert.equal(retired.deadLettered, 1);
    const r = await record(store, j.id);
    assert.deepEqual(
      r.deliveries.map((d) => [d.target, d.state]),
      [['hooks', 'dead']],
    );
    assert.equal((await lastHour(store)).deadLettered, 1);
  });

  it('a malformed stream entry is dead-lettered and counted', async () => {
    const store = await openStore();
    await redis.xadd(store.keys.stream, '*', 'job', 'not json', 'attempt', '0');
    await waitFor(
      async () => (await store.claim(10, 50)).length === 0 && (await store.stats()).dead === 1,
      {
        what: 'the malformed entry dead-lettered',
      },
    );
    assert.equal((await lastHour(store)).deadLettered, 1);
  });

  it('keeps the latest attempts of a delivery, each error cut to 2 KiB', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined);
    const long = `${'é'.repeat(1_500)}end`;
    for (let i = 0; i < MAX_RECORDED_ATTEMPTS + 3; i++) {
      const d = await claimOne(store);
      assert.equal(
        await store.retryLater(d, 0, `${i}:${long}`, { startedAt: i, durationMs: 1 }),
        true,
      );
      await store.promoteDue(10);
    }
    const attempts = (await record(store, j.id)).deliveries[0]?.attempts ?? [];
    assert.equal(attempts.length, MAX_RECORDED_ATTEMPTS);
    assert.deepEqual(
      attempts.map((a) => a.at),
      Array.from({ length: MAX_RECORDED_ATTEMPTS }, (_, i) => i + 3),
      'the oldest were dropped',
    );
    const error = attempts[0]?.error ?? '';
    assert.ok(Buffer.byteLength(error) <= 2048 && Buffer.byteLength(error) > 2040);
    assert.ok(error.startsWith('3:é') && !error.includes('\uFFFD'), 'cut between characters');
  });

  it('a replay keeps the record, queues the named targets again and is not counted', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined);
    await store.complete([await claimOne(store)]);
    await store.enqueue(j, undefined, { handlers: true, destinations: ['hooks'], replay: true });
    const r = await record(store, j.id);
    assert.equal(r.state, 'queued');
    assert.equal(r.receivedAt, j.receivedAt);
    assert.deepEqual(
      r.deliveries.map((d) => [d.target, d.state, d.attempts.length]),
      [
        ['handlers', 'queued', 1],
        ['hooks', 'queued', 0],
      ],
    );
    assert.equal(await store.events.size(), 1);
    assert.equal((await lastHour(store)).accepted, 1);
  });

  it('a replay of an event no longer in the log records it anew', async () => {
    const queue = testConfig().queueName;
    const strict = await openStore({ ...LOG_ON, maxEvents: 1 }, queue);
    const j = job({ receivedAt: Date.now() - 1_000 });
    await strict.enqueue(j, undefined);
    await strict.enqueue(job(), undefined);
    assert.equal(await strict.events.get(j.id), undefined, 'trimmed');
    const store = await openStore(LOG_ON, queue);
    await store.enqueue(j, undefined, { handlers: true, destinations: [], replay: true });
    const r = await record(store, j.id);
    assert.equal(r.state, 'queued');
    assert.equal(r.receivedAt, j.receivedAt);
  });
});

describe('Redis event log: retention', () => {
  it('an enqueue trims the oldest beyond the count, in the same step', async () => {
    const store = await openStore({ ...LOG_ON, maxEvents: 3 });
    const now = Date.now();
    const jobs = Array.from({ length: 6 }, (_, i) => job({ receivedAt: now - 100 + i }));
    for (const j of jobs) await store.enqueue(j, undefined);
    assert.equal(await store.events.size(), 3);
    const kept = (await store.events.list({ filter: {}, limit: 10 })).events.map((e) => e.id);
    assert.deepEqual(
      kept,
      jobs
        .slice(3)
        .reverse()
        .map((j) => j.id),
    );
    assert.equal(await store.events.get(jobs[0]?.id as string), undefined);
  });

  it('an enqueue drops events older than the retention', async () => {
    const store = await openStore({ ...LOG_ON, retentionMs: 60_000 });
    const old = job({ receivedAt: Date.now() - 120_000 });
    const fresh = job();
    await store.enqueue(old, undefined);
    await store.enqueue(fresh, undefined);
    assert.equal(await store.events.get(old.id), undefined);
    assert.ok(await store.events.get(fresh.id));
  });

  it('trim() drops the rest beyond either bound, and returns how many', async () => {
    const queue = testConfig().queueName;
    const loose = await openStore({ ...LOG_ON, retentionMs: 72 * 3_600_000 }, queue);
    const now = Date.now();
    const old = Array.from({ length: 4 }, (_, i) => job({ receivedAt: now - 7_200_000 + i }));
    const recent = Array.from({ length: 8 }, (_, i) => job({ receivedAt: now - 8_000 + i }));
    for (const j of [...old, ...recent]) await loose.enqueue(j, undefined, BOTH);
    const hooks = loose.lane('hooks');
    await hooks.complete(await claimN(hooks, 12));
    assert.equal(await loose.events.size(), 12);

    const strict = await openStore({ ...LOG_ON, maxEvents: 5 }, queue);
    assert.equal(await strict.events.trim(), 7);
    assert.equal(await strict.events.size(), 5);
    assert.deepEqual(
      (await strict.events.list({ filter: {}, limit: 10 })).events.map((e) => e.id),
      recent
        .slice(3)
        .reverse()
        .map((j) => j.id),
    );
    assert.equal(await strict.events.trim(), 0);
    // Nothing of a dropped event is left behind, in any key of the log.
    const dropped = old[0]?.id as string;
    const k = strict.keys.events;
    assert.equal(await redis.hexists(k.summary, dropped), 0);
    assert.equal(await redis.hexists(k.body, dropped), 0);
    assert.equal(await redis.hexists(k.attempts, `hooks:${dropped}`), 0);
    assert.equal(await redis.hlen(k.summary), 5);
    assert.equal(await redis.hlen(k.attempts), 5);
  });

  it('trim() leaves the dead-letter queue alone', async () => {
    const store = await openStore({ ...LOG_ON, maxEvents: 1 });
    const j = job();
    await store.enqueue(j, undefined);
    await store.deadLetter(await claimOne(store), 1, 'poison');
    await store.enqueue(job(), undefined);
    await store.events.trim();
    assert.equal(await store.events.get(j.id), undefined);
    assert.equal((await store.stats()).dead, 1);
  });

  it('an outcome of an event no longer in the log does not recreate it, and is still counted', async () => {
    const store = await openStore({ ...LOG_ON, maxEvents: 1 });
    const first = job({ receivedAt: Date.now() - 1_000 });
    await store.enqueue(first, undefined);
    const d = await claimOne(store);
    await store.enqueue(job(), undefined);
    assert.equal(await store.events.get(first.id), undefined);
    await store.complete([d]);
    assert.equal(await store.events.get(first.id), undefined);
    assert.equal(await store.events.size(), 1);
    assert.equal(await redis.hexists(store.keys.events.attempts, `handlers:${first.id}`), 0);
    assert.deepEqual((await lastHour(store)).delivered, { handlers: 1 });
  });
});

describe('Redis event log: options', () => {
  it('without payloads, keeps no body or headers', async () => {
    const store = await openStore({ ...LOG_ON, payloads: false });
    const j = job({ headers: { 'x-a': '1' } });
    await store.enqueue(j, undefined);
    const r = await record(store, j.id);
    assert.equal(r.payload, undefined);
    assert.equal(r.headers, undefined);
    assert.equal(r.payloadKept, false);
    const [summary] = (await store.events.list({ filter: {}, limit: 1 })).events;
    assert.equal(summary?.payloadKept, false, 'the summary says so without reading a body');
    assert.equal(await redis.hlen(store.keys.events.body), 0);
  });

  it('with maxEvents 0 the log is off: nothing recorded, the history still counted', async () => {
    const store = await openStore({ ...LOG_ON, maxEvents: 0 });
    assert.equal(store.events.enabled, false);
    const j = job();
    await store.enqueue(j, dedupe('off'));
    await store.enqueue(job(), dedupe('off'));
    await store.complete([await claimOne(store)]);
    await store.enqueue(j, undefined, { handlers: true, destinations: [], replay: true });
    assert.equal(await store.events.get(j.id), undefined);
    assert.deepEqual(await store.events.list({ filter: {}, limit: 10 }), {
      events: [],
      next: undefined,
    });
    assert.equal(await store.events.size(), 0);
    const k = store.keys.events;
    assert.equal(await redis.exists(k.index, k.summary, k.body, k.attempts, k.byKey), 0);
    const counts = await lastHour(store);
    assert.deepEqual(
      [counts.accepted, counts.duplicates, counts.delivered],
      [1, 1, { handlers: 1 }],
    );
  });

  it('defaults to the Redis bounds with payloads kept', async () => {
    const store = await openStore(undefined);
    assert.equal(store.events.enabled, true);
    assert.equal(REDIS_EVENT_LOG_MAX_DEFAULT, 20_000);
    const j = job();
    await store.enqueue(j, undefined);
    assert.equal((await record(store, j.id)).payload, j.payload);
  });
});

describe('Redis throughput history', () => {
  it('counts per minute, summed over instances, oldest first', async () => {
    const queue = testConfig().queueName;
    const a = await openStore(LOG_ON, queue, 'a');
    const b = await openStore(LOG_ON, queue, 'b');
    const now = Date.now();
    const twoAgo = minuteOf(now) - 120_000;
    await a.history.addRejected({ '4xx': 2, '5xx': 0 }, twoAgo + 5_000);
    await b.history.addRejected({ '4xx': 1 }, twoAgo + 50_000);
    await b.history.addRejected({ '5xx': 4 }, now);
    await a.enqueue(job(), undefined);
    await b.enqueue(job(), undefined);
    const minutes = await a.history.read(twoAgo - 60_000, now + 60_000);
    assert.deepEqual(minutes[0], {
      minute: twoAgo,
      accepted: 0,
      duplicates: 0,
      rejected: { '4xx': 3 },
      delivered: {},
      failed: {},
      deadLettered: 0,
    });
    const last = minutes[minutes.length - 1];
    assert.ok(last && last.minute >= minuteOf(now));
    assert.deepEqual(
      minutes.map((m) => m.minute),
      [...minutes.map((m) => m.minute)].sort((x, y) => x - y),
    );
    const total = await lastHour(a);
    assert.equal(total.accepted, 2);
    assert.deepEqual(total.rejected, { '4xx': 3, '5xx': 4 });
    assert.deepEqual(await a.history.read(twoAgo - 60_000, twoAgo), [], 'an empty range');
  });

  it('expires each minute a day after it ends, and reads nothing older', async () => {
    const store = await openStore();
    const now = Date.now();
    await store.history.addRejected({ '4xx': 1 }, now);
    const key = `${store.keys.historyPrefix}${minuteOf(now)}`;
    const expiresAt = await redis.pexpiretime(key);
    assert.equal(expiresAt, minuteOf(now) + 60_000 + 24 * 3_600_000);
    await store.history.addRejected({ '4xx': 1 }, now - 25 * 3_600_000);
    assert.deepEqual(
      (await store.history.read(now - 48 * 3_600_000, now + 60_000)).map((m) => m.minute),
      [minuteOf(now)],
    );
  });
});

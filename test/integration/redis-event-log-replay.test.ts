/**
 * Replays on the Redis store as its scripts decide them: an event replayed
 * queues only the targets whose delivery is finished or was never made (one
 * under way, waiting for a retry included, is skipped), also within one
 * batch; with the log off or the record gone every target is queued; a
 * duplicate's record replayed becomes an event of its own; and a dead letter
 * whose delivery is under way again is removed without a second copy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EventLogOptions, HANDLERS_TARGET } from '../../src/store/event-log.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import type { EnqueueTargets } from '../../src/store/store.js';
import { claimOne, job } from '../conformance/jobs.js';
import { LOG_ON, redisStores } from '../helpers/redis-stores.js';

const HOOKS: EnqueueTargets = { handlers: false, destinations: ['hooks'] };
const REPLAY_HOOKS: EnqueueTargets = { ...HOOKS, replay: true };

const { redis, open } = redisStores();
const openStore = (eventLog: EventLogOptions = LOG_ON) => open({ eventLog, lanes: ['hooks'] });

const waiting = async (store: RedisStore) =>
  (await redis.xlen(`${store.keys.lanePrefix}hooks`)) as number;

describe('Redis event log: replays decided by the store', () => {
  it('a delivery waiting for its retry is under way: a replay skips it', async () => {
    const store = await openStore();
    const hooks = store.lane('hooks');
    const j = job();
    await store.enqueue(j, undefined, HOOKS);
    await hooks.retryLater(await claimOne(hooks), 60_000, 'HTTP 503', {
      startedAt: Date.now(),
      durationMs: 3,
      status: 503,
    });
    const r = await store.enqueue(j, undefined, REPLAY_HOOKS);
    assert.deepEqual(r.queued, []);
    assert.equal(await waiting(store), 0, 'no copy beside the one scheduled');
  });

  it('replays in one batch queue one copy, the first in the batch', async () => {
    const store = await openStore();
    const hooks = store.lane('hooks');
    const j = job();
    await store.enqueue(j, undefined, HOOKS);
    await hooks.complete([await claimOne(hooks)]);
    // Sent in one turn of the event loop: one script call for all three.
    const results = await Promise.all(
      [1, 2, 3].map(() => store.enqueue(j, undefined, REPLAY_HOOKS)),
    );
    assert.deepEqual(
      results.map((r) => r.queued),
      [['hooks'], [], []],
    );
    assert.equal(await waiting(store), 1);
  });

  it('with the log off every named target is queued, each time', async () => {
    const store = await openStore({ ...LOG_ON, maxEvents: 0 });
    const j = job();
    const targets = { handlers: true, destinations: ['hooks'], replay: true };
    assert.deepEqual((await store.enqueue(j, undefined, targets)).queued, [
      HANDLERS_TARGET,
      'hooks',
    ]);
    assert.deepEqual((await store.enqueue(j, undefined, targets)).queued, [
      HANDLERS_TARGET,
      'hooks',
    ]);
    assert.equal(await waiting(store), 2);
  });

  it('a new event leaves queued undefined', async () => {
    const store = await openStore();
    const r = await store.enqueue(job(), undefined, HOOKS);
    assert.equal(r.queued, undefined);
  });

  it("a duplicate's record replayed becomes an event of its own, replayed once", async () => {
    const store = await openStore();
    const original = job({ idempotencyKey: 'k1' });
    const dup = job({ idempotencyKey: 'k1' });
    const dedupe = { key: 'k1', ttlMs: 60_000 };
    await store.enqueue(original, dedupe, HOOKS);
    await store.enqueue(dup, dedupe, HOOKS);
    assert.equal((await store.events.get(dup.id))?.state, 'duplicate');
    assert.deepEqual((await store.enqueue(dup, undefined, REPLAY_HOOKS)).queued, ['hooks']);
    const r = await store.events.get(dup.id);
    assert.equal(r?.state, 'queued');
    assert.equal(r?.duplicateOf, undefined);
    assert.deepEqual((await store.enqueue(dup, undefined, REPLAY_HOOKS)).queued, []);
    assert.equal(await waiting(store), 2, 'the original and one replay');
  });

  it('a dead letter whose delivery is being delivered again is removed, not queued', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined);
    await store.deadLetter(await claimOne(store), 1, 'gave up', {
      startedAt: Date.now(),
      durationMs: 1,
    });
    await store.enqueue(j, undefined, { handlers: true, destinations: [], replay: true });
    await claimOne(store);
    assert.equal((await store.events.get(j.id))?.state, 'delivering');
    const [dead] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
    assert.ok(dead);
    assert.equal(await store.deadLetters.replay([dead.dlqId]), 1);
    assert.equal(await redis.xlen(store.keys.dlq), 0);
    assert.equal((await store.stats()).waiting, 0, 'no second copy');
    assert.equal((await store.events.get(j.id))?.state, 'delivering', 'the record is left alone');
  });

  it('a dead letter whose event is no longer in the log is queued again', async () => {
    const store = await openStore();
    const j = job();
    await store.enqueue(j, undefined);
    await store.deadLetter(await claimOne(store), 1, 'gave up');
    await redis.del(...Object.values(store.keys.events));
    const [dead] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
    assert.ok(dead);
    assert.equal(await store.deadLetters.replay([dead.dlqId]), 1);
    assert.equal((await store.stats()).waiting, 1);
    assert.equal(await store.events.get(j.id), undefined, 'not recreated');
  });
});

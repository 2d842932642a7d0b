/**
 * Group enqueue on Redis: the webhooks of one turn of the event loop go in one
 * script call, each still deduplicated and answered on its own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import type { JobRecord } from '../../src/store/store.js';
import { RedisServer } from '../helpers/redis-server.js';
import { testConfig, testStore } from '../helpers/service.js';

const job = (): JobRecord => ({
  id: randomUUID(),
  type: 'test.event',
  source: 'default',
  payload: '{"a":1}',
  receivedAt: Date.now(),
});
const TTL = 60_000;

describe('redis group enqueue', () => {
  // A server of our own: the test counts script calls in its command statistics.
  let server: RedisServer;
  let redis: Redis;
  let store: RedisStore;

  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.port, '127.0.0.1');
    store = testStore(testConfig({ REDIS_ADDR: server.addr }));
    await store.init();
    // Load the script first, so that counting calls does not count a NOSCRIPT retry.
    await store.enqueue(job(), undefined);
  });
  after(async () => {
    await store.close();
    redis.disconnect();
    await server.stop();
  });

  const scriptCalls = async () => {
    const stats = (await redis.info('commandstats')) as string;
    const calls = (name: string) =>
      Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return calls('evalsha') + calls('eval');
  };

  it('sends the enqueues of one turn as one script call, each answered on its own', async () => {
    const start = await redis.xlen(store.keys.stream);
    const before = await scriptCalls();
    const jobs = Array.from({ length: 50 }, job);
    const results = await Promise.all(
      jobs.map((j) => store.enqueue(j, { key: `k-${j.id}`, ttlMs: TTL })),
    );
    assert.deepEqual(
      results,
      jobs.map((j) => ({ id: j.id, duplicate: false })),
    );
    assert.equal((await scriptCalls()) - before, 1);
    assert.equal(await redis.xlen(store.keys.stream), start + 50);
  });

  it('splits a large turn into bounded batches, losing none', async () => {
    const start = await redis.xlen(store.keys.stream);
    const before = await scriptCalls();
    const jobs = Array.from({ length: 250 }, job);
    const results = await Promise.all(jobs.map((j) => store.enqueue(j, undefined)));
    assert.deepEqual(
      results.map((r) => r.id),
      jobs.map((j) => j.id),
    );
    assert.equal((await scriptCalls()) - before, 3, '100 + 100 + 50');
    assert.equal(await redis.xlen(store.keys.stream), start + 250);
  });

  it('splits a turn by bytes too: large webhooks go in several bounded calls', async () => {
    const start = await redis.xlen(store.keys.stream);
    const before = await scriptCalls();
    // 10 webhooks of 150 KB, each carried twice (its job, and its event record with the
    // payload): three fit in the 1 MiB a call may carry, a fourth does not.
    const big = () => ({ ...job(), payload: JSON.stringify({ pad: 'b'.repeat(150_000) }) });
    const jobs = Array.from({ length: 10 }, big);
    const results = await Promise.all(jobs.map((j) => store.enqueue(j, undefined)));
    assert.deepEqual(
      results.map((r) => r.id),
      jobs.map((j) => j.id),
    );
    assert.equal((await scriptCalls()) - before, 4, '3 + 3 + 3 + 1');
    assert.equal(await redis.xlen(store.keys.stream), start + 10);
  });

  it('within one batch, the second webhook with a key is the duplicate of the first', async () => {
    const start = await redis.xlen(store.keys.stream);
    const [a, b] = [job(), job()];
    const [ra, rb] = await Promise.all([
      store.enqueue(a, { key: 'same', ttlMs: TTL }),
      store.enqueue(b, { key: 'same', ttlMs: TTL }),
    ]);
    assert.deepEqual(ra, { id: a.id, duplicate: false });
    assert.deepEqual(rb, { id: a.id, duplicate: true });
    assert.equal(await redis.xlen(store.keys.stream), start + 1);
    // Later deliveries with the key are duplicates too, alone in their batch.
    assert.deepEqual(await store.enqueue(job(), { key: 'same', ttlMs: TTL }), {
      id: a.id,
      duplicate: true,
    });
  });

  it('a batch that fails rejects every webhook in it', async () => {
    const down = testStore(testConfig({ REDIS_ADDR: server.addr }));
    await down.init();
    await down.close();
    const results = await Promise.allSettled([
      down.enqueue(job(), undefined),
      down.enqueue(job(), undefined),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  });
});

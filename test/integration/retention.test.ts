/**
 * Retention: a long run of processed jobs leaves Redis memory flat, because a
 * completed job's entry is deleted with its acknowledgement, and the event log
 * drops its oldest events as it records new ones once it holds EVENT_LOG_MAX.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { RedisServer } from '../helpers/redis-server.js';
import { silentLog, testConfig, testStore } from '../helpers/service.js';

/** The warm-up batch fills the event log to its bound; from then on it only turns over. */
const EVENT_LOG_MAX = 5_000;

describe('retention', () => {
  let server: RedisServer;
  let store: RedisStore;
  let probe: Redis;
  before(async () => {
    server = await RedisServer.start();
    store = testStore(testConfig({ REDIS_ADDR: server.addr }), 'retention', silentLog, {
      maxEvents: EVENT_LOG_MAX,
      retentionMs: 3_600_000,
      payloads: true,
    });
    await store.init();
    probe = new Redis({ host: '127.0.0.1', port: server.port });
  });
  after(async () => {
    await store.close();
    probe.disconnect();
    await server.stop();
  });

  async function usedMemory(): Promise<number> {
    const info = await probe.info('memory');
    return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
  }

  async function processBatch(n: number): Promise<void> {
    const payload = JSON.stringify({ data: 'x'.repeat(300) });
    await Promise.all(
      Array.from({ length: n }, () =>
        store.enqueue(
          { id: randomUUID(), type: 't', source: 'default', payload, receivedAt: Date.now() },
          undefined,
        ),
      ),
    );
    let left = n;
    while (left > 0) {
      const got = await store.claim(Math.min(left, 500), 100);
      await store.complete(got);
      left -= got.length;
    }
  }

  it('keeps memory flat over 40,000 processed jobs', async () => {
    await processBatch(5_000); // warm-up: allocator pools, script cache, a full event log
    assert.equal(await store.events.size(), EVENT_LOG_MAX);
    const baseline = await usedMemory();
    const samples: number[] = [];
    for (let i = 0; i < 7; i++) {
      await processBatch(5_000);
      samples.push(await usedMemory());
    }
    const stats = await store.stats();
    assert.equal(stats.waiting + stats.inProgress, 0);
    assert.equal(await probe.xlen(store.keys.stream), 0, 'no completed entry stays in the stream');
    assert.equal(await store.events.size(), EVENT_LOG_MAX, 'the log holds its bound, no more');
    const growth = Math.max(...samples) - baseline;
    // 35,000 jobs of ~400 bytes would be >14 MB if kept; flat means well under one batch's worth.
    assert.ok(
      growth < 512 * 1024,
      `memory grew by ${growth} bytes over 35,000 jobs: ${samples.join(', ')}`,
    );
  });
});

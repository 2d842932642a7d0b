/**
 * A completion that arrives after the job was reclaimed (its instance lost Redis
 * for longer than RECLAIM_IDLE) changes nothing, and is logged: the job runs again.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { captureLogs } from '../helpers/logs.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { testConfig, testStore } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const config = testConfig();
const redis = redisClient();
const stores: RedisStore[] = [];
after(async () => {
  for (const s of stores) await s.close();
  await dropQueue(redis, config.queueName);
  redis.disconnect();
});

describe('a completion after the job was reclaimed', () => {
  it('leaves the requeued copy alone and logs that the job runs again', async () => {
    const logs = captureLogs('info');
    const slow = testStore(config, 'slow', logs.log);
    const survivor = testStore(config, 'survivor');
    stores.push(slow, survivor);
    await slow.init();
    await survivor.init();
    const job = {
      id: 'late-1',
      type: 't',
      source: 'default',
      payload: '{}',
      receivedAt: Date.now(),
    };
    await slow.enqueue(job, undefined);
    const [delivery] = await slow.claim(1, 100);
    assert.ok(delivery);

    await waitFor(async () => (await survivor.reclaimStale(1, 5)).requeued === 1, {
      what: 'the reclaim',
    });
    await slow.complete([delivery]);

    const again = await survivor.claim(1, 100);
    assert.equal(again[0]?.job.id, 'late-1', 'the requeued copy is still there to run');
    assert.equal(again[0]?.attempt, 2, 'the lost run was counted');
    assert.ok(
      logs.lines.some(
        (l) => l.level === 40 && l.jobs === 1 && String(l.msg).includes('reclaimed meanwhile'),
      ),
      logs.text(),
    );
  });
});

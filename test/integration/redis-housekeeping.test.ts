/**
 * Redis-only housekeeping: consumers of stopped instances leave the group, but
 * never while they hold pending jobs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { testConfig, testStore } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

describe('consumer pruning', () => {
  const config = testConfig();
  const redis = redisClient();
  after(async () => {
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  });

  const consumers = async () =>
    ((await redis.xinfo('CONSUMERS', config.queueName, 'workers')) as string[][])
      .map((c) => c[c.indexOf('name') + 1])
      .sort();

  it('removes idle consumers with nothing pending, and only those', async (t) => {
    const finished = testStore(config, 'finished');
    const holding = testStore(config, 'holding');
    const self = testStore(config, 'self');
    for (const s of [finished, holding, self]) await s.init();
    t.after(async () => {
      for (const s of [finished, holding, self]) await s.close();
    });
    const job = () => ({
      id: randomUUID(),
      type: 't',
      source: 'default',
      payload: '{}',
      receivedAt: Date.now(),
    });
    await self.enqueue(job(), undefined);
    await self.enqueue(job(), undefined);
    const done = await waitFor(async () => {
      const d = await finished.claim(1, 20);
      return d.length ? d : undefined;
    });
    await finished.complete(done);
    await waitFor(async () => (await holding.claim(1, 20)).length === 1);
    await self.claim(1, 1);
    assert.deepEqual(await consumers(), ['finished', 'holding', 'self']);

    const removed = await waitFor(
      async () => {
        const n = await self.pruneConsumers(50);
        return n > 0 ? n : undefined;
      },
      { what: 'pruning' },
    );
    assert.equal(removed, 1);
    assert.deepEqual(await consumers(), ['holding', 'self'], 'the consumer holding a job stays');
  });
});

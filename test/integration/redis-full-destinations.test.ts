/**
 * Destination state at Redis's memory limit (noeviction): Redis refuses every
 * command that needs memory, and only finishing deliveries frees it. So each
 * step a delivery takes on its way out must work past the limit: the rate
 * limit, the breaker's probe, and recording the outcome that closes it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { RedisServer } from '../helpers/redis-server.js';
import { testConfig, testStore } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const MAXMEMORY = 32 * 1024 * 1024;
const POLICY = { failures: 1, cooldownMs: 50, maxCooldownMs: 1_000 };

/** Fills memory until Redis refuses a write, then lowers the limit below what is used. */
async function fillPastLimit(redis: Redis): Promise<void> {
  const value = 'f'.repeat(64 * 1024);
  for (let i = 0; ; i++) {
    try {
      await redis.set(`filler:${i}`, value);
    } catch (err) {
      if (!String((err as Error).message).startsWith('OOM')) throw err;
      break;
    }
  }
  const used = Number(/^used_memory:(\d+)/m.exec((await redis.info('memory')) as string)?.[1]);
  await redis.config('SET', 'maxmemory', String(used - 1024 * 1024));
}

describe('destination state past Redis maxmemory', () => {
  let server: RedisServer;
  let direct: Redis;
  let store: RedisStore;
  const name = `d${randomUUID().slice(0, 8)}`;
  before(async () => {
    server = await RedisServer.start([
      '--maxmemory',
      String(MAXMEMORY),
      '--maxmemory-policy',
      'noeviction',
    ]);
    direct = new Redis(server.port, '127.0.0.1');
    store = testStore(testConfig({ REDIS_ADDR: server.addr }));
    await store.init();
    // State that exists before memory runs out: a rate limit in use, a breaker open.
    assert.equal(await store.destinations.takeRate(name, 10, 1_000), 0);
    assert.equal(
      await store.destinations.recordFailure(name, 'down', POLICY, {
        refusal: false,
        probe: false,
      }),
      'opened',
    );
    await fillPastLimit(direct);
  });
  after(async () => {
    await store.close();
    direct.disconnect();
    await server.stop();
  });

  it('the rate limit still answers', {}, async () => {
    const wait = await waitFor(
      async () => {
        const w = await store.destinations.takeRate(name, 10, 1_000);
        return w === 0 ? 'sent' : undefined;
      },
      { timeoutMs: 2_000, what: 'a request let through' },
    );
    assert.equal(wait, 'sent');
  });

  it('an open breaker still hands out its probe, and the success of the probe closes it', {}, async () => {
    const gate = await waitFor(
      async () => {
        const g = await store.destinations.gate(name, 5_000);
        return g.go ? g : undefined;
      },
      { timeoutMs: 2_000, what: 'the probe' },
    );
    assert.deepEqual(gate, { go: true, probe: true });
    assert.equal(await store.destinations.recordSuccess(name), 'closed');
  });
});

/**
 * Rate limits against a real Redis: they hold across instances sharing a queue,
 * answer 429 with Retry-After, keep their counters under the queue's hash tag,
 * and forged requests cannot spend a source's budget.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig, testStore, withService } from '../helpers/service.js';
import {
  SECRETS,
  signedDelivery,
  sourcesEnv,
  sourcesYaml,
  writeSourcesFile,
} from '../helpers/sources.js';

const uid = () => Math.random().toString(36).slice(2, 10);

function postFrom(service: Service, ip: string, url = '/webhooks') {
  return service.app.inject({
    method: 'POST',
    url,
    remoteAddress: ip,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ type: 'a.b' }),
  });
}

describe('rate limits on Redis', () => {
  const env = {
    ...sourcesEnv(),
    SOURCES_FILE: writeSourcesFile(
      sourcesYaml({ github: 'rate_limit: 3', shopify: 'rate_limit: 1' }),
    ),
    WORKER_COUNT: '0',
    RATE_LIMIT_WINDOW: '1m',
    RATE_LIMIT_PER_IP: '4',
    RATE_LIMIT_PER_SOURCE: '100',
  };
  const config = testConfig(env);
  const redis = redisClient();
  let a: Service;
  let b: Service;

  before(async () => {
    // Two instances on one queue, as behind a load balancer.
    a = await startedService(config);
    b = await startedService(config);
  });
  after(async () => {
    await a.stop(2_000);
    await b.stop(2_000);
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  });

  it('holds the per-IP limit across instances and answers 429 with Retry-After', async () => {
    const ip = '198.51.100.7';
    const statuses = [];
    for (const service of [a, b, a, b]) statuses.push((await postFrom(service, ip)).statusCode);
    assert.deepEqual(statuses, [202, 202, 202, 202]);
    const refused = await postFrom(a, ip);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'rate_limited');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `${retryAfter}`);
    assert.equal((await postFrom(b, ip)).statusCode, 429);
    assert.equal((await postFrom(b, '198.51.100.8')).statusCode, 202, 'another IP is unaffected');
  });

  it('keeps its counters under the queue hash tag, with an expiry', async () => {
    const keys = await redis.keys(`{${config.queueName}}:rl:*`);
    assert.ok(keys.includes(`{${config.queueName}}:rl:ip:198.51.100.7`), JSON.stringify(keys));
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= 60_000, `${key} ttl ${ttl}`);
    }
  });

  it('counts only verified requests against a source: forgeries cannot lock it out', async () => {
    const ips = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];
    // Forged deliveries from several IPs, more than github's limit of 3.
    for (const ip of ips) {
      for (let i = 0; i < 3; i++) {
        const forged = await signedDelivery('github', {
          type: 'push',
          id: uid(),
          secret: SECRETS.github.other,
        });
        const res = await a.app.inject({
          method: 'POST',
          url: '/webhooks/github',
          remoteAddress: ip,
          headers: forged.headers,
          payload: forged.body,
        });
        assert.equal(res.statusCode, 401);
      }
    }
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const d = await signedDelivery('github', { type: 'push', id: uid() });
      const res = await [a, b][i % 2]?.app.inject({
        method: 'POST',
        url: '/webhooks/github',
        remoteAddress: `192.0.2.${i}`,
        headers: d.headers,
        payload: d.body,
      });
      statuses.push(res?.statusCode);
    }
    assert.deepEqual(statuses, [202, 202, 202, 429]);
  });

  it("applies a source's own rate_limit from SOURCES_FILE", async () => {
    const statuses = [];
    for (let i = 0; i < 2; i++) {
      const d = await signedDelivery('shopify', { type: 'orders/create', id: uid() });
      const res = await b.app.inject({
        method: 'POST',
        url: '/webhooks/shopify',
        remoteAddress: `192.0.2.10${i}`,
        headers: d.headers,
        payload: d.body,
      });
      statuses.push(res.statusCode);
    }
    assert.deepEqual(statuses, [202, 429]);
  });
});

/** A store that is not a RedisStore (as the embedded store will be): it delegates to one. */
function notRedis(inner: RedisStore): Store {
  return {
    kind: 'delegating',
    location: inner.location,
    init: () => inner.init(),
    enqueue: (job, dedupe, targets) => inner.enqueue(job, dedupe, targets),
    lane: (destination) => inner.lane(destination),
    storedLanes: () => inner.storedLanes(),
    retireLane: (destination, idle, error) => inner.retireLane(destination, idle, error),
    claim: (max, blockMs) => inner.claim(max, blockMs),
    interruptClaim: () => inner.interruptClaim(),
    complete: (d, reports) => inner.complete(d, reports),
    retryLater: (d, ms, e, report) => inner.retryLater(d, ms, e, report),
    deadLetter: (d, n, e, report) => inner.deadLetter(d, n, e, report),
    release: (d, started) => inner.release(d, started),
    promoteDue: (max) => inner.promoteDue(max),
    reclaimStale: (idle, max) => inner.reclaimStale(idle, max),
    stats: () => inner.stats(),
    peekDead: (limit) => inner.peekDead(limit),
    deadLetters: inner.deadLetters,
    destinations: inner.destinations,
    events: inner.events,
    history: inner.history,
    close: () => inner.close(),
  };
}

describe('rate limits with another store', () => {
  it('count in memory: the limit holds and Redis holds no counters', async () => {
    const config = testConfig({ WORKER_COUNT: '0', RATE_LIMIT_PER_IP: '2' });
    const redis = redisClient();
    const service = await startedService(config, { store: notRedis(testStore(config)) });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await postFrom(service, '10.1.1.1')).statusCode);
      assert.deepEqual(statuses, [202, 202, 429]);
      assert.deepEqual(await redis.keys(`{${config.queueName}}:rl:*`), []);
    } finally {
      await service.stop(2_000);
      await dropQueue(redis, config.queueName);
      redis.disconnect();
    }
  });

  it('are off by default', async () => {
    const redis = redisClient();
    try {
      await withService({ WORKER_COUNT: '0' }, async (service, config) => {
        for (let i = 0; i < 30; i++)
          assert.equal((await postFrom(service, '10.2.2.2')).statusCode, 202);
        assert.deepEqual(await redis.keys(`{${config.queueName}}:rl:*`), []);
      });
    } finally {
      redis.disconnect();
    }
  });
});

describe('the client IP of the per-IP limit', () => {
  async function statuses(env: Record<string, string>): Promise<number[]> {
    return withService({ WORKER_COUNT: '0', RATE_LIMIT_PER_IP: '1', ...env }, async (service) => {
      const out = [];
      // One socket address (a proxy), two different X-Forwarded-For clients.
      for (const client of ['192.0.2.50', '192.0.2.51']) {
        const res = await service.app.inject({
          method: 'POST',
          url: '/webhooks',
          remoteAddress: '10.0.0.2',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          payload: '{}',
        });
        out.push(res.statusCode);
      }
      return out;
    });
  }

  it('ignores X-Forwarded-For by default, so a spoofed header cannot dodge the limit', async () => {
    assert.deepEqual(await statuses({}), [202, 429]);
  });

  it('uses X-Forwarded-For from a proxy listed in TRUST_PROXY', async () => {
    assert.deepEqual(await statuses({ TRUST_PROXY: '10.0.0.0/8' }), [202, 202]);
    assert.deepEqual(await statuses({ TRUST_PROXY: '172.16.0.1' }), [202, 429]);
  });
});

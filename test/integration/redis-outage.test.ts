/**
 * Redis going away and coming back, on a redis-server of the test's own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { postWebhook } from '../helpers/http.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

/** Resolves with the response, or 'hang' if none came within the bound. */
async function bounded<T>(p: Promise<T>, ms = 5_000): Promise<T | 'hang'> {
  return Promise.race([p, new Promise<'hang'>((r) => setTimeout(() => r('hang'), ms))]);
}

describe('Redis outage', () => {
  let server: RedisServer;
  let service: Service;
  before(async () => {
    server = await RedisServer.start();
    service = await startedService(
      testConfig({
        REDIS_ADDR: server.addr,
        REDIS_COMMAND_TIMEOUT: '500ms',
        BACKLOG_SAMPLE_INTERVAL: '100ms',
      }),
    );
  });
  after(async () => {
    await service.stop(2_000);
    await server.stop();
  });

  it('answers 503 (never 500, never a hang) while Redis is down, and recovers by itself', async () => {
    assert.equal((await postWebhook(service.app, { n: 1 })).statusCode, 202);
    await server.kill();

    const statuses = new Set<number>();
    await waitFor(
      async () => {
        const res = await bounded(postWebhook(service.app, { n: 2 }));
        assert.notEqual(res, 'hang', 'POST must answer while Redis is down');
        if (res === 'hang') return false;
        assert.ok(res.statusCode === 503 || res.statusCode === 202, `unexpected ${res.statusCode}`);
        statuses.add(res.statusCode);
        if (res.statusCode === 503) {
          assert.equal(res.json().error.code, 'store_unavailable');
          assert.ok(res.headers['retry-after']);
        }
        return res.statusCode === 503;
      },
      { what: '503 during the outage' },
    );

    const health = await bounded(service.app.inject({ method: 'GET', url: '/health' }));
    assert.ok(health !== 'hang');
    assert.equal(health.statusCode, 503);
    assert.equal(health.json().status, 'unhealthy');

    await server.restart();
    await waitFor(async () => (await postWebhook(service.app, { n: 3 })).statusCode === 202, {
      what: 'ingest to recover without a restart',
      timeoutMs: 15_000,
    });
    await waitFor(
      async () => (await service.app.inject({ method: 'GET', url: '/health' })).statusCode === 200,
      {
        what: 'health to recover',
      },
    );
    // And the workers resumed: a new job is processed.
    await waitFor(
      async () => {
        const s = await service.store.stats();
        return s.waiting + s.inProgress === 0;
      },
      { what: 'workers to drain after recovery', timeoutMs: 15_000 },
    );
  });
});

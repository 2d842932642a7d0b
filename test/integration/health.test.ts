/**
 * GET /health: the spec's shape, and unhealthy while shutting down.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { postWebhook } from '../helpers/http.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

describe('GET /health', () => {
  const config = testConfig({ WORKER_COUNT: '2' });
  after(async () => {
    const redis = redisClient();
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  });

  it('reports the queue while healthy, then 503 is_stopped while shutting down', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const service = await startedService(config, { handlers: { 'slow.job': () => gate } });
    const healthy = await service.app.inject({ method: 'GET', url: '/health' });
    assert.equal(healthy.statusCode, 200);
    assert.deepEqual(healthy.json(), {
      status: 'healthy',
      queue_size: 0,
      pending: 0,
      scheduled: 0,
      dlq_size: 0,
      workers: 2,
      workers_busy: 0,
      is_stopped: false,
      store: 'redis',
      ingest: true,
      backlog: 0,
      backlog_limit: 1000,
      ingest_inflight: 0,
      ingest_inflight_limit: 1024,
    });

    assert.equal(
      (await postWebhook(service.app, {}, { 'x-event-type': 'slow.job' })).statusCode,
      202,
    );
    await waitFor(() => service.pool.busy === 1, { what: 'job running' });
    const busy = (await service.app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(busy.pending, 1);
    assert.equal(busy.workers_busy, 1);

    const stopped = service.stop(5_000);
    const during = await service.app.inject({ method: 'GET', url: '/health' });
    assert.equal(during.statusCode, 503);
    assert.equal(during.json().status, 'unhealthy');
    assert.equal(during.json().is_stopped, true);
    const refused = await postWebhook(service.app, {}, { 'x-event-type': 'slow.job' });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.json().error.code, 'shutting_down');
    release();
    await stopped;
  });
});

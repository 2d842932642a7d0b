/**
 * Separate roles: an ingest-only instance (WORKER_COUNT=0) accepts and consumes
 * nothing; a worker-only instance (HTTP_INGEST=false) processes and serves only
 * health and metrics. Together they run the whole pipeline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import { postWebhook } from '../helpers/http.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

describe('separate ingest and worker roles', () => {
  const ingestConfig = testConfig({ WORKER_COUNT: '0' });
  const workerConfig = testConfig({
    QUEUE_NAME: ingestConfig.queueName,
    HTTP_INGEST: 'false',
    WORKER_COUNT: '2',
  });
  const redis = redisClient();
  const processed: string[] = [];
  let ingest: Service;
  let worker: Service;

  before(async () => {
    ingest = await startedService(ingestConfig);
    worker = await startedService(workerConfig, {
      handlers: new HandlerRegistry(async (job) => {
        processed.push(job.id);
      }),
    });
  });
  after(async () => {
    await Promise.all([ingest.stop(2_000), worker.stop(2_000)]);
    await dropQueue(redis, ingestConfig.queueName);
    redis.disconnect();
  });

  it('the ingest-only instance accepts; the worker-only instance processes every job', async () => {
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await postWebhook(ingest.app, { n: i });
      assert.equal(res.statusCode, 202);
      accepted.push(res.json().id);
    }
    await waitFor(() => processed.length === 5, { what: 'five jobs processed' });
    assert.deepEqual([...processed].sort(), [...accepted].sort());
    // Only the worker-only instance ever read from the group.
    const consumers = (await redis.xinfo(
      'CONSUMERS',
      ingestConfig.queueName,
      'workers',
    )) as unknown[][];
    const names = consumers.map((c) => String(c[c.indexOf('name') + 1]));
    assert.deepEqual(names, [worker.consumer]);
    assert.equal(ingest.pool.isRunning, false);
  });

  it('the ingest-only instance serves health and metrics, reporting no workers', async () => {
    const health = await ingest.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
    assert.equal(health.json().workers, 0);
    assert.equal(health.json().ingest, true);
    const metrics = await ingest.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /^webhook_workers 0$/m);
  });

  it('the worker-only instance has no POST /webhooks, only health and metrics', async () => {
    const res = await postWebhook(worker.app, { n: 1 });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
    // Over a real socket too (the edge that sheds ingest load is not installed).
    const address = worker.app.server.address();
    assert.ok(address && typeof address === 'object');
    const viaSocket = await fetch(`http://127.0.0.1:${address.port}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(viaSocket.status, 404);
    const health = await worker.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
    assert.equal(health.json().ingest, false);
    assert.equal(health.json().workers, 2);
    const metrics = await worker.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /^webhook_workers 2$/m);
  });
});

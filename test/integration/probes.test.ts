/**
 * GET /health/live and GET /health/ready: liveness holds while the process
 * answers; readiness needs the store, no shutdown in progress, and running
 * workers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startedService, testConfig, withService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const probe = async (service: Service, url: string) => {
  const res = await service.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
};

describe('readiness and liveness', () => {
  it('are both up on a running instance, and readiness drops at shutdown while liveness holds', async () => {
    await withService({ WORKER_COUNT: '2' }, async (service) => {
      assert.deepEqual(await probe(service, '/health/live'), {
        status: 200,
        body: { status: 'alive' },
      });
      assert.deepEqual(await probe(service, '/health/ready'), {
        status: 200,
        body: { status: 'ready', store: 'up', shutting_down: false, workers: 'running' },
      });
      const stopping = service.stop(2_000);
      const ready = await probe(service, '/health/ready');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'not_ready');
      assert.equal(ready.body.shutting_down, true);
      assert.equal(ready.body.reason, 'shutting down');
      assert.equal((await probe(service, '/health/live')).status, 200);
      await stopping;
    });
  });

  it('counts an ingest-only instance (WORKER_COUNT=0) as ready', async () => {
    await withService({ WORKER_COUNT: '0' }, async (service) => {
      const ready = await probe(service, '/health/ready');
      assert.equal(ready.status, 200);
      assert.equal(ready.body.workers, 'none');
    });
  });

  it('is not ready while the store is unreachable, and ready again once it is back', async () => {
    const server = await RedisServer.start();
    const service = await startedService(
      testConfig({
        REDIS_ADDR: server.addr,
        REDIS_COMMAND_TIMEOUT: '500ms',
        BACKLOG_SAMPLE_INTERVAL: '100ms',
      }),
    );
    try {
      assert.equal((await probe(service, '/health/ready')).status, 200);
      await server.kill();
      const down = await waitFor(
        async () => {
          const r = await probe(service, '/health/ready');
          return r.status === 503 ? r : undefined;
        },
        { what: 'not ready' },
      );
      assert.equal(down.body.store, 'down');
      assert.equal(down.body.reason, 'queue store unreachable');
      assert.equal((await probe(service, '/health/live')).status, 200, 'still alive');
      await server.restart();
      await waitFor(async () => (await probe(service, '/health/ready')).status === 200, {
        what: 'ready again',
        timeoutMs: 20_000,
      });
    } finally {
      await service.stop(2_000);
      await server.stop();
    }
  });
});

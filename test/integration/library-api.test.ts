/**
 * The service as a library: jobs produced from code, the routes mounted in a
 * Fastify app of one's own, and a worker that listens on no port.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { createWorker, type Service } from '../../src/app.js';
import type { JobContext } from '../../src/handlers/handler.js';
import { InvalidInputError } from '../../src/ingest/invalid-input.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { silentLog, testConfig, withService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

describe('enqueue from code', () => {
  it('produces a job by the rules of POST /webhooks: deduplicated, refused when invalid', async () => {
    const seen: JobContext[] = [];
    await withService(
      {},
      async (service) => {
        const first = await service.enqueue(
          'lib.made',
          { id: 'order-1', total: 3 },
          { headers: { 'x-origin': 'checkout' } },
        );
        assert.equal(first.duplicate, false);
        const again = await service.enqueue('lib.made', { id: 'order-1', total: 3 });
        assert.deepEqual(again, { id: first.id, duplicate: true });
        const keyed = await service.enqueue('lib.made', { total: 4 }, { idempotencyKey: 'k-2' });
        await waitFor(() => seen.length === 2, { what: 'both jobs to run' });
        const byId = new Map(seen.map((j) => [j.id, j]));
        assert.deepEqual(byId.get(first.id)?.payload, { id: 'order-1', total: 3 });
        assert.equal(byId.get(first.id)?.idempotencyKey, 'order-1');
        assert.deepEqual(byId.get(first.id)?.headers, { 'x-origin': 'checkout' });
        assert.equal(byId.get(keyed.id)?.idempotencyKey, 'k-2');

        await assert.rejects(
          service.enqueue('not a type!', {}),
          (err: unknown) => err instanceof InvalidInputError && err.reason === 'event_type',
        );
        await assert.rejects(service.enqueue('lib.made', [] as never), TypeError);
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        await assert.rejects(service.enqueue('lib.made', cyclic), TypeError);
        await assert.rejects(service.enqueue('lib.made', {}, { source: 'Bad Source' }), TypeError);
      },
      { handlers: { 'lib.made': (job) => void seen.push(job) } },
    );
  });
});

describe('the routes as a Fastify plugin', () => {
  it("serves ingest and health under the host's prefix and leaves the host's routes alone", async () => {
    const seen: string[] = [];
    await withService(
      {},
      async (service) => {
        const host = Fastify();
        host.post('/own', async (request) => ({ echoed: request.body }));
        await host.register(service.plugin, { prefix: '/hooks' });
        try {
          const accepted = await host.inject({
            method: 'POST',
            url: '/hooks/webhooks',
            headers: { 'content-type': 'application/json', 'x-event-type': 'lib.mounted' },
            payload: JSON.stringify({ id: 'm-1' }),
          });
          assert.equal(accepted.statusCode, 202, accepted.body);
          await waitFor(() => seen.length === 1, { what: 'the mounted ingest to reach a handler' });
          assert.equal(seen[0], accepted.json().id);

          const bad = await host.inject({
            method: 'POST',
            url: '/hooks/webhooks',
            headers: { 'content-type': 'application/json' },
            payload: '{ not json',
          });
          assert.equal(bad.statusCode, 400);
          assert.equal(bad.json().error.code, 'invalid_json', "the catalogue's answer");

          const health = await host.inject({ method: 'GET', url: '/hooks/health' });
          assert.equal(health.statusCode, 200, health.body);

          const own = await host.inject({
            method: 'POST',
            url: '/own',
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ a: 1 }),
          });
          assert.deepEqual(own.json(), { echoed: { a: 1 } }, "the host's parser, not ours");
          const missing = await host.inject({ method: 'GET', url: '/nowhere' });
          assert.equal(missing.statusCode, 404);
          assert.equal(missing.json().error, 'Not Found', "the host's not-found answer");
        } finally {
          await host.close();
        }
      },
      { handlers: { 'lib.mounted': (job) => void seen.push(job.id) }, listen: false },
    );
  });
});

describe('a worker without an HTTP server', () => {
  it('runs jobs and listens on no port', async () => {
    const config = testConfig();
    const redis = redisClient();
    const ran: string[] = [];
    const worker: Service = createWorker({
      config,
      log: silentLog,
      processMetrics: false,
      handlers: { 'lib.worker': (job) => void ran.push(job.id) },
    });
    try {
      assert.equal(await worker.start(), '');
      assert.equal(worker.app.server.listening, false);
      const { id } = await worker.enqueue('lib.worker', { n: 1 });
      await waitFor(() => ran.includes(id), { what: 'the worker to run the job' });
    } finally {
      await worker.stop(2_000);
      await dropQueue(redis, config.queueName);
      redis.disconnect();
    }
  });
});

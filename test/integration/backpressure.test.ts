/**
 * Load shedding: the global backlog bound (sampled, no store call per rejection)
 * and the local bound on writes in flight.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { ApiError, type ErrorBody, errorBody } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { postWebhook } from '../helpers/http.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { silentLog, startedService, testConfig, testStore } from '../helpers/service.js';
import { sourcesEnv, writeSourcesFile } from '../helpers/sources.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

/** A real Redis store whose enqueue calls are counted, and can be held at a gate. */
function instrumented(env: Record<string, string>) {
  const config = testConfig(env);
  const store = testStore(config);
  let calls = 0;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const wrapped: Store = Object.create(store, {
    enqueue: {
      value: async (...args: Parameters<Store['enqueue']>) => {
        calls++;
        if (gate) await gate;
        return store.enqueue(...args);
      },
    },
  });
  return {
    config,
    store: wrapped,
    calls: () => calls,
    hold() {
      gate = new Promise((r) => {
        open = r;
      });
    },
    release() {
      gate = undefined;
      open?.();
    },
  };
}

async function start(env: Record<string, string>) {
  const inst = instrumented(env);
  const service: Service = await startedService(inst.config, { store: inst.store, log: silentLog });
  cleanups.push(async () => {
    inst.release();
    await service.stop(2_000);
    const redis = redisClient();
    await dropQueue(redis, inst.config.queueName);
    redis.disconnect();
  });
  return { ...inst, service };
}

describe('backpressure', () => {
  it('refuses with 503 queue_full and Retry-After once the backlog reaches QUEUE_SIZE, without a store call', async () => {
    const { service, calls } = await start({
      WORKER_COUNT: '0',
      QUEUE_SIZE: '5',
      BACKLOG_SAMPLE_INTERVAL: '20ms',
    });
    for (let i = 0; i < 5; i++)
      assert.equal((await postWebhook(service.app, { i })).statusCode, 202);
    // This instance counts its own accepts between samples: it stops at QUEUE_SIZE exactly.
    const res = await postWebhook(service.app, { late: true });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'queue_full');
    assert.equal(res.headers['retry-after'], '5');
    // Shedding answers without an exception, in exactly the catalogue's shape.
    assert.deepEqual(res.json(), errorBody(new ApiError('queue_full')));
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    const before = calls();
    for (let i = 0; i < 20; i++)
      assert.equal((await postWebhook(service.app, { i })).statusCode, 503);
    assert.equal(calls(), before, 'rejections made no store call');
    const health = (await service.app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(health.queue_size, 5);
    assert.equal(health.backlog, 5);
    assert.equal(health.backlog_limit, 5);
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^webhook_queue_backlog 5$/m);
    assert.match(metrics, /^webhook_queue_backlog_limit 5$/m);
    assert.match(metrics, /webhooks_rejected_total\{code="queue_full"\} 21/);
  });

  it('over a real socket, refuses at the edge exactly as the route does, without a store call', async () => {
    const { service, calls } = await start({
      WORKER_COUNT: '0',
      QUEUE_SIZE: '1',
      BACKLOG_SAMPLE_INTERVAL: '20ms',
    });
    const address = service.app.server.address();
    assert.ok(address && typeof address === 'object');
    const url = `http://127.0.0.1:${address.port}`;
    const send = () =>
      fetch(`${url}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: Math.random() }),
      });
    assert.equal((await send()).status, 202);
    const before = calls();
    const edge = await send();
    const routed = await postWebhook(service.app, { n: 1 }); // inject() never passes the edge
    assert.equal(edge.status, 503);
    assert.equal(routed.statusCode, 503);
    assert.equal(await edge.text(), routed.body);
    for (const h of ['content-type', 'content-length', 'retry-after'])
      assert.equal(edge.headers.get(h), routed.headers[h], h);
    assert.equal(calls(), before, 'no store call for either refusal');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /webhooks_rejected_total\{code="queue_full"\} 2/);
    assert.equal((await fetch(`${url}/health`)).status, 200, 'other routes are untouched');
  });

  it('at the edge, sheds configured sources only: an unknown source or an unserved route stays 404', async () => {
    const { service } = await start({
      ...sourcesEnv(),
      SOURCES_FILE: writeSourcesFile(),
      UNSIGNED_WEBHOOKS: 'false',
      WORKER_COUNT: '0',
      QUEUE_SIZE: '1',
      BACKLOG_SAMPLE_INTERVAL: '20ms',
    });
    await service.store.enqueue(
      {
        id: randomUUID(),
        type: 't',
        source: 'github',
        payload: '{}',
        receivedAt: Date.now(),
      },
      undefined,
    );
    const address = service.app.server.address();
    assert.ok(address && typeof address === 'object');
    const post = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${address.port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: res.status, code: ((await res.json()) as ErrorBody).error.code };
    };
    await waitFor(async () => (await post('/webhooks/github')).status === 503, {
      what: 'the backlog sample to see the job',
    });
    assert.deepEqual(await post('/webhooks/github'), { status: 503, code: 'queue_full' });
    assert.deepEqual(await post('/webhooks/no-such-source'), {
      status: 404,
      code: 'unknown_source',
    });
    assert.deepEqual(await post('/webhooks'), { status: 404, code: 'not_found' });
  });

  it('counts its own accepts in the backlog between samples, in /health and /metrics alike', async () => {
    const { service } = await start({
      WORKER_COUNT: '0',
      QUEUE_SIZE: '100',
      BACKLOG_SAMPLE_INTERVAL: '1h',
    });
    for (let i = 0; i < 3; i++)
      assert.equal((await postWebhook(service.app, { i })).statusCode, 202);
    // No sample ran since start-up (the interval is an hour): the 3 are this instance's own.
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^webhook_queue_backlog 3$/m);
    assert.match(metrics, /^webhook_queue_backlog_limit 100$/m);
    const health = (await service.app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(health.backlog, 3, 'a fresh sample sees the same 3, not 6');
    assert.equal(health.ingest_inflight, 0);
    assert.equal(health.ingest_inflight_limit, 1024);
  });

  it('between samples, counts every delivery an accepted event makes, as a sample does', async () => {
    const { service } = await start({
      WORKER_COUNT: '0',
      QUEUE_SIZE: '4',
      BACKLOG_SAMPLE_INTERVAL: '1h',
      CONFIG_FILE: writeSourcesFile(`
destinations:
  one: { url: http://127.0.0.1:9/one }
  two: { url: http://127.0.0.1:9/two }
routes:
  - { source: "*", to: [one, two] }
`),
    });
    // Each event is two deliveries: the backlog is full after two events.
    assert.equal((await postWebhook(service.app, { i: 1 })).statusCode, 202);
    assert.equal((await postWebhook(service.app, { i: 2 })).statusCode, 202);
    const third = await postWebhook(service.app, { i: 3 });
    assert.equal(third.statusCode, 503, 'the backlog holds four deliveries');
    assert.equal(third.json().error.code, 'queue_full');
    const health = (await service.app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(health.backlog, 4, 'a fresh sample agrees');
  });

  it('counts waiting retries in the backlog and accepts again once it drains', async () => {
    const { service, store } = await start({
      WORKER_COUNT: '0',
      QUEUE_SIZE: '2',
      BACKLOG_SAMPLE_INTERVAL: '50ms',
    });
    for (let i = 0; i < 2; i++)
      assert.equal((await postWebhook(service.app, { i })).statusCode, 202);
    const claimed = await waitFor(async () => {
      const d = await store.claim(2, 50);
      return d.length === 2 ? d : undefined;
    });
    const [toRetry, toComplete] = claimed;
    assert.ok(toRetry && toComplete);
    await store.retryLater(toRetry, 60_000, 'later');
    await store.complete([toComplete]);
    await waitFor(async () => (await postWebhook(service.app, { x: 1 })).statusCode === 202, {
      what: 'room again',
    });
    // Backlog is now 1 scheduled + 1 waiting = QUEUE_SIZE.
    await waitFor(async () => (await postWebhook(service.app, { x: 2 })).statusCode === 503, {
      what: 'full with the retry counted',
    });
  });

  it('answers 503 overloaded at once past INGEST_MAX_INFLIGHT writes, losing nothing accepted', async () => {
    const inst = await start({ WORKER_COUNT: '0', INGEST_MAX_INFLIGHT: '2' });
    inst.hold();
    const inflight = [
      postWebhook(inst.service.app, { a: 1 }),
      postWebhook(inst.service.app, { a: 2 }),
    ];
    await waitFor(() => inst.calls() === 2, { what: 'two writes in flight' });
    const shed = await postWebhook(inst.service.app, { a: 3 });
    assert.equal(shed.statusCode, 503);
    assert.equal(shed.json().error.code, 'overloaded');
    assert.equal(shed.headers['retry-after'], '1');
    assert.equal(inst.calls(), 2, 'the shed request made no store call');
    const health = (await inst.service.app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(health.ingest_inflight, 2);
    assert.equal(health.ingest_inflight_limit, 2);
    const metrics = (await inst.service.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^webhook_ingest_inflight 2$/m);
    assert.match(metrics, /^webhook_ingest_inflight_limit 2$/m);
    assert.match(metrics, /webhooks_rejected_total\{code="overloaded"\} 1/);
    inst.release();
    const done = await Promise.all(inflight);
    assert.deepEqual(
      done.map((r) => r.statusCode),
      [202, 202],
    );
    assert.equal((await inst.service.store.stats()).waiting, 2);
  });
});

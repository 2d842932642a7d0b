/**
 * The worker pool against a real Redis: bounded concurrency, retries with growing
 * delays, the DLQ, timeouts, odd throws, and taking over a dead consumer's jobs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { type Handler, PermanentError } from '../../src/handlers/handler.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import { Metrics } from '../../src/metrics.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { fullJitterBackoff } from '../../src/worker/backoff.js';
import { WorkerPool } from '../../src/worker/pool.js';
import { postWebhook } from '../helpers/http.js';
import { captureLogs } from '../helpers/logs.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { silentLog, startedService, testConfig, testStore } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

async function service(
  env: Record<string, string>,
  handlers: Record<string, Handler>,
  log = silentLog,
): Promise<Service> {
  const config = testConfig(env);
  const s = await startedService(config, { handlers, log });
  cleanups.push(async () => {
    await s.stop(2_000);
    const redis = redisClient();
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  });
  return s;
}

async function send(s: Service, type: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await postWebhook(s.app, body, { 'x-event-type': type });
  assert.equal(res.statusCode, 202, res.body);
  return res.json().id;
}

describe('worker pool', () => {
  it('runs exactly WORKER_COUNT jobs at once, never more', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    const s = await service(
      { WORKER_COUNT: '3' },
      {
        'load.test': async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 15));
          running--;
          done++;
        },
      },
    );
    for (let i = 0; i < 30; i++) await send(s, 'load.test');
    await waitFor(() => done === 30, { what: '30 jobs' });
    assert.equal(peak, 3);
    await waitFor(async () => (await s.store.stats()).inProgress === 0, { what: 'acks' });
    const stats = await s.store.stats();
    assert.equal(stats.waiting + stats.inProgress, 0, 'completed jobs leave nothing behind');
  });

  it('retries a throwing handler with growing delays, then dead-letters it with its attempts', async () => {
    const config = testConfig();
    const s = testStore(config, 'pool-retry');
    await s.init();
    const attempts: number[] = [];
    const handlers = new HandlerRegistry(async () => {
      attempts.push(Date.now());
      throw new Error('downstream is down');
    });
    const delays: number[] = [];
    const ceiling = fullJitterBackoff(100, 10_000, () => 0.999);
    const pool = new WorkerPool({
      store: s,
      handlers,
      metrics: new Metrics([], { processMetrics: false }),
      log: silentLog,
      concurrency: 2,
      jobTimeoutMs: 5_000,
      maxRetries: 3,
      backoff: (n) => {
        const d = ceiling(n);
        delays.push(d);
        return d;
      },
      reclaimIdleMs: 60_000,
      promoteIntervalMs: 20,
    });
    cleanups.push(async () => {
      await pool.stop(1_000);
      await s.close();
      const redis = redisClient();
      await dropQueue(redis, config.queueName);
      redis.disconnect();
    });
    pool.start();
    const id = randomUUID();
    await s.enqueue(
      { id, type: 'x', source: 'default', payload: '{}', receivedAt: Date.now() },
      undefined,
    );
    const dead = await waitFor(async () => (await s.peekDead(10)).find((e) => e.job.id === id), {
      what: 'DLQ entry',
    });
    assert.equal(attempts.length, 4, 'one attempt plus MAX_RETRIES retries');
    assert.deepEqual(delays, [99, 199, 399]);
    for (let i = 1; i < attempts.length; i++) {
      const gap = (attempts[i] as number) - (attempts[i - 1] as number);
      assert.ok(
        gap >= (delays[i - 1] as number),
        `retry ${i} came after ${gap}ms, before its ${delays[i - 1]}ms delay`,
      );
    }
    assert.equal(dead.attempts, 4);
    assert.equal(dead.lastError, 'Error: downstream is down');
    assert.equal((await s.stats()).scheduled, 0);
  });

  it('dead-letters a PermanentError at once', async () => {
    let calls = 0;
    const s = await service(
      { MAX_RETRIES: '5' },
      {
        'bad.payload': () => {
          calls++;
          throw new PermanentError('amount missing');
        },
      },
    );
    const id = await send(s, 'bad.payload');
    const dead = await waitFor(
      async () => (await s.store.peekDead(10)).find((e) => e.job.id === id),
      { what: 'DLQ' },
    );
    assert.equal(calls, 1);
    assert.equal(dead.attempts, 1);
    assert.equal(dead.lastError, 'PermanentError: amount missing');
  });

  it('treats throws of null, strings, objects and sync throws as failed attempts', async () => {
    const throwers: Record<string, Handler> = {
      'throws.null': () => {
        throw null;
      },
      'throws.string': async () => {
        throw 'just a string';
      },
      'throws.object': () => Promise.reject({ status: 502 }),
      'throws.undefined': async () => {
        throw undefined;
      },
    };
    const s = await service({ MAX_RETRIES: '0' }, throwers);
    const ids = new Map<string, string>();
    for (const type of Object.keys(throwers)) ids.set(await send(s, type), type);
    const dead = await waitFor(
      async () => {
        const entries = await s.store.peekDead(10);
        return entries.length === 4 ? entries : undefined;
      },
      { what: '4 DLQ entries' },
    );
    const errors = Object.fromEntries(dead.map((e) => [ids.get(e.job.id), e.lastError]));
    assert.deepEqual(errors, {
      'throws.null': 'non-Error thrown: null',
      'throws.string': 'non-Error thrown: just a string',
      'throws.object': 'non-Error thrown: {"status":502}',
      'throws.undefined': 'non-Error thrown: undefined',
    });
  });

  it('times out a hanging handler, aborts its signal and keeps the workers going', async () => {
    const aborted: unknown[] = [];
    let healthy = 0;
    const s = await service(
      { WORKER_COUNT: '2', TIMEOUT: '200ms', MAX_RETRIES: '0', RECLAIM_IDLE: '1s' },
      {
        'hangs.forever': (job) =>
          new Promise(() => {
            job.signal.addEventListener('abort', () => aborted.push(job.signal.reason));
          }),
        'healthy.job': () => {
          healthy++;
        },
      },
    );
    const hung = [await send(s, 'hangs.forever'), await send(s, 'hangs.forever')];
    for (let i = 0; i < 10; i++) await send(s, 'healthy.job');
    await waitFor(() => healthy === 10, { what: 'healthy jobs past the hung ones' });
    const dead = await waitFor(
      async () => {
        const entries = await s.store.peekDead(10);
        return entries.length === 2 ? entries : undefined;
      },
      { what: 'hung jobs in the DLQ' },
    );
    assert.deepEqual(dead.map((e) => e.job.id).sort(), hung.sort());
    // Still running, so not retried by the pool: taken back after RECLAIM_IDLE.
    for (const e of dead) assert.match(e.lastError, /^worker lost: no outcome within 1000ms/);
    assert.equal(aborted.length, 2);
    assert.equal(s.pool.busy, 0, 'the hung handlers no longer hold slots');
  });

  it('completes the jobs of a consumer that died holding them', async () => {
    const done = new Set<string>();
    const config = testConfig({ TIMEOUT: '100ms', RECLAIM_IDLE: '300ms' });
    // A consumer takes three jobs and dies without a word.
    const ghost: RedisStore = testStore(config, 'ghost');
    await ghost.init();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids)
      await ghost.enqueue(
        {
          id,
          type: 'user.created',
          source: 'default',
          payload: '{"id":"u"}',
          receivedAt: Date.now(),
        },
        undefined,
      );
    const held = await waitFor(async () => {
      const got = await ghost.claim(3, 50);
      return got.length === 3 ? got : undefined;
    });
    assert.equal(held.length, 3);
    await ghost.close();
    const s = await startedService(config, {
      log: silentLog,
      handlers: { 'user.created': (job) => void done.add(job.id) },
    });
    cleanups.push(async () => {
      await s.stop(2_000);
      const redis = redisClient();
      await dropQueue(redis, config.queueName);
      redis.disconnect();
    });
    await waitFor(() => done.size === 3, { what: 'reclaimed jobs', timeoutMs: 15_000 });
    assert.deepEqual([...done].sort(), ids.sort());
  });

  it('logs each job with job_id, source, event_type, attempt and duration_ms, never the payload at info', async () => {
    const captured = captureLogs('debug');
    const s = await service(
      { MAX_RETRIES: '1', RETRY_BASE_DELAY: '10ms', RETRY_MAX_DELAY: '20ms' },
      {
        'flaky.job': (job) => {
          job.log.info({ step: 'handler' }, 'handler line');
          if (job.attempt === 1) throw new Error('first try fails');
        },
      },
      captured.log,
    );
    const secret = `card-${randomUUID()}`;
    const id = await send(s, 'flaky.job', { card: secret });
    await waitFor(() => captured.lines.some((l) => l.msg === 'job completed' && l.job_id === id), {
      what: 'completion log',
    });
    const jobLines = captured.lines.filter((l) => l.job_id === id);
    assert.equal(
      jobLines.filter((l) => l.step === 'handler').length,
      2,
      'the handler logged through its job logger',
    );
    for (const line of jobLines) {
      for (const field of ['job_id', 'source', 'event_type', 'attempt', 'duration_ms'])
        assert.ok(field in line, `${field} in ${JSON.stringify(line)}`);
      assert.equal(line.source, 'default', JSON.stringify(line));
    }
    assert.deepEqual(
      jobLines.map((l) => l.attempt),
      [1, 1, 2, 2],
    );
    assert.ok(!captured.text().includes(secret), 'the payload never reaches the logs');
  });
});

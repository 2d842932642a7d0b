/**
 * Redis at maxmemory (noeviction): it refuses every command flagged `denyoom`,
 * and only finishing jobs frees memory. Every step that drains must therefore
 * work past the limit: starting, recovering after a reconnect, completing,
 * retrying, dead-lettering, reclaiming, handing back. Ingest is refused with a
 * 503, and /health warns before it comes to that.
 *
 * Memory is held past the limit for the whole of each test (see fillPastLimit),
 * so that nothing here passes because a finished job made room.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { type JobRecord, StoreUnavailableError } from '../../src/store/store.js';
import { postWebhook } from '../helpers/http.js';
import { OlderInstance } from '../helpers/older-layout.js';
import { fillPastLimit, refusesWrites } from '../helpers/redis-memory.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startedService, testConfig, testStore } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const MAXMEMORY = 32 * 1024 * 1024;
/** Well past what the jobs of a test free when they finish. */
const OVER_LIMIT = 1024 * 1024;

const job = (): JobRecord => ({
  id: randomUUID(),
  type: 'test.event',
  source: 'default',
  payload: JSON.stringify({ pad: 'p'.repeat(500) }),
  receivedAt: Date.now(),
});

describe('Redis at maxmemory', () => {
  let server: RedisServer;
  let direct: Redis;
  /** A store on the test's server, closed when the test ends. */
  const store = (t: TestContext, env: Record<string, string> = {}): RedisStore => {
    const s = testStore(testConfig({ REDIS_ADDR: server.addr, ...env }));
    t.after(() => s.close());
    return s;
  };
  const service = async (t: TestContext, env: Record<string, string>, opts = {}) => {
    const svc = await startedService(testConfig({ REDIS_ADDR: server.addr, ...env }), opts);
    t.after(() => svc.stop(2_000));
    return svc;
  };

  before(async () => {
    server = await RedisServer.start([
      '--maxmemory',
      String(MAXMEMORY),
      '--maxmemory-policy',
      'noeviction',
    ]);
    direct = new Redis(server.port, '127.0.0.1');
  });
  beforeEach(async () => {
    await direct.config('SET', 'maxmemory', String(MAXMEMORY));
    await direct.flushall();
  });
  after(async () => {
    direct.disconnect();
    await server.stop();
  });

  it('a fresh instance starts and drains the backlog while Redis is past the limit', async (t) => {
    const queue = { QUEUE_NAME: `full_${randomUUID().slice(0, 8)}` };
    const first = store(t, queue);
    await first.init();
    for (let i = 0; i < 20; i++) await first.enqueue(job(), { key: `k${i}`, ttlMs: 60_000 });
    await first.close();

    await fillPastLimit(direct, OVER_LIMIT);
    assert.ok(await refusesWrites(direct), 'Redis refuses writes that need memory');
    // As after a Redis restart: the scripts are loaded again, by EVAL, at the limit.
    await direct.script('FLUSH');

    const fresh = store(t, queue);
    await fresh.init();
    const got = await fresh.claim(50, 100);
    assert.equal(got.length, 20);
    await fresh.complete(got);
    assert.deepEqual(await fresh.stats(), { waiting: 0, inProgress: 0, scheduled: 0, dead: 0 });
    assert.ok(await refusesWrites(direct), 'it drained with memory still past the limit');
  });

  it('after its connections are killed past the limit, a consumer reconnects and drains', async (t) => {
    const s = store(t);
    await s.init();
    for (let i = 0; i < 10; i++) await s.enqueue(job(), undefined);
    const held = await s.claim(4, 100);
    assert.equal(held.length, 4);

    await fillPastLimit(direct, OVER_LIMIT);
    await direct.client('KILL', 'TYPE', 'normal');
    // The first claim after the kill may still find the connection reconnecting.
    const rest = await waitFor(
      async () => {
        const got = await s.claim(10, 100);
        return got.length > 0 ? got : undefined;
      },
      { what: 'a claim after the reconnect', timeoutMs: 10_000 },
    );
    assert.equal(rest.length, 6, 'the jobs still waiting, not the 4 it holds');
    await s.complete([...held, ...rest]);
    assert.deepEqual(await s.stats(), { waiting: 0, inProgress: 0, scheduled: 0, dead: 0 });
    assert.ok(await refusesWrites(direct), 'it drained with memory still past the limit');
  });

  it('retries, dead letters, hand-backs and reclaims all work past the limit', async (t) => {
    const queue = { QUEUE_NAME: `full_${randomUUID().slice(0, 8)}` };
    const a = store(t, queue);
    const b = store(t, queue);
    await a.init();
    await b.init();
    for (let i = 0; i < 4; i++) await a.enqueue(job(), undefined);
    const [retried, dead, released, abandoned] = await a.claim(4, 100);
    assert.ok(retried && dead && released && abandoned);

    await fillPastLimit(direct, OVER_LIMIT);
    assert.equal(await a.retryLater(retried, 0, 'failed once'), true);
    assert.equal(await a.promoteDue(10), 1, 'a due retry goes back to the stream');
    assert.equal(await a.deadLetter(dead, 3, 'failed for good'), true);
    assert.deepEqual(await a.release([released]), { released: 1, deadLettered: 0 });
    const reclaimed = await b.reclaimStale(0, 5);
    assert.equal(reclaimed.requeued, 1, 'the entry a still holds is taken back');
    assert.equal(typeof (await b.pruneConsumers(0)), 'number');
    assert.deepEqual(await b.deadLetters.trim({ maxLength: 10, maxAgeMs: 0 }), {
      byLength: 0,
      byAge: 0,
    });
    // An operator can list and delete dead letters there; a replay needs memory and is refused.
    const [entry] = (await b.deadLetters.list({ filter: {}, limit: 10 })).entries;
    assert.ok(entry);
    await assert.rejects(b.deadLetters.replay([entry.dlqId]), StoreUnavailableError);

    const again = await b.claim(10, 100);
    assert.equal(again.length, 3, 'the retried, the released and the reclaimed job');
    await b.complete(again);
    assert.deepEqual(await b.stats(), { waiting: 0, inProgress: 0, scheduled: 0, dead: 1 });
    assert.equal(await b.deadLetters.remove([entry.dlqId]), 1);
    assert.ok(await refusesWrites(direct), 'all of it with memory still past the limit');
  });

  it('the event log records claims and outcomes past the limit, and is trimmed there', async (t) => {
    const queue = { QUEUE_NAME: `full_${randomUUID().slice(0, 8)}` };
    const s = store(t, queue);
    await s.init();
    const jobs = [job(), job(), job()];
    for (const j of jobs) await s.enqueue(j, undefined);

    await fillPastLimit(direct, OVER_LIMIT);
    const [done, failed, dead] = await s.claim(3, 100);
    assert.ok(done && failed && dead);
    for (const d of [done, failed, dead]) {
      assert.equal((await s.events.get(d.job.id))?.state, 'delivering');
    }
    const report = { startedAt: Date.now(), durationMs: 5, status: 500 };
    await s.complete([done], [{ ...report, status: 200 }]);
    assert.equal(await s.retryLater(failed, 60_000, 'HTTP 500', report), true);
    assert.equal(await s.deadLetter(dead, 3, 'HTTP 500', report), true);
    const states = await Promise.all(jobs.map(async (j) => (await s.events.get(j.id))?.state));
    assert.deepEqual(states, ['delivered', 'retrying', 'dead']);
    const now = Date.now();
    const [minute] = await s.history.read(now - 120_000, now + 60_000).then((ms) => ms.slice(-1));
    assert.equal(minute?.deadLettered, 1);

    // A trim frees memory: it runs at the limit.
    const trimmer = testStore(
      testConfig({ REDIS_ADDR: server.addr, ...queue }),
      'trim',
      undefined,
      {
        maxEvents: 1,
        retentionMs: 3_600_000,
        payloads: true,
      },
    );
    t.after(() => trimmer.close());
    await trimmer.init();
    assert.equal(await trimmer.events.trim(), 2);
    assert.equal(await trimmer.events.size(), 1);
    assert.ok(await refusesWrites(direct), 'all of it with memory still past the limit');
  });

  it('jobs an older version left waiting in its stream are moved and drained past the limit', async (t) => {
    const queue = { QUEUE_NAME: `full_${randomUUID().slice(0, 8)}` };
    const older = new OlderInstance(direct, queue.QUEUE_NAME);
    await older.init();
    for (let i = 0; i < 5; i++) await older.enqueue(job());

    await fillPastLimit(direct, OVER_LIMIT);
    const s = store(t, queue);
    await s.init();
    // Its reclaim passes carry on a move that start-up could not make.
    await s.reclaimStale(60_000, 5);
    const got = await s.claim(10, 100);
    assert.equal(got.length, 5, 'the waiting jobs of the older stream');
    await s.complete(got);
    assert.equal(await direct.xlen(older.keys.stream), 0);
    assert.ok(await refusesWrites(direct), 'it drained with memory still past the limit');
  });

  it('jobs an older instance adds to its stream during a rolling deploy are moved past the limit', async (t) => {
    const queue = { QUEUE_NAME: `full_${randomUUID().slice(0, 8)}` };
    const older = new OlderInstance(direct, queue.QUEUE_NAME);
    await older.init();
    const s = store(t, queue);
    await s.init();
    for (let i = 0; i < 5; i++) await older.enqueue(job());

    await fillPastLimit(direct, OVER_LIMIT);
    await s.reclaimStale(60_000, 5);
    const got = await s.claim(10, 100);
    assert.equal(got.length, 5, 'the waiting jobs of the older stream');
    await s.complete(got);
    assert.equal(await direct.xlen(older.keys.stream), 0);
    assert.ok(await refusesWrites(direct), 'it drained with memory still past the limit');
  });

  it('ingest answers 503 store_unavailable past the limit, and /health warns with 200', async (t) => {
    const svc = await service(t, { BACKLOG_SAMPLE_INTERVAL: '50ms', RATE_LIMIT_PER_IP: '1000' });
    assert.equal((await postWebhook(svc.app, { id: 'before' })).statusCode, 202);
    const health = async () => (await svc.app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal((await health()).warning, undefined);

    const mem = await fillPastLimit(direct, OVER_LIMIT);
    const refused = await postWebhook(svc.app, { id: 'at-the-limit' });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.json().error.code, 'store_unavailable');
    assert.ok(refused.headers['retry-after']);

    // Memory is sampled on an interval: wait for a sample taken past the limit.
    const gauge = async (name: string) => {
      const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
    };
    await waitFor(
      async () =>
        (await gauge('webhook_redis_maxmemory_bytes')) === mem.max &&
        (await gauge('webhook_redis_used_memory_bytes')) > mem.max,
      { what: 'the gauges to show memory past maxmemory' },
    );
    const warned = await health();
    assert.equal(warned.status, 'healthy');
    assert.match(warned.warning, /^Redis memory is at \d+% of maxmemory/);

    await direct.config('SET', 'maxmemory', '0');
    assert.equal((await postWebhook(svc.app, { id: 'after' })).statusCode, 202);
    await waitFor(async () => (await health()).warning === undefined, {
      what: 'the warning to clear once memory has room',
    });
  });

  it('on a fresh queue past the limit, an instance comes up and creates its group once memory frees', async (t) => {
    await fillPastLimit(direct, OVER_LIMIT);
    const done: string[] = [];
    const svc = await service(
      t,
      { BACKLOG_SAMPLE_INTERVAL: '50ms' },
      { handlers: { 'test.event': async (j: { id: string }) => void done.push(j.id) } },
    );
    const health = await svc.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200, 'nothing queued yet is nothing unhealthy');
    const refused = await postWebhook(svc.app, {}, { 'x-event-type': 'test.event' });
    assert.equal(refused.statusCode, 503);

    await direct.config('SET', 'maxmemory', '0');
    const accepted = await postWebhook(svc.app, {}, { 'x-event-type': 'test.event' });
    assert.equal(accepted.statusCode, 202);
    await waitFor(() => done.includes(accepted.json().id), {
      what: 'the job to run',
      timeoutMs: 10_000,
    });
  });
});

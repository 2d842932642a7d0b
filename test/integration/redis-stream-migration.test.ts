/**
 * The job stream is named QUEUE_NAME, in the Cluster slot of the queue's other
 * keys; a queue left by an older version (whose job stream was `{QUEUE_NAME}`) is
 * drained into it with nothing lost and nothing run twice, also while instances
 * of the older version are still working on it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import { dedupeKey } from '../../src/ingest/event.js';
import { queueKeys } from '../../src/store/redis/keys.js';
import type { Delivery, JobRecord } from '../../src/store/store.js';
import { claimN, job } from '../conformance/jobs.js';
import { postWebhook } from '../helpers/http.js';
import { type OlderDelivery, OlderInstance } from '../helpers/older-layout.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startedService, testConfig, testStore, withService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const redis = redisClient();
const queues: string[] = [];
after(async () => {
  for (const q of queues) await dropQueue(redis, q);
  redis.disconnect();
});

/** A config on a fresh queue, dropped after the file. */
function config(env: Record<string, string> = {}) {
  const c = testConfig(env);
  queues.push(c.queueName);
  return c;
}

async function olderClaims(older: OlderInstance, n: number): Promise<OlderDelivery[]> {
  const got = await older.claim(n);
  assert.equal(got.length, n, 'the older instance read its jobs');
  return got;
}

async function olderClaimsOne(older: OlderInstance): Promise<OlderDelivery> {
  const [d] = await olderClaims(older, 1);
  assert.ok(d);
  return d;
}

const jobIdsIn = async (stream: string) =>
  ((await redis.xrange(stream, '-', '+')) as [string, string[]][]).map(
    ([, f]) => (JSON.parse(f[f.indexOf('job') + 1] as string) as JobRecord).id,
  );

describe('the job stream is named QUEUE_NAME', () => {
  it("shares a Cluster slot with the queue's other keys", async () => {
    const server = await RedisServer.start([
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
    ]);
    const cluster = redisClient(server.addr);
    try {
      const k = queueKeys('webhook_jobs');
      assert.equal(k.stream, 'webhook_jobs');
      const all = [
        k.stream,
        k.legacyStream,
        k.dlq,
        k.delayed,
        k.delayedData,
        `${k.idempotencyPrefix}abc`,
        `${k.rateLimitPrefix}ip:203.0.113.7`,
      ];
      const slots = await Promise.all(all.map((key) => cluster.cluster('KEYSLOT', key)));
      assert.equal(new Set(slots).size, 1, JSON.stringify(slots));
    } finally {
      cluster.disconnect();
      await server.stop();
    }
  });

  it('XLEN QUEUE_NAME counts the waiting jobs, and there is no {QUEUE_NAME} stream', async () => {
    await withService({ WORKER_COUNT: '0' }, async (service, c) => {
      for (let i = 0; i < 3; i++) {
        assert.equal((await postWebhook(service.app, { n: i })).statusCode, 202);
      }
      assert.equal(await redis.xlen(c.queueName), 3);
      assert.equal(await redis.exists(`{${c.queueName}}`), 0);
    });
  });
});

describe('a queue left by an older version', () => {
  it('is drained: nothing lost, nothing run twice, the DLQ and the other keys unchanged', async () => {
    const c = config({ TIMEOUT: '1s', RECLAIM_IDLE: '1500ms' });
    const q = c.queueName;
    const keys = queueKeys(q);
    const older = new OlderInstance(redis, q, 'older-stopped');
    await older.init();
    // Jobs its consumer held when it stopped: read, never finished.
    const held = [job(), job()];
    for (const j of held) await older.enqueue(j);
    await olderClaims(older, 2);
    // A failed attempt waiting for its retry, and a dead letter.
    const failing = job();
    await older.enqueue(failing);
    assert.equal(await older.retry(await olderClaimsOne(older), 300, 1, 'Error: boom'), 1);
    await older.enqueue(job());
    assert.equal(await older.deadLetter(await olderClaimsOne(older), 4, 'Error: gave up'), 1);
    // Waiting jobs, one of them accepted with an idempotency key.
    const keyed = job();
    await older.enqueue(keyed, 'order-42');
    const waiting = [keyed, job(), job()];
    for (const j of waiting.slice(1)) await older.enqueue(j);
    const dlqBefore = await redis.xrange(keys.dlq, '-', '+');
    assert.equal(dlqBefore.length, 1);

    // An ingest-only instance of this version: its start-up moves what is waiting.
    const ingest = await startedService({ ...c, workerCount: 0 });
    try {
      assert.equal(await redis.xlen(q), waiting.length, 'XLEN QUEUE_NAME counts the backlog');
      assert.equal(await redis.xlen(keys.legacyStream), held.length, 'held jobs stay put');
      assert.deepEqual((await jobIdsIn(q)).sort(), waiting.map((j) => j.id).sort());
      const again = await postWebhook(ingest.app, { n: 1 }, { 'idempotency-key': 'order-42' });
      assert.equal(again.json().status, 'duplicate');
      assert.equal(again.json().id, keyed.id, 'the idempotency key of the older version holds');
    } finally {
      await ingest.stop(2_000);
    }

    const runs = new Map<string, number[]>();
    const worker = await startedService(c, {
      handlers: new HandlerRegistry((j) => {
        runs.set(j.id, [...(runs.get(j.id) ?? []), j.attempt]);
      }),
    });
    try {
      const expected = [...held, failing, ...waiting].map((j) => j.id);
      await waitFor(
        async () =>
          expected.every((id) => runs.has(id)) &&
          (await redis.xlen(keys.legacyStream)) === 0 &&
          (await redis.xlen(q)) === 0 &&
          (await redis.zcard(keys.delayed)) === 0,
        { what: 'every job to run and the older stream to be drained', timeoutMs: 20_000 },
      );
      // Kept while its consumer may be a running older instance with nothing to do ...
      assert.equal(await redis.exists(keys.legacyStream), 1);
      assert.equal(Number((await redis.xpending(keys.legacyStream, keys.group))[0]), 0);
      // ... and removed by a later pass once that consumer has been idle for an hour.
      await older.goneAnHour();
      await waitFor(async () => (await redis.exists(keys.legacyStream)) === 0, {
        what: 'the drained older stream to be removed',
      });
      const attempts = Object.fromEntries(runs);
      assert.deepEqual(
        attempts,
        Object.fromEntries([
          ...held.map((j) => [j.id, [2]]), // the lost run counts as an attempt
          [failing.id, [2]],
          ...waiting.map((j) => [j.id, [1]]),
        ]),
        'each job ran once',
      );
      assert.deepEqual(await redis.xrange(keys.dlq, '-', '+'), dlqBefore, 'the DLQ is unchanged');
      // This version's own: the duplicate it suppressed is in its event log and history.
      const ofThisVersion = (k: string) =>
        k.startsWith(keys.events.index) || k.startsWith(keys.historyPrefix);
      assert.deepEqual(
        (await redis.keys(`{${q}}*`)).filter((k) => !ofThisVersion(k)).sort(),
        [keys.dlq, keys.idempotencyPrefix + dedupeKey('default', 'order-42')].sort(),
        'besides the job stream and the event log, the keys the older version left',
      );
    } finally {
      await worker.stop(2_000);
    }
  });

  it('while older instances still run: they keep their jobs, and what they add is moved', async () => {
    const c = config();
    const keys = queueKeys(c.queueName);
    const older = new OlderInstance(redis, c.queueName);
    await older.init();
    const live = [job(), job()];
    for (const j of live) await older.enqueue(j);
    const [done, flaky] = (await olderClaims(older, 2)) as [OlderDelivery, OlderDelivery];
    const waiting = job();
    await older.enqueue(waiting);

    const store = testStore(c);
    await store.init();
    try {
      assert.deepEqual(await jobIdsIn(c.queueName), [waiting.id]);
      let r = await store.reclaimStale(60_000, 4);
      assert.equal(r.requeued + r.deadLettered, 0, 'a job an older instance holds is not taken');
      assert.equal(Number((await redis.xpending(keys.legacyStream, keys.group))[0]), 2);

      // The older instance finishes its jobs by their ids in its own stream ...
      assert.equal(await older.complete([done]), 1);
      assert.equal(await older.retry(flaky, 0, 1, 'Error: flaky'), 1);
      assert.equal(await older.promoteDue(), 1);
      // ... and keeps accepting webhooks and replaying dead letters into it.
      const late = job();
      await older.enqueue(late);
      const dead = job();
      await store.enqueue(dead, undefined);
      const claimed = await claimN(store, 2);
      await store.complete(claimed.filter((x) => x.job.id === waiting.id));
      const d = claimed.find((x) => x.job.id === dead.id) as Delivery;
      assert.ok(await store.deadLetter(d, 4, 'Error: gave up'));
      const [dlqEntry] = await redis.xrange(keys.dlq, '-', '+');
      assert.ok(dlqEntry);
      assert.equal(await older.replay([dlqEntry[0]]), 1);

      r = await store.reclaimStale(60_000, 4);
      assert.equal(await redis.exists(keys.legacyStream), 1, 'kept while an older instance reads');
      const got = await claimN(store, 3);
      const byId = new Map(got.map((x) => [x.job.id, x]));
      assert.deepEqual([...byId.keys()].sort(), [flaky.job.id, late.id, dead.id].sort());
      assert.equal(byId.get(flaky.job.id)?.attempt, 2, 'moved with its fields as they were');
      assert.equal(byId.get(flaky.job.id)?.previousError, 'Error: flaky');
      assert.equal(byId.get(dead.id)?.attempt, 1, 'a replay starts its attempts again');
      await store.complete(got);
      assert.deepEqual(await store.claim(10, 1), [], 'the finished job was not handed out');

      // Drained; but a running older instance with nothing to do looks like this too ...
      await store.reclaimStale(1, 4);
      assert.equal(await redis.exists(keys.legacyStream), 1, 'kept: its consumer was seen lately');
      // ... so the stream goes only once that consumer has been idle for an hour.
      await older.goneAnHour();
      await store.reclaimStale(60_000, 4);
      assert.equal(await redis.exists(keys.legacyStream), 0, 'removed once drained and unread');
      // An older instance that writes after that recreates it, and the next pass drains it.
      const straggler = job();
      await older.enqueue(straggler);
      await store.reclaimStale(100, 4);
      assert.equal(await redis.exists(keys.legacyStream), 0);
      assert.deepEqual(await jobIdsIn(c.queueName), [straggler.id]);
    } finally {
      await store.close();
    }
  });

  it("takes a stopped older consumer's jobs as a reclaim does, out of attempts to the DLQ", async () => {
    const c = config();
    const keys = queueKeys(c.queueName);
    const older = new OlderInstance(redis, c.queueName);
    await older.init();
    const jobs: [JobRecord, JobRecord, JobRecord] = [job(), job(), job()];
    for (const j of jobs) await older.enqueue(j);
    const [, , gone] = (await olderClaims(older, 3)) as OlderDelivery[] as [
      OlderDelivery,
      OlderDelivery,
      OlderDelivery,
    ];
    await redis.xdel(keys.legacyStream, gone.handle); // its data deleted while pending
    const store = testStore(c);
    await store.init();
    try {
      const r = await waitFor(async () => {
        const res = await store.reclaimStale(50, 1);
        return res.deadLettered > 0 ? res : undefined;
      });
      assert.equal(r.deadLettered, 2);
      assert.deepEqual(r.missing, [gone.handle]);
      assert.equal(Number((await redis.xpending(keys.legacyStream, keys.group))[0]), 0);
      await older.goneAnHour();
      await store.reclaimStale(50, 1);
      assert.equal(await redis.exists(keys.legacyStream), 0, 'drained and removed');
      const dead = await store.peekDead(10);
      assert.deepEqual(
        dead.map((e) => [e.job.id, e.attempts]),
        [
          [jobs[0].id, 1],
          [jobs[1].id, 1],
        ],
      );
    } finally {
      await store.close();
    }
  });

  it('several instances starting at once move each waiting job once', async () => {
    const c = config();
    const older = new OlderInstance(redis, c.queueName);
    await older.init();
    const jobs = Array.from({ length: 300 }, () => job());
    await Promise.all(jobs.map((j) => older.enqueue(j)));
    const stores = [testStore(c), testStore(c), testStore(c)];
    try {
      await Promise.all(stores.map((s) => s.init()));
      const ids = await jobIdsIn(c.queueName);
      assert.equal(ids.length, jobs.length);
      assert.deepEqual([...ids].sort(), jobs.map((j) => j.id).sort());
      assert.equal(await redis.xlen(`{${c.queueName}}`), 0);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

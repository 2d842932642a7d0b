/**
 * How the Redis store claims: waiting jobs are read on the command connection
 * (sharing a round trip with acknowledgements), and a reply lost with either
 * connection leaves no job stranded in this consumer's pending list.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { type Delivery, type JobRecord, StoreUnavailableError } from '../../src/store/store.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { testConfig, testStore } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const job = (): JobRecord => ({
  id: randomUUID(),
  type: 'test.event',
  source: 'default',
  payload: '{}',
  receivedAt: Date.now(),
});

describe('redis store claims', () => {
  const config = testConfig();
  const redis = redisClient();
  const consumer = `claim-${randomUUID().slice(0, 8)}`;
  let store: RedisStore;

  before(async () => {
    store = testStore(config, consumer);
    await store.init();
  });
  after(async () => {
    await store.close();
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  });

  /** Kills the store's command connection from the server side. */
  async function dropCommandConnection(): Promise<void> {
    const clients = (await redis.client('LIST')) as string;
    const line = clients
      .split('\n')
      .find((l) => l.includes(` name=webhook-processor:${consumer} `));
    assert.ok(line, 'the command connection is listed');
    const id = /\bid=(\d+)/.exec(line)?.[1];
    await redis.client('KILL', 'ID', id as string);
  }

  async function reconnected(): Promise<void> {
    await waitFor(
      async () => {
        try {
          return (await store.client.ping()) === 'PONG';
        } catch {
          return false;
        }
      },
      { what: 'the command connection to reconnect' },
    );
  }

  /** A job claimed and run whose completion failed to write (the connection dropped). */
  async function ranButCompletionFailed(): Promise<Delivery> {
    const j = job();
    await store.enqueue(j, undefined);
    const [held] = await store.claim(10, 50);
    assert.ok(held);
    assert.equal(held.job.id, j.id);
    await dropCommandConnection();
    await waitFor(() => store.client.status !== 'ready', {
      what: 'the store to see its connection close',
    });
    await assert.rejects(store.complete([held]));
    await reconnected();
    return held;
  }

  it('reads waiting jobs in batches up to the number asked for', async () => {
    for (let i = 0; i < 5; i++) await store.enqueue(job(), undefined);
    const first = await store.claim(3, 50);
    assert.equal(first.length, 3);
    const rest = await store.claim(10, 50);
    assert.equal(rest.length, 2);
    await store.complete([...first, ...rest]);
    assert.deepEqual(await store.claim(10, 20), []);
  });

  it('after the command connection drops, takes back entries a lost reply left in its pending list', async () => {
    const ids = [job(), job()];
    for (const j of ids) await store.enqueue(j, undefined);
    // Entries delivered to this consumer whose reply never arrived (as when the
    // connection drops mid-reply): in our pending list, held by no one.
    await redis.xreadgroup(
      'GROUP',
      store.keys.group,
      consumer,
      'COUNT',
      10,
      'STREAMS',
      store.keys.stream,
      '>',
    );
    await dropCommandConnection();
    await reconnected();
    const recovered = await store.claim(10, 50);
    assert.deepEqual(recovered.map((d) => d.job.id).sort(), ids.map((j) => j.id).sort());
    await store.complete(recovered);
    const pending = (await redis.xpending(store.keys.stream, store.keys.group)) as [number];
    assert.equal(pending[0], 0);
  });

  it('does not hand out again a job whose completion failed to write', async () => {
    const held = await ranButCompletionFailed();
    // The job ran; re-reading our pending list after the reconnect must not run it
    // again (the reclaim deals with it after RECLAIM_IDLE). A loop of re-reads and
    // failed acknowledgements once ran the same jobs a hundred times.
    assert.deepEqual(await store.claim(10, 50), []);
    await store.complete([held]);
    const pending = (await redis.xpending(store.keys.stream, store.keys.group)) as [number];
    assert.equal(pending[0], 0);
  });

  it('leaves a held entry to age towards the reclaim: re-reading its pending list resets nothing', async () => {
    const held = await ranButCompletionFailed();
    const before = await pendingOf(held.handle);
    assert.deepEqual(await store.claim(10, 50), []);
    const after = await pendingOf(held.handle);
    assert.equal(after.deliveries, before.deliveries, 'the re-read did not deliver it again');
    assert.ok(after.idleMs >= before.idleMs, 'the re-read did not reset its idle time');
    // So the reclaim takes it back, counting the run whose outcome was lost.
    const taken = await waitFor(
      async () => {
        const r = await store.reclaimStale(300, 4);
        return r.requeued > 0 ? r : undefined;
      },
      { what: 'the reclaim to take back the entry' },
    );
    assert.equal(taken.requeued, 1);
    const [again] = await store.claim(10, 50);
    assert.equal(again?.job.id, held.job.id);
    assert.equal(again?.attempt, 2);
    await store.complete([again as NonNullable<typeof again>]);
  });

  it('does not read jobs while its command connection is down (their outcome could not be written)', async () => {
    await store.enqueue(job(), undefined);
    await dropCommandConnection();
    await waitFor(() => store.client.status !== 'ready', {
      what: 'the store to see its connection close',
    });
    await assert.rejects(store.claim(10, 50), StoreUnavailableError);
    await reconnected();
    const got = await store.claim(10, 50);
    assert.equal(got.length, 1);
    await store.complete(got);
  });

  it('moves an entry whose job is not a job envelope to the dead-letter queue instead of running it', async () => {
    const before = await redis.xlen(store.keys.dlq);
    await redis.xadd(store.keys.stream, '*', 'job', 'null', 'attempt', '0');
    assert.deepEqual(await store.claim(10, 50), []);
    await waitFor(async () => (await redis.xlen(store.keys.dlq)) === before + 1, {
      what: 'the malformed entry in the dead-letter queue',
    });
    const pending = (await redis.xpending(store.keys.stream, store.keys.group)) as [number];
    assert.equal(pending[0], 0);
  });

  it('reclaims an entry this service did not write into the dead-letter queue, with its fields', async () => {
    const before = await redis.xlen(store.keys.dlq);
    await redis.xadd(store.keys.stream, '*', 'foo', 'bar');
    // A consumer that read it and died.
    await redis.xreadgroup(
      'GROUP',
      store.keys.group,
      `ghost-${randomUUID().slice(0, 8)}`,
      'COUNT',
      10,
      'STREAMS',
      store.keys.stream,
      '>',
    );
    const taken = await waitFor(
      async () => {
        const r = await store.reclaimStale(100, 4);
        return r.deadLettered > 0 ? r : undefined;
      },
      { what: 'the reclaim to take the entry' },
    );
    assert.deepEqual(taken, { requeued: 0, deadLettered: 1, missing: [] });
    const dead = (await redis.xrange(store.keys.dlq, '-', '+')) as [string, string[]][];
    assert.equal(dead.length, before + 1);
    const fields = dead[dead.length - 1]?.[1] ?? [];
    assert.equal(fields[fields.indexOf('job') + 1], '["foo","bar"]');
    assert.equal(fields[fields.indexOf('err') + 1], 'malformed stream entry: no job field');
    assert.equal(await redis.xlen(store.keys.stream), 0);
  });

  async function pendingOf(handle: string): Promise<{ idleMs: number; deliveries: number }> {
    const [row] = (await redis.xpending(
      store.keys.stream,
      store.keys.group,
      handle,
      handle,
      1,
    )) as [string, string, number, number][];
    assert.ok(row, 'the entry is pending');
    return { idleMs: row[2], deliveries: row[3] };
  }
});

/**
 * What only the Redis DLQ has to handle: entries written before they carried
 * type and source fields, entries not written by the service, and a filtered
 * listing over a DLQ longer than one request's scan budget.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import type { DeadLetterSummary, JobRecord } from '../../src/store/store.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { testConfig, testStore } from '../helpers/service.js';

describe('Redis dead letters', () => {
  const config = testConfig();
  const redis = redisClient();
  let store: RedisStore;
  before(async () => {
    store = testStore(config, 'dlq');
    await store.init();
  });
  after(async () => {
    await store.close();
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  });

  const envelope = (type: string, source: string): JobRecord => ({
    id: randomUUID(),
    type,
    source,
    payload: '{"n":1}',
    receivedAt: 1_700_000_000_123,
  });

  async function listAll(filter = {}): Promise<DeadLetterSummary[]> {
    const out: DeadLetterSummary[] = [];
    let after: string | undefined;
    do {
      const page = await store.deadLetters.list({
        filter,
        limit: 100,
        ...(after ? { after } : {}),
      });
      out.push(...page.entries);
      after = page.next;
    } while (after);
    return out;
  }

  it('lists entries of the older format (no type or source fields) from their envelope', async () => {
    const job = envelope('legacy.event', 'github');
    await redis.xadd(
      store.keys.dlq,
      '*',
      'job',
      JSON.stringify(job),
      'attempts',
      '3',
      'err',
      'old',
      'failed_at',
      '1',
    );
    const [entry] = await listAll({ type: 'legacy.event', source: 'github' });
    assert.deepEqual(
      { ...entry, dlqId: '' },
      {
        dlqId: '',
        jobId: job.id,
        type: 'legacy.event',
        source: 'github',
        receivedAt: job.receivedAt,
        attempts: 3,
        lastError: 'old',
        failedAt: 1,
      },
    );
    assert.equal(await store.deadLetters.replay([entry?.dlqId as string]), 1);
    await store.complete(await store.claim(10, 100));
  });

  it('lists an entry without a job but never replays it', async () => {
    const id = await redis.xadd(store.keys.dlq, '*', 'something', 'else');
    assert.ok(id);
    assert.ok((await listAll()).some((e) => e.dlqId === id));
    assert.equal(await store.deadLetters.get(id), undefined);
    assert.equal(await store.deadLetters.replay([id]), 0);
    assert.equal(await redis.xlen(store.keys.dlq), 1, 'it stays for an operator to delete');
    assert.equal(await store.deadLetters.remove([id]), 1);
  });

  it('answers a selective filter over a long DLQ in bounded pages that a cursor continues', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 12_000; i++) {
      const type = i === 11_999 ? 'needle' : 'hay';
      pipeline.xadd(
        store.keys.dlq,
        '*',
        'job',
        '{}',
        'job_id',
        `j${i}`,
        'type',
        type,
        'source',
        's',
        'received_at',
        '0',
        'attempts',
        '1',
        'err',
        'e',
        'failed_at',
        '0',
      );
    }
    await pipeline.exec();
    const first = await store.deadLetters.list({ filter: { type: 'needle' }, limit: 10 });
    assert.deepEqual(first.entries, [], 'the scan budget ran out before the match');
    assert.ok(first.next, 'with a cursor to continue');
    const second = await store.deadLetters.list({
      filter: { type: 'needle' },
      limit: 10,
      after: first.next,
    });
    assert.deepEqual(
      second.entries.map((e) => e.jobId),
      ['j11999'],
    );
    assert.equal(second.next, undefined);
  });
});

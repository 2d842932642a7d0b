/**
 * Redis stores opened directly on fresh queues, for one test file: each queue is
 * its own, and after the file its stores are closed and its queues dropped.
 */
import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import type { Redis } from 'ioredis';
import type { EventLogOptions } from '../../src/store/event-log.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisOf } from './config.js';
import { dropQueue, redisClient } from './redis.js';
import { silentLog, testConfig } from './service.js';

/** An event log small enough for a test, keeping payloads. */
export const LOG_ON: EventLogOptions = { maxEvents: 1_000, retentionMs: 3_600_000, payloads: true };

export interface OpenOptions {
  /** Omitted: the store's own default. */
  eventLog?: EventLogOptions | undefined;
  /** Omitted: a fresh queue. The same name opens another consumer of that queue. */
  queue?: string | undefined;
  consumer?: string;
  /** Destinations whose lanes are opened before init. */
  lanes?: readonly string[];
}

export function redisStores(): { redis: Redis; open(o?: OpenOptions): Promise<RedisStore> } {
  const redis = redisClient();
  const opened: RedisStore[] = [];
  const queues = new Set<string>();
  after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    for (const q of queues) await dropQueue(redis, q);
    redis.disconnect();
  });
  async function open(o: OpenOptions = {}): Promise<RedisStore> {
    const queue = o.queue ?? testConfig().queueName;
    queues.add(queue);
    const store = new RedisStore({
      redis: redisOf(testConfig({ QUEUE_NAME: queue })),
      queueName: queue,
      consumer: o.consumer ?? `c-${randomUUID().slice(0, 6)}`,
      log: silentLog,
      ...(o.eventLog ? { eventLog: o.eventLog } : {}),
    });
    for (const lane of o.lanes ?? []) store.lane(lane);
    await store.init();
    opened.push(store);
    return store;
  }
  return { redis, open };
}

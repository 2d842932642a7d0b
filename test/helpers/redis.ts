/** The test Redis (REDIS_ADDR, default 127.0.0.1:6379) and per-test queue names. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_ADDR = process.env.REDIS_ADDR ?? '127.0.0.1:6379';

export function uniqueQueue(label = 'q'): string {
  return `test_${label}_${randomBytes(5).toString('hex')}`;
}

export function redisClient(addr = REDIS_ADDR): Redis {
  const i = addr.lastIndexOf(':');
  return new Redis({
    host: addr.slice(0, i),
    port: Number(addr.slice(i + 1)),
    lazyConnect: false,
    maxRetriesPerRequest: 1,
  });
}

/** Deletes every key of a queue: its job stream (named as the queue) and the keys under its hash tag. */
export async function dropQueue(redis: Redis, queueName: string): Promise<void> {
  await redis.del(queueName);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${queueName}}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

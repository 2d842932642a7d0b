/**
 * Redis at its memory limit, for tests of a redis-server of their own that was
 * started with `--maxmemory … --maxmemory-policy noeviction`.
 */
import type { Redis } from 'ioredis';

const FILLER_BYTES = 64 * 1024;

export interface RedisMemory {
  used: number;
  max: number;
}

export async function redisMemory(redis: Redis): Promise<RedisMemory> {
  const info = (await redis.info('memory')) as string;
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  return { used: field('used_memory'), max: field('maxmemory') };
}

/**
 * Fills memory with keys of no queue until Redis refuses a write for want of
 * memory, then lowers `maxmemory` to `overBytes` below what is used. Redis
 * refuses a write that would pass the limit, so filling alone leaves memory at
 * it, and the first job finished brings it under again; lowering the limit holds
 * it over for as long as a test needs (as an operator who lowers maxmemory
 * would). Returns the memory figures at the end.
 */
export async function fillPastLimit(redis: Redis, overBytes: number): Promise<RedisMemory> {
  const value = 'f'.repeat(FILLER_BYTES);
  for (let i = 0; ; i++) {
    try {
      await redis.set(`filler:${i}`, value);
    } catch (err) {
      if (!String((err as Error).message).startsWith('OOM')) throw err;
      break;
    }
  }
  const { used } = await redisMemory(redis);
  await redis.config('SET', 'maxmemory', String(Math.max(1, used - overBytes)));
  return redisMemory(redis);
}

/** True when Redis refuses a write that needs memory, as it does past `maxmemory`. */
export async function refusesWrites(redis: Redis): Promise<boolean> {
  try {
    await redis.set('filler:probe', '1');
    await redis.del('filler:probe');
    return false;
  } catch (err) {
    if (String((err as Error).message).startsWith('OOM')) return true;
    throw err;
  }
}

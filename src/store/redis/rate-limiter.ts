/**
 * Rate-limit counters in Redis, so that a limit holds across every instance
 * sharing the queue. One script call per check (INCR and expiry in one step);
 * the counters carry the queue's hash tag, like every other key of the queue but
 * its job stream (which shares their slot, see keys.ts).
 *
 * It fits ingest's `RateLimiter` by shape, so the store does not depend on ingest.
 */
import type { Redis } from 'ioredis';
import type { QueueKeys } from './keys.js';
import { QueueScripts } from './scripts.js';

export class RedisRateLimiter {
  private readonly scripts: QueueScripts;

  /** `client` is the store's command connection (bounded command time, no offline queue). */
  constructor(
    client: Redis,
    private readonly keys: QueueKeys,
  ) {
    this.scripts = new QueueScripts(client);
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const [count, resetInMs] = await this.scripts.rateLimit(
      this.keys.rateLimitPrefix + key,
      windowMs,
    );
    return { count, resetInMs };
  }
}

/**
 * The Redis Streams store as a driver: built from REDIS_URL / REDIS_ADDR, shared
 * by every instance on the queue, and so the home of the shared rate-limit counters.
 */
import { MemoryRateLimiter } from '../../ingest/rate-limit.js';
import type { StoreDriver } from '../driver.js';
import { REDIS_EVENT_LOG_MAX_DEFAULT } from './event-log.js';
import { RedisRateLimiter } from './rate-limiter.js';
import { RedisStore } from './redis-store.js';
import { REDIS_VARIABLES, type RedisConfig, readRedisConfig } from './settings.js';

export const redisDriver: StoreDriver<RedisConfig> = {
  kind: 'redis',
  title: 'Redis',
  variables: REDIS_VARIABLES,
  chosenBy: ['REDIS_URL', 'REDIS_ADDR'],
  eventLogMaxDefault: REDIS_EVENT_LOG_MAX_DEFAULT,
  readOptions: readRedisConfig,
  redactOptions: ({ password, ...rest }) => ({
    ...rest,
    password: password === undefined ? undefined : '[redacted]',
  }),
  create(config, options, consumer, log) {
    return new RedisStore({
      redis: options,
      queueName: config.queueName,
      consumer,
      log,
      eventLog: config.eventLog,
    });
  },
  rateLimiter(store) {
    // A store of this kind the embedding program built some other way has no
    // connection to share: its counters stay in this process.
    return store instanceof RedisStore
      ? new RedisRateLimiter(store.client, store.keys)
      : new MemoryRateLimiter();
  },
  announce(location, why) {
    return `Redis at ${location} (${why}).`;
  },
  howToChoose:
    'To use Redis instead, and run several instances on one queue, set REDIS_URL (or REDIS_ADDR, or STORE=redis).',
};

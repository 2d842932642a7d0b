/** Building services and stores for tests: real Redis, silent logs, unique queues. */
import { after, before } from 'node:test';
import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { createService, type Service, type ServiceOptions } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { EventLogOptions } from '../../src/store/event-log.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisOf } from './config.js';
import { dropQueue, REDIS_ADDR, redisClient, uniqueQueue } from './redis.js';

export const silentLog = pino({ level: 'silent' });

/** A Config as the service would read it from these variables, on a fresh queue. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_ADDR,
    QUEUE_NAME: uniqueQueue(),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export function testStore(
  config: Config,
  consumer = `c-${Math.random().toString(16).slice(2, 8)}`,
  log: Logger = silentLog,
  eventLog?: EventLogOptions,
): RedisStore {
  return new RedisStore({
    redis: redisOf(config),
    queueName: config.queueName,
    consumer,
    log,
    ...(eventLog ? { eventLog } : {}),
  });
}

/** A started service (store initialised, workers running, HTTP ready for inject). */
export async function startedService(
  config: Config,
  opts: Omit<ServiceOptions, 'config'> = {},
): Promise<Service> {
  const service = createService({ config, log: silentLog, processMetrics: false, ...opts });
  await service.start();
  return service;
}

/**
 * Runs `body` against a started service on a fresh queue built from `env`, then
 * stops it and deletes the queue's keys.
 */
export async function withService<T>(
  env: Record<string, string>,
  body: (service: Service, config: Config) => Promise<T>,
  opts: Omit<ServiceOptions, 'config'> = {},
): Promise<T> {
  const config = testConfig(env);
  const redis = redisClient();
  const service = await startedService(config, opts);
  try {
    return await body(service, config);
  } finally {
    await service.stop(2_000);
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  }
}

/**
 * For a describe block: registers hooks that start a service on a fresh queue
 * before its tests and stop it and delete the queue's keys after them.
 */
export function serviceForSuite(
  env: Record<string, string>,
  opts: Omit<ServiceOptions, 'config'> = {},
): { readonly config: Config; readonly redis: Redis; readonly service: Service } {
  const config = testConfig(env);
  const redis = redisClient();
  let service: Service | undefined;
  before(async () => {
    service = await startedService(config, opts);
  });
  after(async () => {
    await service?.stop(2_000);
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  });
  return {
    config,
    redis,
    get service(): Service {
      if (!service) throw new Error('the service starts in the before hook');
      return service;
    },
  };
}

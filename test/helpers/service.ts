/** Building services and stores for tests: real Redis, silent logs, unique queues. */
import { pino } from 'pino';
import { createService, type Service, type ServiceOptions } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { REDIS_ADDR, uniqueQueue } from './redis.js';

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
): RedisStore {
  return new RedisStore({
    redis: config.redis,
    queueName: config.queueName,
    consumer,
    log: silentLog,
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

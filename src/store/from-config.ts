/**
 * Which store the configuration asks for, built, and the start-up line that
 * says which one it is, where it lives, and how to switch.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { RedisStore } from './redis/redis-store.js';
import { queueFile, SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export function createStore(config: Config, consumer: string, log: Logger): Store {
  const storeLog = log.child({ component: 'store' });
  if (config.store === 'sqlite') {
    return new SqliteStore({
      file: queueFile(config.sqlite.dataDir, config.queueName),
      consumer,
      log: storeLog,
      commitWindowMs: config.sqlite.commitWindowMs,
      eventLog: config.eventLog,
    });
  }
  return new RedisStore({
    redis: config.redis,
    queueName: config.queueName,
    consumer,
    log: storeLog,
    eventLog: config.eventLog,
  });
}

const CHOSEN_BY: Record<Config['storeChosenBy'], string> = {
  STORE: 'STORE is set',
  REDIS_URL: 'REDIS_URL is set',
  REDIS_ADDR: 'REDIS_ADDR is set',
  default: 'neither STORE, REDIS_URL nor REDIS_ADDR is set',
};

/** One line for the log at start: the store, where it lives, why, and the alternative. */
export function storeStartupMessage(config: Config, store: Store): string {
  const why =
    config.store === store.kind
      ? CHOSEN_BY[config.storeChosenBy]
      : 'given by the embedding program';
  if (store.kind === 'sqlite') {
    return `queue store: embedded SQLite at ${store.location} (${why}); this process owns the file. To use Redis instead, and run several instances on one queue, set REDIS_URL (or REDIS_ADDR, or STORE=redis).`;
  }
  return `queue store: Redis at ${store.location} (${why}). For the embedded store on one machine, set STORE=sqlite (and DATA_DIR).`;
}

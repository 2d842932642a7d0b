/**
 * The embedded SQLite store as a driver: one file per queue in DATA_DIR, owned
 * by one process, so its rate-limit counters live in that process's memory.
 */
import { MemoryRateLimiter } from '../../ingest/rate-limit.js';
import type { StoreDriver } from '../driver.js';
import { queueFile, SQLITE_EVENT_LOG_MAX_DEFAULT, SqliteStore } from './sqlite-store.js';

export const sqliteDriver: StoreDriver = {
  kind: 'sqlite',
  title: 'SQLite',
  chosenBy: [],
  eventLogMaxDefault: SQLITE_EVENT_LOG_MAX_DEFAULT,
  create(config, consumer, log) {
    return new SqliteStore({
      file: queueFile(config.sqlite.dataDir, config.queueName),
      consumer,
      log,
      commitWindowMs: config.sqlite.commitWindowMs,
      eventLog: config.eventLog,
    });
  },
  rateLimiter() {
    return new MemoryRateLimiter();
  },
  announce(location, why) {
    return `embedded SQLite at ${location} (${why}); this process owns the file.`;
  },
  howToChoose: 'For the embedded store on one machine, set STORE=sqlite (and DATA_DIR).',
};

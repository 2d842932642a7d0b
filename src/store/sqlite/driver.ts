/**
 * The embedded SQLite store as a driver: one file per queue in DATA_DIR, owned
 * by one process, so its rate-limit counters live in that process's memory.
 */
import { resolve } from 'node:path';
import { formatDuration } from '../../config/duration.js';
import { MemoryRateLimiter } from '../../ingest/rate-limit.js';
import type { StoreDriver } from '../driver.js';
import { queueFile, SQLITE_EVENT_LOG_MAX_DEFAULT, SqliteStore } from './sqlite-store.js';

export interface SqliteConfig {
  /** Absolute directory that holds the database file (DATA_DIR). */
  dataDir: string;
  /** How long ingest writes gather before one fsynced commit; 0 = one event-loop turn. */
  commitWindowMs: number;
}

/** A commit window past this adds latency to every 202 and gains nothing. */
const MAX_COMMIT_WINDOW_MS = 1_000;

export const sqliteDriver: StoreDriver<SqliteConfig> = {
  kind: 'sqlite',
  title: 'SQLite',
  variables: [
    {
      name: 'DATA_DIR',
      default: './data',
      meaning:
        "Directory of the [embedded store](sqlite-store.md)'s database file, `<QUEUE_NAME>.sqlite`.",
    },
    {
      name: 'SQLITE_COMMIT_WINDOW',
      default: '2ms',
      meaning:
        'Embedded store: how long ingest writes gather into one commit (`0` = one event-loop turn; at most `1s`).',
    },
  ],
  chosenBy: [],
  eventLogMaxDefault: SQLITE_EVENT_LOG_MAX_DEFAULT,
  readOptions(r) {
    const commitWindowMs = r.duration('SQLITE_COMMIT_WINDOW', 2, { allowZero: true });
    if (commitWindowMs > MAX_COMMIT_WINDOW_MS) {
      r.problems.push(
        `SQLITE_COMMIT_WINDOW (${formatDuration(commitWindowMs)}) must be at most ${formatDuration(MAX_COMMIT_WINDOW_MS)}`,
      );
    }
    const dataDir = r.raw('DATA_DIR', { set: 'a directory', unset: 'to use the default (./data)' });
    return { dataDir: resolve(dataDir ?? './data'), commitWindowMs };
  },
  redactOptions: (options) => options,
  create(config, options, consumer, log) {
    return new SqliteStore({
      file: queueFile(options.dataDir, config.queueName),
      consumer,
      log,
      commitWindowMs: options.commitWindowMs,
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

/**
 * The in-repo stores the conformance suite (src/store/conformance) runs against.
 * Each factory gives a fresh, isolated queue; `open` may be called again for a
 * second consumer of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StoreFactory, storeHarness } from '../../src/store/conformance/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { silentLog, testConfig, testStore } from '../helpers/service.js';

export type { StoreFactory, StoreHarness } from '../../src/store/conformance/index.js';

export const STORES: StoreFactory[] = [
  {
    name: 'sqlite',
    harness(opts = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'wp-conformance-'));
      return storeHarness(
        (consumer, o) =>
          new SqliteStore({
            file: join(dir, 'queue.sqlite'),
            consumer,
            log: silentLog,
            commitWindowMs: 2,
            ...(o.eventLog ? { eventLog: o.eventLog } : {}),
          }),
        opts,
        async () => rmSync(dir, { recursive: true, force: true }),
      );
    },
  },
  {
    name: 'redis',
    harness(opts = {}) {
      const config = testConfig();
      return storeHarness(
        (consumer, o) => testStore(config, consumer, silentLog, o.eventLog),
        opts,
        async () => {
          const redis = redisClient();
          await dropQueue(redis, config.queueName);
          redis.disconnect();
        },
      );
    },
  },
];

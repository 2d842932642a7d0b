/**
 * The stores the conformance suite runs against. Each factory gives a fresh,
 * isolated queue; `open` may be called again for a second consumer of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { silentLog, testConfig, testStore } from '../helpers/service.js';

export interface StoreHarness {
  /** A store on this queue with its own consumer name. */
  open(consumer: string): Promise<Store>;
  /** Closes every store opened so far, as a stopping process would; the data stays. */
  restart(): Promise<void>;
  /** Closes every store opened and removes the queue's data. */
  cleanup(): Promise<void>;
}

export interface StoreFactory {
  name: string;
  harness(): StoreHarness;
}

export const STORES: StoreFactory[] = [
  {
    name: 'sqlite',
    harness() {
      const dir = mkdtempSync(join(tmpdir(), 'wp-conformance-'));
      const opened: Store[] = [];
      return {
        async open(consumer) {
          const store = new SqliteStore({
            file: join(dir, 'queue.sqlite'),
            consumer,
            log: silentLog,
            commitWindowMs: 2,
          });
          await store.init();
          opened.push(store);
          return store;
        },
        async restart() {
          await Promise.all(opened.splice(0).map((s) => s.close()));
        },
        async cleanup() {
          await Promise.all(opened.map((s) => s.close()));
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'redis',
    harness() {
      const config = testConfig();
      const opened: Store[] = [];
      return {
        async open(consumer) {
          const store = testStore(config, consumer);
          await store.init();
          opened.push(store);
          return store;
        },
        async restart() {
          await Promise.all(opened.splice(0).map((s) => s.close()));
        },
        async cleanup() {
          await Promise.all(opened.map((s) => s.close()));
          const redis = redisClient();
          await dropQueue(redis, config.queueName);
          redis.disconnect();
        },
      };
    },
  },
];

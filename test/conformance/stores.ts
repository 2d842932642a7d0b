/**
 * The stores the conformance suite runs against. Each factory gives a fresh,
 * isolated queue; `open` may be called again for a second consumer of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventLogOptions } from '../../src/store/event-log.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { silentLog, testConfig, testStore } from '../helpers/service.js';

export interface StoreHarness {
  /** A store on this queue with its own consumer name (`opts`: other than the harness's). */
  open(consumer: string, opts?: HarnessOptions): Promise<Store>;
  /** Closes every store opened so far, as a stopping process would; the data stays. */
  restart(): Promise<void>;
  /** Closes every store opened and removes the queue's data. */
  cleanup(): Promise<void>;
}

/** What a harness's stores are opened with, beyond the defaults. */
export interface HarnessOptions {
  eventLog?: EventLogOptions;
}

export interface StoreFactory {
  name: string;
  harness(opts?: HarnessOptions): StoreHarness;
}

/** A harness from how to make a store of the queue and how to remove the queue's data. */
function harnessOf(
  make: (consumer: string, opts: HarnessOptions) => Store,
  defaults: HarnessOptions,
  removeData: () => Promise<void>,
) {
  const opened: Store[] = [];
  const closeAll = () => Promise.all(opened.splice(0).map((s) => s.close()));
  return {
    async open(consumer: string, opts?: HarnessOptions) {
      const store = make(consumer, opts ?? defaults);
      await store.init();
      opened.push(store);
      return store;
    },
    async restart() {
      await closeAll();
    },
    async cleanup() {
      await closeAll();
      await removeData();
    },
  };
}

export const STORES: StoreFactory[] = [
  {
    name: 'sqlite',
    harness(opts = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'wp-conformance-'));
      return harnessOf(
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
      return harnessOf(
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

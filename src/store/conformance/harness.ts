/**
 * What the conformance suite needs of a store backend: a factory of isolated
 * queues, each opened as often as a test needs consumers of it.
 */
import type { EventLogOptions } from '../event-log.js';
import type { Store } from '../store.js';

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
  /** Shown in every suite's title. */
  name: string;
  /** A fresh queue, empty and shared with no other harness. */
  harness(opts?: HarnessOptions): StoreHarness;
}

/**
 * A harness from how to make a store of one queue (not yet initialised) and how
 * to remove that queue's data; it initialises what it opens and closes it all.
 */
export function storeHarness(
  make: (consumer: string, opts: HarnessOptions) => Store,
  defaults: HarnessOptions,
  removeData: () => Promise<void>,
): StoreHarness {
  const opened: Store[] = [];
  const closeAll = async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  };
  return {
    async open(consumer, opts) {
      const store = make(consumer, opts ?? defaults);
      await store.init();
      opened.push(store);
      return store;
    },
    restart: closeAll,
    async cleanup() {
      await closeAll();
      await removeData();
    },
  };
}

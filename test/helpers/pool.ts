/** A worker pool on a store of the conformance suite's, with handlers a test controls. */
import { randomUUID } from 'node:crypto';
import { type HandlerEntry, HandlerRegistry } from '../../src/handlers/registry.js';
import { Metrics } from '../../src/metrics.js';
import type { Store } from '../../src/store/store.js';
import { WorkerPool, type WorkerPoolOptions } from '../../src/worker/pool.js';
import type { StoreHarness } from '../conformance/stores.js';
import { silentLog } from './service.js';

export interface PoolRig {
  pool: WorkerPool;
  store: Store;
  metrics: Metrics;
  /** Enqueues a job of `type`; returns its id. */
  send(type: string): Promise<string>;
  /** A metric's value as /metrics shows it, summed over its labels (0 when absent). */
  metric(name: string): Promise<number>;
}

/** Options the tests vary; the rest are fixed (a backoff of 1 ms, fast promotion). */
export type PoolSettings = Partial<
  Pick<
    WorkerPoolOptions,
    'concurrency' | 'jobTimeoutMs' | 'maxRetries' | 'reclaimIdleMs' | 'log' | 'backoff'
  >
>;

const started: WorkerPool[] = [];

/** Stops every pool poolOn started (an afterEach hook, before the stores close). */
export async function stopPools(): Promise<void> {
  await Promise.all(started.splice(0).map((p) => p.stop(100, 100)));
}

export async function poolOn(
  h: StoreHarness,
  handlers: Record<string, HandlerEntry>,
  settings: PoolSettings = {},
): Promise<PoolRig> {
  const store = await h.open(`pool-${randomUUID().slice(0, 8)}`);
  const registry = new HandlerRegistry(() => undefined).onAll(handlers);
  const metrics = new Metrics(Object.keys(handlers), { processMetrics: false });
  const pool = new WorkerPool({
    store,
    handlers: registry,
    metrics,
    log: silentLog,
    concurrency: 2,
    jobTimeoutMs: 5_000,
    maxRetries: 3,
    backoff: () => 1,
    reclaimIdleMs: 30_000,
    promoteIntervalMs: 20,
    ...settings,
  });
  pool.start();
  started.push(pool);
  return {
    pool,
    store,
    metrics,
    async send(type) {
      const id = randomUUID();
      await store.enqueue(
        { id, type, source: 'default', payload: '{}', receivedAt: Date.now() },
        undefined,
      );
      return id;
    },
    async metric(name) {
      const text = await metrics.registry.metrics();
      return text
        .split('\n')
        .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    },
  };
}

/** A promise the test resolves when it chooses: a handler waits on it, ignoring its signal. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open: () => open() };
}

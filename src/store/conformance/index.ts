/**
 * The store conformance suite: what every store must do, as node:test suites
 * a backend registers against itself. A behaviour that holds on one store only
 * is a bug. The in-repo Redis and SQLite stores run exactly this.
 *
 *   import { runStoreConformance } from 'webhook-processor/conformance';
 *   runStoreConformance({ name: 'mine', harness: () => storeHarness(make, {}, drop) });
 *
 * Run the file with `node --test`; it needs the store's backing service, nothing of ours.
 */
import { deadLetterConformance } from './dead-letters.js';
import { destinationStateConformance } from './destination-states.js';
import { bulkReplayConformance } from './dlq-bulk.js';
import { eventLogConformance } from './event-log.js';
import type { StoreFactory } from './harness.js';
import { deliveryQueueConformance } from './lanes.js';
import { lifecycleConformance } from './lifecycle.js';
import { queueConformance } from './queue.js';

export {
  type HarnessOptions,
  type StoreFactory,
  type StoreHarness,
  storeHarness,
} from './harness.js';

/** The suite's parts, each one concern of the Store contract. */
export const CONFORMANCE_PARTS = {
  queue: queueConformance,
  lifecycle: lifecycleConformance,
  'dead-letters': deadLetterConformance,
  'destination-states': destinationStateConformance,
  'delivery-queues': deliveryQueueConformance,
  'event-log': eventLogConformance,
  'bulk-replay': bulkReplayConformance,
} as const satisfies Record<string, (factory: StoreFactory) => void>;

export type ConformancePart = keyof typeof CONFORMANCE_PARTS;

export interface ConformanceOptions {
  /** Only these parts (default: all), e.g. to spread them over several test files. */
  only?: readonly ConformancePart[];
}

/** Registers the conformance suite (or its `only` parts) for the store `factory` makes. */
export function runStoreConformance(factory: StoreFactory, opts: ConformanceOptions = {}): void {
  const parts = opts.only ?? (Object.keys(CONFORMANCE_PARTS) as ConformancePart[]);
  for (const part of parts) CONFORMANCE_PARTS[part](factory);
}

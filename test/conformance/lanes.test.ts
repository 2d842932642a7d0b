/**
 * Delivery queues: one per destination, filled by the same atomic enqueue as the
 * handlers' queue, each with its own attempts, retries and dead letters.
 */
import { runStoreConformance } from '../../src/store/conformance/index.js';
import { STORES } from './stores.js';

for (const factory of STORES) runStoreConformance(factory, { only: ['delivery-queues'] });

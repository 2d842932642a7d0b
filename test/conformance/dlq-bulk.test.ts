/**
 * Bulk replay at scale, on every store: 10,000 dead letters replayed in
 * batches, by an interrupted run and two concurrent ones, end up queued exactly
 * once each, and entries outside the filter stay dead.
 */
import { runStoreConformance } from '../../src/store/conformance/index.js';
import { STORES } from './stores.js';

for (const factory of STORES) runStoreConformance(factory, { only: ['bulk-replay'] });

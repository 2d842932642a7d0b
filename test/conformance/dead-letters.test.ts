/**
 * What every store's dead-letter queue must do for operators: page, filter,
 * show, replay (atomic and once), remove, bound and trim.
 * Each test has a queue of its own, so that counts and ids are its own.
 */
import { runStoreConformance } from '../../src/store/conformance/index.js';
import { STORES } from './stores.js';

for (const factory of STORES) runStoreConformance(factory, { only: ['dead-letters'] });

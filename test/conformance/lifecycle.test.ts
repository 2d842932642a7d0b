/**
 * What every store must do across claims, restarts, crashes and shutdown.
 * Each test has a queue of its own, so that a restart in one cannot disturb another.
 */
import { runStoreConformance } from '../../src/store/conformance/index.js';
import { STORES } from './stores.js';

for (const factory of STORES) runStoreConformance(factory, { only: ['lifecycle'] });

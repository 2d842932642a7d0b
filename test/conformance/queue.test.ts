/**
 * What every store must do. A behaviour that holds on one store only is a bug.
 */
import { runStoreConformance } from '../../src/store/conformance/index.js';
import { STORES } from './stores.js';

for (const factory of STORES) runStoreConformance(factory, { only: ['queue'] });

/**
 * The state every instance shares about a destination: its circuit breaker,
 * the probe that closes it, an operator's pause, recent outcomes, its rate limit.
 */
import { runStoreConformance } from '../../src/store/conformance/index.js';
import { STORES } from './stores.js';

for (const factory of STORES) runStoreConformance(factory, { only: ['destination-states'] });

/**
 * The event log and the throughput history, held to one contract on every store:
 * what each state change records, search by every field, paging, retention by
 * count and by age, payloads off, the log off, and the per-minute counts.
 */
import { runStoreConformance } from '../../src/store/conformance/index.js';
import { STORES } from './stores.js';

for (const factory of STORES) runStoreConformance(factory, { only: ['event-log'] });

/**
 * Every store backend the service can run on, in one list: STORE accepts their
 * kinds, the variables that choose a store come from them, and the start-up line
 * and the docs name them from here. A new backend is one entry.
 */
import type { StoreDriver } from './driver.js';
import { redisDriver } from './redis/driver.js';
import { sqliteDriver } from './sqlite/driver.js';

export const STORE_DRIVERS: readonly StoreDriver[] = [redisDriver, sqliteDriver];

/** The store used when neither STORE nor any driver's `chosenBy` variable is set. */
export const DEFAULT_STORE_DRIVER: StoreDriver = sqliteDriver;

/** The driver of a kind of store; undefined for one the list does not hold. */
export function driverOf(kind: string): StoreDriver | undefined {
  return STORE_DRIVERS.find((d) => d.kind === kind);
}

/**
 * Every store backend the service can run on, in one list: STORE accepts their
 * kinds, the variables that choose a store and each store's own variables come
 * from them, and the start-up line and the docs name them from here. A new
 * backend is one entry, or, for a program that embeds the service, one driver
 * passed as `storeDrivers`.
 */
import type { StoreDriver } from './driver.js';
import { redisDriver } from './redis/driver.js';
import { sqliteDriver } from './sqlite/driver.js';

export const STORE_DRIVERS: readonly StoreDriver[] = [redisDriver, sqliteDriver];

/** The store used when neither STORE nor any driver's `chosenBy` variable is set. */
export const DEFAULT_STORE_DRIVER: StoreDriver = sqliteDriver;

/**
 * The built-in drivers followed by `extra` (the embedding program's own). Throws
 * TypeError for a kind given twice, or a driver choosing itself by a variable it
 * does not declare: mistakes in code, found at once rather than at some start-up.
 */
export function storeDriverList(extra: readonly StoreDriver[] = []): readonly StoreDriver[] {
  if (extra.length === 0) return STORE_DRIVERS;
  const all = [...STORE_DRIVERS, ...extra];
  for (const [i, d] of all.entries()) {
    if (all.findIndex((o) => o.kind === d.kind) !== i) {
      throw new TypeError(`two store drivers have the kind "${d.kind}"`);
    }
    const undeclared = (names: readonly string[]) =>
      names.filter((name) => !d.variables.some((v) => v.name === name));
    const missing = undeclared(d.chosenBy);
    if (missing.length > 0) {
      throw new TypeError(
        `store driver "${d.kind}" is chosen by ${missing.join(', ')}, which it does not declare in its variables`,
      );
    }
    const unsettable = undeclared(Object.values(d.settings ?? {}));
    if (unsettable.length > 0) {
      throw new TypeError(
        `store driver "${d.kind}" has settings for ${unsettable.join(', ')}, which it does not declare in its variables`,
      );
    }
  }
  return all;
}

/** The driver of a kind of store among `drivers`; undefined for one the list does not hold. */
export function driverOf(
  kind: string,
  drivers: readonly StoreDriver[] = STORE_DRIVERS,
): StoreDriver | undefined {
  return drivers.find((d) => d.kind === kind);
}

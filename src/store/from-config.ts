/**
 * Which store the configuration asks for, built by its driver, and the start-up
 * line that says which one it is, where it lives, and how to switch.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { optionsOf, type StoreDriver } from './driver.js';
import { driverOf, STORE_DRIVERS } from './drivers.js';
import type { Store } from './store.js';

/**
 * The driver config.store names among `drivers` (the ones the config was read
 * with: loadConfig accepts no other kind).
 */
export function configuredDriver(
  config: Config,
  drivers: readonly StoreDriver[] = STORE_DRIVERS,
): StoreDriver {
  const driver = driverOf(config.store, drivers);
  if (!driver) {
    throw new Error(
      `no store driver for STORE=${config.store}: pass the driver the config was read with in storeDrivers`,
    );
  }
  return driver;
}

/** The store `driver` builds (by default config.store's), logging as the store component. */
export function createStore(
  config: Config,
  consumer: string,
  log: Logger,
  driver: StoreDriver = configuredDriver(config),
): Store {
  return driver.create(
    config,
    optionsOf(driver, config),
    consumer,
    log.child({ component: 'store' }),
  );
}

/** Why config.store was chosen, as the start-up line says it. */
function chosenBecause(config: Config, drivers: readonly StoreDriver[]): string {
  if (config.storeChosenBy !== 'default') return `${config.storeChosenBy} is set`;
  const names = ['STORE', ...drivers.flatMap((d) => d.chosenBy)];
  if (names.length === 1) return 'STORE is not set';
  return `neither ${names.slice(0, -1).join(', ')} nor ${names.at(-1)} is set`;
}

/**
 * One line for the log at start: the store, where it lives, why, and the
 * alternatives among `drivers` (the built-in ones and the embedding program's).
 */
export function storeStartupMessage(
  config: Config,
  store: Store,
  drivers: readonly StoreDriver[] = STORE_DRIVERS,
): string {
  const driver = driverOf(store.kind, drivers);
  // The configured store, or one the embedding program built itself.
  const configured = driver !== undefined && store.kind === config.store;
  const why = configured ? chosenBecause(config, drivers) : 'given by the embedding program';
  const about =
    driver?.announce(store.location, why) ?? `${store.kind} at ${store.location} (${why}).`;
  const others = drivers.filter((d) => d.kind !== store.kind).map((d) => d.howToChoose);
  return ['queue store:', about, ...others].join(' ');
}

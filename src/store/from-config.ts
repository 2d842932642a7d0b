/**
 * Which store the configuration asks for, built by its driver, and the start-up
 * line that says which one it is, where it lives, and how to switch.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { StoreDriver } from './driver.js';
import { driverOf, STORE_DRIVERS } from './drivers.js';
import type { Store } from './store.js';

/** The driver config.store names (loadConfig accepts no other). */
export function configuredDriver(config: Config): StoreDriver {
  const driver = driverOf(config.store);
  if (!driver) throw new Error(`no store driver for STORE=${config.store}`);
  return driver;
}

/** The store `driver` builds (by default config.store's), logging as the store component. */
export function createStore(
  config: Config,
  consumer: string,
  log: Logger,
  driver: StoreDriver = configuredDriver(config),
): Store {
  return driver.create(config, consumer, log.child({ component: 'store' }));
}

/** Why config.store was chosen, as the start-up line says it. */
function chosenBecause(config: Config): string {
  if (config.storeChosenBy !== 'default') return `${config.storeChosenBy} is set`;
  const names = ['STORE', ...STORE_DRIVERS.flatMap((d) => d.chosenBy)];
  if (names.length === 1) return 'STORE is not set';
  return `neither ${names.slice(0, -1).join(', ')} nor ${names.at(-1)} is set`;
}

/**
 * One line for the log at start: the store, where it lives, why, and the
 * alternatives. `driver` is the store's own, when the embedding program gave one.
 */
export function storeStartupMessage(
  config: Config,
  store: Store,
  driver: StoreDriver | undefined = driverOf(store.kind),
): string {
  // The configured store, or one the embedding program built or gave the driver of.
  const configured = driver !== undefined && driver === driverOf(config.store);
  const why = configured ? chosenBecause(config) : 'given by the embedding program';
  const about =
    driver?.announce(store.location, why) ?? `${store.kind} at ${store.location} (${why}).`;
  const others = STORE_DRIVERS.filter((d) => d.kind !== store.kind).map((d) => d.howToChoose);
  return ['queue store:', about, ...others].join(' ');
}

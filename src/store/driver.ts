/**
 * A store backend as the service sees it: one object per kind of store that
 * says which settings it reads, how to build it from them, and what goes with it.
 *
 * The composition root (app.ts), the configuration (STORE, the variables that
 * choose a store, the store's own variables) and the start-up line know a store
 * only through its driver, so a new backend is one driver file and one
 * registration: an entry in STORE_DRIVERS (drivers.ts) inside this repository,
 * or `storeDrivers: [yourDriver]` for a program that embeds the service. What
 * the store itself must do is the Store contract (store.ts, event-log.ts,
 * destinations.ts), pinned down by the conformance suite.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Reader } from '../config/reader.js';
import type { Variable } from '../config/variables.js';
import type { RateLimiter } from '../ingest/rate-limit.js';
import type { Store } from './store.js';

/**
 * `Options` is what `readOptions` makes of the variables; `Settings` the typed
 * values a program may give for them in code (see `settings`).
 */
// biome-ignore lint/complexity/noBannedTypes: no typed settings unless a driver declares them
export interface StoreDriver<Options = unknown, Settings extends object = {}> {
  /** The value of STORE that picks it, and the `kind` of the stores it builds. */
  readonly kind: string;
  /** Its name in prose and in the docs ("Redis", "SQLite"). */
  readonly title: string;
  /**
   * The environment variables this store reads, each with its default and its
   * meaning. Declared here, they are accepted by the configuration reader (which
   * refuses a name nobody declared) and listed in the configuration table.
   */
  readonly variables: readonly Variable[];
  /**
   * Variables of `variables` whose being set picks this store when STORE is unset
   * (REDIS_URL picks Redis). The first driver with one set wins; with none, the default.
   */
  readonly chosenBy: readonly string[];
  /**
   * Typed settings for its variables, for a program that configures the service
   * in code: each key names the variable of `variables` it stands for. A value
   * given as `settings.stores[kind][key]` (or through storeSettings) wins over
   * that variable in the environment, and is read and checked by `readOptions`
   * like the variable, so a bad value is reported by the variable's name. A
   * value is written as the variable would be (`String(value)`): a duration is
   * a string with its unit (`'5s'`). Typed only when the driver is declared
   * with both type arguments, `StoreDriver<Options, Settings>`.
   */
  readonly settings?: { readonly [K in keyof Settings]-?: string };
  /** EVENT_LOG_MAX's default: what the store can keep without growing costly. */
  readonly eventLogMaxDefault: number;
  /**
   * This store's settings, read from its `variables` through `r` (a value that is
   * not valid goes to `r.problems`, naming the variable). Every registered
   * driver's settings are read, whichever store is chosen, so that a mistake in
   * them is reported before anyone switches to that store.
   */
  readOptions(r: Reader): Options;
  /** The settings as they are safe to log: secrets replaced. Without it, they are not logged. */
  redactOptions?(options: Options): unknown;
  /** A store of this kind for the queue the config names, not yet initialised. */
  create(config: Config, options: Options, consumer: string, log: Logger): Store;
  /**
   * The counters the ingest rate limits share. They live where the queue lives:
   * a store several instances share gives counters shared by them; a store one
   * process owns may keep them in memory. `store` is of this driver's kind, but
   * may have been built by the embedding program rather than by `create`.
   */
  rateLimiter(store: Store): RateLimiter;
  /**
   * The start-up line's account of the store, after "queue store: ": what and
   * where it is, `why` it was chosen (in parentheses), and what that implies.
   */
  announce(location: string, why: string): string;
  /** How an operator chooses this store instead, told on the other stores' start-up lines. */
  readonly howToChoose: string;
}

/** A setting's value, written as its variable would be (numbers and booleans as text). */
export type StoreSettingValue = string | number | boolean;

/**
 * Typed settings for `driver`'s store, as `ServiceSettings.stores` takes them:
 * `{ stores: storeSettings(keptDriver, { dir: '/var/lib/kept' }) }`.
 */
export function storeSettings<Settings extends object>(
  driver: StoreDriver<unknown, Settings>,
  // A driver typed without Settings declares none, so it takes no values.
  values: [keyof Settings] extends [never]
    ? never
    : { readonly [K in keyof Settings]?: Settings[K] & StoreSettingValue },
): Readonly<Record<string, Readonly<Record<string, StoreSettingValue>>>> {
  return { [driver.kind]: values as Record<string, StoreSettingValue> };
}

/** The settings `driver` read into `config` (see StoreDriver.readOptions). */
export function optionsOf<Options>(driver: StoreDriver<Options>, config: Config): Options {
  if (!Object.hasOwn(config.stores, driver.kind)) {
    throw new Error(
      `the configuration was read without the ${driver.kind} store driver: pass it in storeDrivers`,
    );
  }
  return config.stores[driver.kind] as Options;
}

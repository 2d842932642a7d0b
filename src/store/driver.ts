/**
 * A store backend as the service sees it: one object per kind of store that
 * says how to build it from the configuration and what goes with it.
 *
 * The composition root (app.ts), the configuration (STORE and the variables
 * that choose a store) and the start-up line know a store only through its
 * driver, so a new backend is one driver file and one entry in STORE_DRIVERS
 * (drivers.ts). What the store itself must do is the Store contract (store.ts,
 * event-log.ts, destinations.ts), pinned down by the conformance suite.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { RateLimiter } from '../ingest/rate-limit.js';
import type { Store } from './store.js';

export interface StoreDriver {
  /** The value of STORE that picks it, and the `kind` of the stores it builds. */
  readonly kind: string;
  /** Its name in prose and in the docs ("Redis", "SQLite"). */
  readonly title: string;
  /**
   * Variables whose being set picks this store when STORE is unset (REDIS_URL
   * picks Redis). The first driver with one set wins; with none, the default.
   */
  readonly chosenBy: readonly string[];
  /** EVENT_LOG_MAX's default: what the store can keep without growing costly. */
  readonly eventLogMaxDefault: number;
  /** A store of this kind for the queue the config names, not yet initialised. */
  create(config: Config, consumer: string, log: Logger): Store;
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

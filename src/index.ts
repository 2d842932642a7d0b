/**
 * The programmatic API: run the service inside your own program, with your own
 * handlers, and on a store backend of your own if need be.
 */
export { createService, type Service, type ServiceOptions } from './app.js';
export { type Config, ConfigError, loadConfig } from './config/config.js';
export { BUILTIN_HANDLERS, defaultRegistry, genericHandler } from './handlers/builtin.js';
export {
  type Handler,
  type JobContext,
  JobTimeoutError,
  PermanentError,
} from './handlers/handler.js';
export { HandlerRegistry } from './handlers/registry.js';
export {
  MemoryRateLimiter,
  type RateLimiter,
  type WindowCount,
} from './ingest/rate-limit.js';
export { type RunOptions, runService } from './run.js';
// A store backend of your own: the contract it implements (its conformance
// suite is 'webhook-processor/conformance') and the driver that plugs it in.
export * from './store/destinations.js';
export type { StoreDriver } from './store/driver.js';
export { STORE_DRIVERS } from './store/drivers.js';
export * from './store/event-log.js';
export * from './store/store.js';

/**
 * The programmatic API: run the service inside your own program, with your own
 * handlers, and on a store backend of your own if need be.
 */
export { createService, createWorker, type Service, type ServiceOptions } from './app.js';
export { type Config, ConfigError, type LoadOptions, loadConfig } from './config/config.js';
export type { IfEmpty, Reader } from './config/reader.js';
export { configFrom, type ServiceSettings } from './config/settings.js';
export type { Variable } from './config/variables.js';
export { ApiError, type ErrorCode } from './errors.js';
export { BUILTIN_HANDLERS, defaultRegistry, genericHandler } from './handlers/builtin.js';
export {
  type EventPayloads,
  type Handler,
  type JobContext,
  JobTimeoutError,
  type PayloadOf,
  PermanentError,
  RetryLaterError,
  type UntypedPayload,
} from './handlers/handler.js';
export {
  type HandlerEntry,
  type HandlerMap,
  type HandlerOptions,
  HandlerRegistry,
  type Registration,
} from './handlers/registry.js';
export type { EnqueueOptions } from './ingest/enqueue.js';
export type { AcceptResult } from './ingest/ingestor.js';
// What enqueue() and ingest refuse with, by a stable `reason`.
export { type InvalidInput, InvalidInputError } from './ingest/invalid-input.js';
export {
  MemoryRateLimiter,
  type RateLimiter,
  type WindowCount,
} from './ingest/rate-limit.js';
export { type IngestRefusal, IngestRefusedError } from './ingest/refusal.js';
export { type RunOptions, runService } from './run.js';
export type {
  DeliveryDeadEvent,
  DeliveryEvent,
  DeliveryFailedEvent,
  JobDeadEvent,
  JobEvent,
  JobFailedEvent,
  JobRetryingEvent,
  ServiceEventMap,
  ServiceEventName,
  ServiceEvents,
} from './service-events.js';
// A store backend of your own: the contract it implements (its conformance
// suite is 'webhook-processor/conformance') and the driver that plugs it in.
export * from './store/destinations.js';
export {
  optionsOf,
  type StoreDriver,
  type StoreSettingValue,
  storeSettings,
} from './store/driver.js';
export { STORE_DRIVERS } from './store/drivers.js';
export * from './store/event-log.js';
export { redisDriver } from './store/redis/driver.js';
export type { RedisConfig } from './store/redis/settings.js';
export { type SqliteConfig, sqliteDriver } from './store/sqlite/driver.js';
export * from './store/store.js';
export { type Backoff, exponentialBackoff, fullJitterBackoff } from './worker/backoff.js';
export {
  type FailedAttempt,
  type RetryDecision,
  RetryPolicy,
  type RetryPolicyOptions,
} from './worker/retry-policy.js';

/**
 * The programmatic API: run the service inside your own program, with your own handlers.
 */
export { createService, createWorker, type Service, type ServiceOptions } from './app.js';
export { type Config, ConfigError, loadConfig } from './config/config.js';
export { configFrom, type ServiceSettings } from './config/settings.js';
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
export type { Delivery, JobRecord, QueueStats, Store } from './store/store.js';
export { type Backoff, exponentialBackoff, fullJitterBackoff } from './worker/backoff.js';
export {
  type FailedAttempt,
  type RetryDecision,
  RetryPolicy,
  type RetryPolicyOptions,
} from './worker/retry-policy.js';

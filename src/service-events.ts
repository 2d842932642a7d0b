/**
 * What became of each job and delivery, as typed events a program can listen to
 * (`service.on('job:dead', …)`), in the manner of BullMQ's worker events.
 *
 * Each event is emitted only after the store write it reports took effect: a
 * `job:retrying` means the retry is scheduled, a `job:dead` that the job is in
 * the DLQ. A write that found the job no longer this consumer's (a reclaim took
 * it back) emits nothing. Jobs that a reclaim or a shutdown hand-back moves are
 * moved in bulk inside the store and emit nothing either.
 *
 * A listener runs synchronously on the worker's path: keep it short, and hand
 * slow work to a queue of your own. One that throws is logged and ignored; it
 * never fails the job.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Delivery } from './store/store.js';
import { describeError } from './worker/errors.js';

/** The job an event is about and the attempt that ended. */
export interface JobEvent {
  jobId: string;
  type: string;
  source: string;
  /** 1-based number of the attempt that ended. */
  attempt: number;
  /** How long the attempt ran, ms. */
  durationMs: number;
}

export interface JobFailedEvent extends JobEvent {
  error: string;
  /** What was written: a retry, or the DLQ (a `job:retrying` or `job:dead` follows). */
  next: 'retry' | 'dead';
}

export interface JobRetryingEvent extends JobEvent {
  /** The failure, or the reason a handler gave with RetryLaterError. */
  error: string;
  delayMs: number;
  /** False for a RetryLaterError: the attempt is not counted, and no `job:failed` came first. */
  attemptSpent: boolean;
}

export interface JobDeadEvent extends JobEvent {
  error: string;
  /** `permanent`: retrying could not help; `exhausted`: it was the last attempt. */
  reason: 'permanent' | 'exhausted';
}

export interface DeliveryEvent extends JobEvent {
  destination: string;
  /** The answer's HTTP status, when there was one. */
  status: number | undefined;
}

export interface DeliveryFailedEvent extends DeliveryEvent {
  error: string;
  next: 'retry' | 'dead';
}

export interface DeliveryDeadEvent extends DeliveryEvent {
  error: string;
  reason: 'permanent' | 'exhausted';
}

/** Event name -> listener arguments. */
export interface ServiceEventMap {
  'job:completed': [JobEvent];
  'job:failed': [JobFailedEvent];
  'job:retrying': [JobRetryingEvent];
  'job:dead': [JobDeadEvent];
  'delivery:delivered': [DeliveryEvent];
  'delivery:failed': [DeliveryFailedEvent];
  'delivery:dead': [DeliveryDeadEvent];
}

export type ServiceEventName = keyof ServiceEventMap;

export class ServiceEvents extends EventEmitter<ServiceEventMap> {
  constructor(private readonly log?: Logger) {
    super();
  }

  /**
   * Emits to the listeners there are, if any; a listener's throw is logged, never
   * passed on to the worker that reports the outcome.
   */
  report<K extends ServiceEventName>(name: K, ...args: ServiceEventMap[K]): void {
    if (this.listenerCount(name) === 0) return;
    for (const listener of this.rawListeners(name) as ((...a: ServiceEventMap[K]) => unknown)[]) {
      try {
        listener(...args);
      } catch (err) {
        this.log?.warn({ event: name, err: describeError(err) }, 'a service event listener threw');
      }
    }
  }
}

/** The fields every job event shares, from the delivery and the attempt's duration. */
export function jobEvent(delivery: Delivery, durationMs: number): JobEvent {
  const { job } = delivery;
  return {
    jobId: job.id,
    type: job.type,
    source: job.source,
    attempt: delivery.attempt,
    durationMs,
  };
}

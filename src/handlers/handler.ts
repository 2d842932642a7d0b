/**
 * What a handler is, and the two ways it can fail.
 */
import type { Logger } from 'pino';

/**
 * Payload types by event type, for handlers to be typed by the type they handle.
 * Empty here; a program adds its own by declaration merging:
 *
 *     declare module 'webhook-processor' {
 *       interface EventPayloads {
 *         'invoice.paid': { id: string; data: { object: { amount: number } } };
 *       }
 *     }
 *
 * A type says what the sender promises, not what arrived: nothing checks a
 * payload against it, so validate what you rely on (see docs/handlers.md).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging
export interface EventPayloads {}

/** The JSON payload of events of no declared type. */
export type UntypedPayload = Record<string, unknown>;

/** The payload of an event type: as declared in EventPayloads, else untyped. */
export type PayloadOf<T extends string> = T extends keyof EventPayloads
  ? EventPayloads[T]
  : UntypedPayload;

/** One attempt at one job, as a handler sees it. */
export interface JobContext<P = UntypedPayload> {
  id: string;
  type: string;
  source: string;
  /** The parsed JSON body. */
  payload: P;
  /** The body exactly as received, for a check of your own or to forward it unchanged. */
  rawBody: string;
  /**
   * The request headers kept with the job (names in lower case), with credentials
   * and signatures already redacted; empty for jobs stored before headers were.
   */
  headers: Readonly<Record<string, string>>;
  /** The sender's deduplication key, when the event had one. */
  idempotencyKey: string | undefined;
  /** 1-based number of this attempt. */
  attempt: number;
  /** The error the previous attempt recorded; undefined on a first attempt. */
  previousError: string | undefined;
  /** The destination this copy of the event is for; undefined for in-process handlers. */
  destination: string | undefined;
  receivedAt: Date;
  /** Fires when the attempt times out or the service is forced down; stop work when it does. */
  signal: AbortSignal;
  /** A logger bound to job_id, event_type and attempt. */
  log: Logger;
}

export type Handler<P = UntypedPayload> = (job: JobContext<P>) => Promise<void> | void;

/**
 * Throw this when retrying cannot help (the payload is invalid, the referenced
 * thing does not exist): the job goes straight to the dead-letter queue.
 * Any other error, or a rejection with a non-Error, is treated as transient.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Throw this to try the job again in `delayMs` without spending an attempt: the
 * thing it needs is not ready yet (a rate limit, a record still being written),
 * which is not a failure. The job goes back to its schedule with its attempt
 * count and last error unchanged, and nothing is counted as failed. A handler
 * that always throws it keeps its job forever: bound that yourself (by
 * `job.receivedAt`, say) when it matters.
 */
export class RetryLaterError extends Error {
  /** Milliseconds to wait; a negative or non-finite value means at once. */
  readonly delayMs: number;

  constructor(delayMs: number, message?: string, options?: { cause?: unknown }) {
    super(message ?? `retry later, in ${delayMs}ms`, options);
    this.name = 'RetryLaterError';
    this.delayMs = Number.isFinite(delayMs) && delayMs > 0 ? Math.round(delayMs) : 0;
  }
}

/** The error recorded when an attempt outlives TIMEOUT. */
export class JobTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`handler timed out after ${timeoutMs}ms`);
    this.name = 'JobTimeoutError';
  }
}

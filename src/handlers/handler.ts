/**
 * What a handler is, and the two ways it can fail.
 */
import type { Logger } from 'pino';

/** One attempt at one job, as a handler sees it. */
export interface JobContext {
  id: string;
  type: string;
  source: string;
  /** The parsed JSON body. */
  payload: Record<string, unknown>;
  /** 1-based number of this attempt. */
  attempt: number;
  receivedAt: Date;
  /** Fires when the attempt times out or the service is forced down; stop work when it does. */
  signal: AbortSignal;
  /** A logger bound to job_id, event_type and attempt. */
  log: Logger;
}

export type Handler = (job: JobContext) => Promise<void> | void;

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

/** The error recorded when an attempt outlives TIMEOUT. */
export class JobTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`handler timed out after ${timeoutMs}ms`);
    this.name = 'JobTimeoutError';
  }
}

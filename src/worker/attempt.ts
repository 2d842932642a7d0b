/**
 * One attempt at one job: the handler's context, its AbortSignal and its timeout.
 *
 * Whatever the handler does (throw, reject with a non-Error, hang and ignore its
 * signal), the attempt ends by TIMEOUT at the latest, and never rejects. A
 * handler still running at its timeout is "abandoned": the result says so and
 * carries a promise of the handler's settling, because the job must not run
 * anywhere else while it still runs here.
 */
import type { Logger } from 'pino';
import {
  type Handler,
  type JobContext,
  JobTimeoutError,
  PermanentError,
} from '../handlers/handler.js';
import { JOB_STARTED_AT } from '../logger.js';
import type { Delivery } from '../store/store.js';

/**
 * An attempt's AbortSignal, made only when the handler first reads `job.signal`:
 * an AbortController per job is a measurable share of a short job's cost, and
 * most handlers never look. A signal made after the abort starts out aborted.
 */
export class AttemptAbort {
  private controller: AbortController | undefined;
  private aborted = false;
  private reason: unknown;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

export interface AttemptOptions {
  delivery: Delivery;
  handler: Handler;
  abort: AttemptAbort;
  timeoutMs: number;
  /** The pool's logger; the handler gets a child bound to the job. */
  log: Logger;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** How an attempt ended. */
export type AttemptResult =
  | { kind: 'completed' }
  /** The handler threw or rejected (with anything at all), or the job cannot be run. */
  | { kind: 'failed'; error: unknown }
  /** TIMEOUT passed with the handler still running; `settled` resolves when it stops. */
  | { kind: 'timedOut'; error: JobTimeoutError; settled: Promise<void> };

/** Runs the handler under the attempt's timeout. Never rejects. */
export function runAttempt(o: AttemptOptions): Promise<AttemptResult> {
  const { delivery, abort } = o;
  const { job } = delivery;
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(job.payload) as Record<string, unknown>;
  } catch {
    return Promise.resolve({
      kind: 'failed',
      error: new PermanentError('stored payload is not valid JSON'),
    });
  }
  let log: Logger | undefined;
  const started = performance.now();
  const ctx: JobContext = {
    id: job.id,
    type: job.type,
    source: job.source,
    payload,
    rawBody: job.payload,
    headers: job.headers ?? NO_HEADERS,
    idempotencyKey: job.idempotencyKey,
    attempt: delivery.attempt,
    previousError: delivery.previousError,
    destination: job.destination,
    receivedAt: new Date(job.receivedAt),
    get signal() {
      return abort.signal;
    },
    get log() {
      if (!log) {
        // As on the pool's own lines: a handler's "processed" line is a success line too.
        log = o.log.child({
          job_id: job.id,
          source: job.source,
          event_type: job.type,
          attempt: delivery.attempt,
        });
        (log as unknown as Record<symbol, number>)[JOB_STARTED_AT] = started;
      }
      return log;
    },
  };
  const handlerDone = new Promise<AttemptResult>((settle) => {
    const failed = (error: unknown) => settle({ kind: 'failed', error });
    try {
      Promise.resolve(o.handler(ctx)).then(() => settle({ kind: 'completed' }), failed);
    } catch (err) {
      failed(err);
    }
  });
  return new Promise<AttemptResult>((resolve) => {
    const timer = setTimeout(() => {
      const error = new JobTimeoutError(o.timeoutMs);
      abort.abort(error);
      resolve({ kind: 'timedOut', error, settled: handlerDone.then(() => undefined) });
    }, o.timeoutMs);
    // After a timeout this resolve does nothing: the attempt already ended.
    void handlerDone.then((result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}

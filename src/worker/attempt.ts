/**
 * One attempt at one job: the handler's context, its AbortSignal and its timeout.
 *
 * Whatever the handler does (throw, reject with a non-Error, hang and ignore its
 * signal), the attempt settles by TIMEOUT at the latest; a handler still running
 * then is "abandoned": its late outcome is ignored, and the caller is told when
 * it finally returns, so the number still running can be watched.
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
  /** Called when an attempt times out with its handler still running, and when that handler returns. */
  onAbandoned: (delta: 1 | -1) => void;
}

/** Runs the handler under the attempt's timeout. Rejects with whatever the attempt failed with. */
export function runAttempt(o: AttemptOptions): Promise<void> {
  const { delivery, abort } = o;
  const { job } = delivery;
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(job.payload) as Record<string, unknown>;
  } catch {
    return Promise.reject(new PermanentError('stored payload is not valid JSON'));
  }
  let log: Logger | undefined;
  const started = performance.now();
  const ctx: JobContext = {
    id: job.id,
    type: job.type,
    source: job.source,
    payload,
    attempt: delivery.attempt,
    receivedAt: new Date(job.receivedAt),
    get signal() {
      return abort.signal;
    },
    get log() {
      if (!log) {
        log = o.log.child({ job_id: job.id, event_type: job.type, attempt: delivery.attempt });
        (log as unknown as Record<symbol, number>)[JOB_STARTED_AT] = started;
      }
      return log;
    },
  };
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new JobTimeoutError(o.timeoutMs);
      abort.abort(err);
      o.onAbandoned(1);
      outcome.then(
        () => o.onAbandoned(-1),
        () => o.onAbandoned(-1),
      );
      reject(err);
    }, o.timeoutMs);
    const outcome = new Promise<void>((res, rej) => {
      try {
        Promise.resolve(o.handler(ctx)).then(() => res(), rej);
      } catch (err) {
        rej(err);
      }
    });
    // A late settle after the timeout is swallowed here: the attempt already failed.
    outcome.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Writing what became of each attempt to the store: completions in batches,
 * failures as a retry or a dead letter, hand-backs at shutdown.
 *
 * The counters and log lines of a failure follow the write: a delivery that was
 * no longer ours (taken back by a reclaim meanwhile) changed nothing, so it is
 * neither retried nor dead-lettered by us, and is not counted as such.
 */
import type { Logger } from 'pino';
import { PermanentError, RetryLaterError } from '../handlers/handler.js';
import type { Metrics } from '../metrics.js';
import { jobEvent, type ServiceEvents } from '../service-events.js';
import type { AttemptReport } from '../store/event-log.js';
import { persist } from '../store/persist.js';
import type { Delivery, ReleaseResult, Store } from '../store/store.js';
import { describeError } from './errors.js';
import type { RetryPolicy } from './retry-policy.js';

/** The last error of a job whose hand-back counted as an attempt. */
export const HANDED_BACK_ERROR =
  'interrupted by a shutdown again after an earlier hand-back; counted as an attempt';

/** The fields of every log line about one attempt. */
export interface AttemptFields {
  job_id: string;
  event_type: string;
  source: string;
  attempt: number;
  duration_ms: number;
}

export interface OutcomesOptions {
  store: Store;
  metrics: Metrics;
  log: Logger;
  /** The pool's policy; a job's type may have its own (see failed()). */
  retry: RetryPolicy;
  /**
   * The attempt limit of a hand-back, which covers jobs of every type at once:
   * the largest any type allows, so that none is dead-lettered early.
   */
  maxAttempts: () => number;
  /** Where outcomes are reported once written. */
  events?: ServiceEvents;
}

export class Outcomes {
  private ackBatch: Delivery[] = [];
  private ackReports: AttemptReport[] = [];
  private ackScheduled = false;
  private readonly pendingWrites = new Set<Promise<unknown>>();

  constructor(private readonly o: OutcomesOptions) {}

  /** Acknowledges a completed job with the next batch. */
  completed(delivery: Delivery, report: AttemptReport): void {
    this.ackBatch.push(delivery);
    this.ackReports.push(report);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => this.flushAcks());
  }

  /** Sends the acknowledgements gathered so far. */
  flushAcks(): void {
    this.ackScheduled = false;
    if (this.ackBatch.length === 0) return;
    const batch = this.ackBatch;
    const reports = this.ackReports;
    this.ackBatch = [];
    this.ackReports = [];
    this.track(
      persist(() => this.o.store.complete(batch, reports)).then(
        () => {
          const { events } = this.o;
          if (!events) return;
          batch.forEach((d, i) => {
            events.report('job:completed', jobEvent(d, reports[i]?.durationMs ?? 0));
          });
        },
        (err: unknown) => {
          this.o.log.error(
            { err: describeError(err), jobs: batch.length },
            'could not acknowledge completed jobs; they will run again after RECLAIM_IDLE',
          );
        },
      ),
    );
  }

  /**
   * Records a failed attempt: a retry, or the DLQ when it was permanent or the
   * last. Never rejects; drain() waits for it.
   */
  failed(
    delivery: Delivery,
    error: unknown,
    fields: AttemptFields,
    typeLabel: string,
    report: AttemptReport,
    retry: RetryPolicy = this.o.retry,
  ): Promise<void> {
    const write = this.recordFailure(delivery, error, fields, typeLabel, report, retry);
    this.track(write);
    return write;
  }

  private async recordFailure(
    delivery: Delivery,
    error: unknown,
    fields: AttemptFields,
    typeLabel: string,
    report: AttemptReport,
    retry: RetryPolicy,
  ): Promise<void> {
    const message = describeError(error);
    const permanent = isPermanent(error);
    const { store, metrics, log } = this.o;
    const decision = retry.decide({ attempt: delivery.attempt, permanent });
    try {
      if (decision.kind === 'dead') {
        if (await persist(() => store.deadLetter(delivery, delivery.attempt, message, report))) {
          metrics.deadLettered.inc({ event_type: typeLabel });
          const event = { ...jobEvent(delivery, report.durationMs), error: message };
          this.o.events?.report('job:failed', { ...event, next: 'dead' });
          this.o.events?.report('job:dead', { ...event, reason: decision.reason });
          log.error(
            { ...fields, err: message, permanent },
            permanent
              ? 'job failed permanently; dead-lettered'
              : 'job failed on its last attempt; dead-lettered',
          );
          return;
        }
      } else {
        const { delayMs } = decision;
        if (await persist(() => store.retryLater(delivery, delayMs, message, report))) {
          metrics.retried.inc({ event_type: typeLabel });
          const event = { ...jobEvent(delivery, report.durationMs), error: message };
          this.o.events?.report('job:failed', { ...event, next: 'retry' });
          this.o.events?.report('job:retrying', { ...event, delayMs, attemptSpent: true });
          log.warn(
            { ...fields, err: message, retry_in_ms: delayMs },
            'job failed; retry scheduled',
          );
          return;
        }
      }
      log.warn(
        { ...fields, err: message },
        'job failed, but it had been taken back meanwhile (RECLAIM_IDLE passed); nothing recorded',
      );
    } catch (err) {
      log.error(
        { ...fields, err: describeError(err) },
        'could not record the failed attempt; the job stays pending and is reclaimed after RECLAIM_IDLE',
      );
    }
  }

  /**
   * A handler asked for the job to run again later (RetryLaterError): back to
   * its schedule with the attempt unspent, as if this one never ran, so its
   * count and last error stay as they were. Never rejects; drain() waits for it.
   */
  later(
    delivery: Delivery,
    error: RetryLaterError,
    fields: AttemptFields,
    report: AttemptReport,
  ): Promise<void> {
    const write = (async () => {
      const unspent = { ...delivery, attempt: delivery.attempt - 1 };
      const { delayMs } = error;
      try {
        if (
          await persist(() =>
            this.o.store.retryLater(unspent, delayMs, delivery.previousError ?? ''),
          )
        ) {
          const reason = describeError(error);
          this.o.log.info(
            { ...fields, reason, retry_in_ms: delayMs },
            'job asked to run again later; attempt not spent',
          );
          this.o.events?.report('job:retrying', {
            ...jobEvent(delivery, report.durationMs),
            error: reason,
            delayMs,
            attemptSpent: false,
          });
        }
      } catch (err) {
        this.o.log.error(
          { ...fields, err: describeError(err) },
          'could not put the job off; it stays pending and is reclaimed after RECLAIM_IDLE',
        );
      }
    })();
    this.track(write);
    return write;
  }

  /** Jobs claimed during shutdown, never started: back unchanged. */
  releaseUnstarted(delivery: Delivery): void {
    this.track(this.o.store.release([delivery]));
  }

  /** Jobs whose handlers a shutdown interrupted and that settled: back to the queue. */
  async handBack(deliveries: readonly Delivery[]): Promise<ReleaseResult> {
    if (deliveries.length === 0) return { released: 0, deadLettered: 0 };
    try {
      return await this.o.store.release(deliveries, {
        maxAttempts: this.o.maxAttempts(),
        error: HANDED_BACK_ERROR,
      });
    } catch (err) {
      this.o.log.warn(
        { err: describeError(err), jobs: deliveries.length },
        'could not hand jobs back; they stay pending and are reclaimed after RECLAIM_IDLE',
      );
      return { released: 0, deadLettered: 0 };
    }
  }

  /** Sends what is gathered and waits for every write under way. */
  async drain(): Promise<void> {
    this.flushAcks();
    await Promise.allSettled([...this.pendingWrites]);
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((err: unknown) => {
      this.o.log.warn({ err: describeError(err) }, 'store write failed');
    });
    this.pendingWrites.add(guarded);
    void guarded.finally(() => this.pendingWrites.delete(guarded));
  }
}

/** `instanceof` runs code of the value's own (a Proxy trap) and may throw. */
function isPermanent(error: unknown): boolean {
  try {
    return error instanceof PermanentError;
  } catch {
    return false;
  }
}

export function isRetryLater(error: unknown): error is RetryLaterError {
  try {
    return error instanceof RetryLaterError;
  } catch {
    return false;
  }
}

/**
 * Holds the dead-letter queue to DLQ_MAX_LEN and DLQ_RETENTION: every instance
 * trims it on a timer (a trim is idempotent, so instances need not agree who
 * does it) and counts what it dropped in `webhook_dlq_dropped_total`.
 *
 * Between two passes the DLQ may exceed its cap by what failed meanwhile; the
 * cap bounds memory, not an exact count.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { DeadLetterCaps, DeadLetters, DeadLetterTrim } from '../store/store.js';
import { describeError } from '../worker/errors.js';

export const RETENTION_INTERVAL_MS = 30_000;

export class DeadLetterRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private failing = false;

  constructor(
    private readonly dlq: DeadLetters,
    private readonly caps: DeadLetterCaps,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly intervalMs = RETENTION_INTERVAL_MS,
  ) {}

  get enabled(): boolean {
    return this.caps.maxLength > 0 || this.caps.maxAgeMs > 0;
  }

  /** A first pass at once, then one every interval. Does nothing when both caps are off. */
  start(): void {
    if (!this.enabled || this.timer) return;
    const tick = () => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: trims, counts and logs what was dropped. Never throws. */
  async runOnce(): Promise<DeadLetterTrim> {
    try {
      const dropped = await this.dlq.trim(this.caps);
      if (this.failing) this.log.info('dead-letter retention works again');
      this.failing = false;
      if (dropped.byLength > 0)
        this.metrics.dlqDropped.inc({ reason: 'max_len' }, dropped.byLength);
      if (dropped.byAge > 0) this.metrics.dlqDropped.inc({ reason: 'retention' }, dropped.byAge);
      if (dropped.byLength + dropped.byAge > 0) {
        this.log.warn(
          {
            dropped_by_max_len: dropped.byLength,
            dropped_by_retention: dropped.byAge,
            dlq_max_len: this.caps.maxLength,
            dlq_retention_ms: this.caps.maxAgeMs,
          },
          'dropped dead letters beyond DLQ_MAX_LEN / DLQ_RETENTION',
        );
      }
      return dropped;
    } catch (err) {
      if (!this.failing) {
        this.log.warn({ err: describeError(err) }, 'dead-letter retention failed; will retry');
      }
      this.failing = true;
      return { byLength: 0, byAge: 0 };
    }
  }
}

/**
 * The event log's upkeep, on a timer in every instance: trims the log to its
 * retention (a trim is idempotent, so instances need not agree who does it),
 * and adds the requests refused at this instance's edge to the shared
 * per-minute history, a batch every few seconds rather than a write per refusal.
 */
import type { Logger } from 'pino';
import type { EventLog, ThroughputHistory } from '../store/event-log.js';
import { describeError } from '../worker/errors.js';

export const UPKEEP_INTERVAL_MS = 5_000;

/** Refusals counted by status class (`4xx`, `5xx`) since the last flush. */
export class RejectionTally {
  private counts: Record<string, number> = {};

  count(status: number): void {
    const cls = `${Math.floor(status / 100)}xx`;
    this.counts[cls] = (this.counts[cls] ?? 0) + 1;
  }

  /** The counts so far, and a fresh start. */
  take(): Record<string, number> {
    const taken = this.counts;
    this.counts = {};
    return taken;
  }

  /** Puts counts back (a flush that failed), so that the next one carries them. */
  restore(counts: Readonly<Record<string, number>>): void {
    for (const [cls, n] of Object.entries(counts)) this.counts[cls] = (this.counts[cls] ?? 0) + n;
  }
}

export class EventLogUpkeep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private failing = false;

  constructor(
    private readonly events: EventLog,
    private readonly history: ThroughputHistory,
    private readonly rejections: RejectionTally,
    private readonly log: Logger,
    private readonly intervalMs = UPKEEP_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, this.intervalMs).unref();
  }

  /** Stops the timer, waits for a pass under way, and flushes the last refusals. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.flushRejections();
  }

  /** One pass. Never throws. */
  async runOnce(): Promise<void> {
    try {
      // Also when the log is off: it drops what an earlier run recorded.
      await this.events.trim();
      await this.flushRejections(true);
      if (this.failing) this.log.info('event log upkeep works again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        this.log.warn(
          { err: describeError(err) },
          'event log upkeep failed; it runs again shortly',
        );
      }
      this.failing = true;
    }
  }

  private async flushRejections(rethrow = false): Promise<void> {
    const counts = this.rejections.take();
    if (Object.keys(counts).length === 0) return;
    try {
      await this.history.addRejected(counts, Date.now());
    } catch (err) {
      this.rejections.restore(counts);
      if (rethrow) throw err;
    }
  }
}

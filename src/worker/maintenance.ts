/**
 * The queue's upkeep beside the worker pool, on timers: due retries go back to
 * the queue, and jobs held too long by a consumer that stopped are taken back.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { describeError } from './errors.js';

const PROMOTE_BATCH = 500;

export interface MaintenanceOptions {
  store: Store;
  metrics: Metrics;
  log: Logger;
  reclaimIdleMs: number;
  /**
   * The attempt limit of a reclaim (RetryPolicy.maxAttempts). The store applies
   * it to every job it takes back, whatever the type: the largest any type allows.
   */
  maxAttempts: () => number;
  /** How often due retries are moved back to the queue. */
  promoteIntervalMs: number;
}

export class QueueMaintenance {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly o: MaintenanceOptions) {}

  start(): void {
    this.every(this.o.promoteIntervalMs, () => this.promote());
    this.every(Math.max(1_000, Math.floor(this.o.reclaimIdleMs / 4)), () => this.reclaim());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private every(ms: number, task: () => Promise<void>): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        await task();
      } catch (err) {
        this.o.log.warn({ err: describeError(err) }, 'queue maintenance failed; will retry');
      }
      if (this.stopped) return;
      this.after(ms, tick);
    };
    this.after(0, tick);
  }

  private after(ms: number, run: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void run();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private async promote(): Promise<void> {
    let moved: number;
    do {
      moved = await this.o.store.promoteDue(PROMOTE_BATCH);
    } while (moved === PROMOTE_BATCH && !this.stopped);
  }

  private async reclaim(): Promise<void> {
    const r = await this.o.store.reclaimStale(this.o.reclaimIdleMs, this.o.maxAttempts());
    if (r.requeued + r.deadLettered > 0) {
      this.o.metrics.reclaimed.inc(r.requeued + r.deadLettered);
      this.o.log.warn(
        { requeued: r.requeued, dead_lettered: r.deadLettered },
        'took back jobs from a consumer that stopped',
      );
    }
    if (r.missing.length > 0) {
      this.o.log.error(
        { entries: r.missing },
        'pending jobs whose data was deleted; they cannot be run',
      );
    }
  }
}

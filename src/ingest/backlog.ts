/**
 * The backlog monitor: samples the store's figures on a timer, so that load
 * shedding never costs a store call per request, and so that /metrics shows them.
 *
 * Backlog = waiting + in progress + scheduled for retry, across all instances,
 * counting each delivery to a destination as well as each handlers' job.
 * Between samples, this instance adds the jobs it accepted itself, so one
 * instance stops at QUEUE_SIZE exactly; with N instances the overshoot is at
 * most what the others accept within one interval. When the backlog reaches
 * QUEUE_SIZE, ingest answers 503 until a sample shows room again.
 * A failed sample marks the store down, and ingest answers 503 at once instead
 * of queueing requests behind a dead connection.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { QueueStats, Store } from '../store/store.js';

export class BacklogMonitor {
  private last: QueueStats | undefined;
  private up = true;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  /**
   * Writes are numbered as they are issued. The store runs a sample and the
   * writes issued before it in order (one connection, or one process), so an
   * accept issued after the last sample began is not in that sample yet.
   */
  private issued = 0;
  private sampleSeq = 0;
  /** Issue numbers of accepted writes not yet known to be in a sample. */
  private unsampled: number[] = [];

  constructor(
    private readonly store: Store,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** QUEUE_SIZE. */
    readonly limit: number,
    private readonly intervalMs: number,
  ) {
    metrics.backlogLimit.set(limit);
  }

  /** Takes a first sample, then keeps sampling every interval. */
  async start(): Promise<void> {
    await this.sample();
    const loop = () => {
      this.timer = setTimeout(async () => {
        await this.sample();
        if (this.timer) loop();
      }, this.intervalMs);
      this.timer.unref();
    };
    loop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes a sample now (also used by /health, which wants a fresh figure). */
  sample(): Promise<void> {
    this.sampling ??= this.doSample().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  /** Called by ingest before each write; returns the write's issue number. */
  issue(): number {
    return this.issued++;
  }

  /** Called by ingest when write `seq` queued a new job, as `copies` entries (handlers, deliveries). */
  noteAccepted(seq: number, copies = 1): void {
    if (seq < this.sampleSeq) return;
    for (let i = 0; i < copies; i++) this.unsampled.push(seq);
  }

  private async doSample(): Promise<void> {
    const seq = this.issued;
    try {
      const stats = await this.store.stats();
      this.last = stats;
      this.sampleSeq = seq;
      this.unsampled = this.unsampled.filter((s) => s >= seq);
      if (!this.up) this.log.info('queue store reachable again');
      this.up = true;
      const backlog = stats.waiting + stats.inProgress + stats.scheduled;
      this.metrics.backlog.set(backlog + this.unsampled.length);
      this.metrics.queueJobs.set({ state: 'waiting' }, stats.waiting);
      this.metrics.queueJobs.set({ state: 'in_progress' }, stats.inProgress);
      this.metrics.queueJobs.set({ state: 'scheduled' }, stats.scheduled);
      this.metrics.dlqSize.set(stats.dead);
      this.metrics.storeUp.set(1);
    } catch (err) {
      if (this.up) this.log.error({ err: (err as Error).message }, 'queue store unreachable');
      this.up = false;
      this.metrics.storeUp.set(0);
    }
  }

  get storeUp(): boolean {
    return this.up;
  }

  get stats(): QueueStats | undefined {
    return this.last;
  }

  /** The last sample, plus what this instance accepted since it began. */
  get backlog(): number {
    const s = this.last;
    const sampled = s ? s.waiting + s.inProgress + s.scheduled : 0;
    return sampled + this.unsampled.length;
  }

  /** Brings the backlog gauge up to date with this instance's accepts since the sample. */
  publish(): void {
    if (this.last) this.metrics.backlog.set(this.backlog);
  }

  /** True when the backlog (as `backlog` counts it) is at or over QUEUE_SIZE. */
  get full(): boolean {
    return this.backlog >= this.limit;
  }
}

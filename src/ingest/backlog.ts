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
 * of queueing requests behind a dead connection; so does a store that reports
 * its disk full (read at each call: it costs no I/O).
 *
 * For a store that keeps its data in memory (Redis), each interval also samples
 * its memory against the limit, for /metrics and for a warning in /health from
 * MEMORY_WARN_RATIO on: idempotency keys and dead letters take memory that
 * QUEUE_SIZE does not bound, and at the limit ingest is refused.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { DiskStatus, QueueStats, Store, StoreMemory } from '../store/store.js';

/** The share of the store's memory limit from which /health warns. */
export const MEMORY_WARN_RATIO = 0.9;

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
  private memory: StoreMemory | undefined;
  private memoryHigh = false;

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
    await Promise.all([this.sample(), this.sampleMemory()]);
    const loop = () => {
      this.timer = setTimeout(async () => {
        await Promise.all([this.sample(), this.sampleMemory()]);
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
      this.metrics.noteDisk(this.disk());
    } catch (err) {
      if (this.up) this.log.error({ err: (err as Error).message }, 'queue store unreachable');
      this.up = false;
      this.metrics.storeUp.set(0);
    }
  }

  /**
   * Memory is sampled on the timer only, never for a request: it moves slowly,
   * and a warning can wait one interval. A failed sample keeps the last figures;
   * the queue sample reports the outage.
   */
  private async sampleMemory(): Promise<void> {
    if (!this.store.memory) return;
    let m: StoreMemory;
    try {
      m = await this.store.memory();
    } catch {
      return;
    }
    this.memory = m;
    this.metrics.storeMemoryUsed.set(m.usedBytes);
    this.metrics.storeMemoryMax.set(m.maxBytes);
    const high = m.maxBytes > 0 && m.usedBytes >= m.maxBytes * MEMORY_WARN_RATIO;
    if (high && !this.memoryHigh) {
      this.log.warn(
        { used_memory: m.usedBytes, maxmemory: m.maxBytes },
        'Redis memory is nearly full: at maxmemory new webhooks are refused (503 store_unavailable)',
      );
    } else if (!high && this.memoryHigh) {
      this.log.info(
        { used_memory: m.usedBytes, maxmemory: m.maxBytes },
        'Redis memory has room again',
      );
    }
    this.memoryHigh = high;
  }

  /** For /health: set while the last memory sample was past MEMORY_WARN_RATIO of the limit. */
  get memoryWarning(): string | undefined {
    const m = this.memory;
    if (!m || !this.memoryHigh) return undefined;
    const percent = Math.floor((m.usedBytes / m.maxBytes) * 100);
    return `Redis memory is at ${percent}% of maxmemory (${m.usedBytes} of ${m.maxBytes} bytes). At the limit new webhooks get 503 store_unavailable while workers keep draining: raise maxmemory, or trim the dead-letter queue.`;
  }

  get storeUp(): boolean {
    return this.up;
  }

  /** True while the store refuses new jobs because its disk is full. */
  get diskFull(): boolean {
    return this.disk()?.full ?? false;
  }

  private disk(): DiskStatus | undefined {
    try {
      return this.store.disk?.();
    } catch {
      return undefined; // closed
    }
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
    this.metrics.noteDisk(this.disk());
  }

  /** True when the backlog (as `backlog` counts it) is at or over QUEUE_SIZE. */
  get full(): boolean {
    return this.backlog >= this.limit;
  }
}

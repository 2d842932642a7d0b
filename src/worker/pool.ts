/**
 * The bounded worker pool: at most `concurrency` jobs run at once on this instance.
 *
 * One read loop claims only as many jobs as there are free slots, so the jobs held
 * in memory never exceed `concurrency`. Each attempt gets an AbortSignal and a
 * timer; whatever the handler does (throw, reject with a non-Error, hang), the
 * attempt ends, its outcome is written to the store atomically, and the slot is
 * freed. Completed jobs are acknowledged in batches.
 *
 * Timers run beside the loop: one returns due retries to the queue, one takes back
 * jobs from consumers that died.
 */
import type { Logger } from 'pino';
import { PermanentError } from '../handlers/handler.js';
import type { HandlerRegistry } from '../handlers/registry.js';
import type { Metrics } from '../metrics.js';
import type { Delivery, Store } from '../store/store.js';
import { AttemptAbort, runAttempt } from './attempt.js';
import type { Backoff } from './backoff.js';
import { describeError } from './errors.js';
import { LoopPressure } from './loop-pressure.js';

export interface WorkerPoolOptions {
  store: Store;
  handlers: HandlerRegistry;
  metrics: Metrics;
  log: Logger;
  concurrency: number;
  jobTimeoutMs: number;
  maxRetries: number;
  backoff: Backoff;
  reclaimIdleMs: number;
  /** How often due retries are moved back to the queue. */
  promoteIntervalMs?: number;
  /**
   * For an instance that also ingests: true while ingest is refusing for load.
   * The pool then slows its reads while the event loop is saturated, so that HTTP
   * stays responsive (see loop-pressure.ts). A worker-only instance leaves it out
   * and reads as fast as it can.
   */
  yieldToIngest?: () => boolean;
}

const CLAIM_BLOCK_MS = 1_000;
const PROMOTE_BATCH = 500;
/** How often a store write that failed is tried again before the job is left for reclaim. */
const SETTLE_RETRY_DELAYS_MS = [100, 500, 2_000];

interface Running {
  delivery: Delivery;
  controller: AttemptAbort;
  /** Set once shutdown handed the job back; its late outcome is then ignored. */
  released: boolean;
}

export class WorkerPool {
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private started = false;
  private loop: Promise<void> | undefined;
  private slotWaiter: (() => void) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private ackBatch: Delivery[] = [];
  private ackScheduled = false;
  private readonly pendingWrites = new Set<Promise<unknown>>();
  private abandoned = 0;
  private readonly pressure: LoopPressure | undefined;
  private wakeOnStop: (() => void) | undefined;

  constructor(private readonly o: WorkerPoolOptions) {
    o.metrics.workers.set(o.concurrency);
    this.pressure = o.yieldToIngest ? new LoopPressure() : undefined;
  }

  get busy(): number {
    return this.running.size;
  }

  get size(): number {
    return this.o.concurrency;
  }

  /** True while the read loop is alive (started and not stopped). */
  get isRunning(): boolean {
    return this.started && !this.stopping;
  }

  start(): void {
    if (this.started || this.o.concurrency === 0) return;
    this.started = true;
    this.loop = this.readLoop();
    const promoteEvery = this.o.promoteIntervalMs ?? 250;
    this.every(promoteEvery, () => this.promote());
    this.every(Math.max(1_000, Math.floor(this.o.reclaimIdleMs / 4)), () => this.reclaim());
  }

  /**
   * Stops taking jobs, waits up to `graceMs` for running ones, then hands back
   * whatever is still running so another consumer can take it at once.
   */
  async stop(graceMs: number): Promise<{ finished: number; released: number }> {
    const before = this.running.size;
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.slotWaiter?.();
    this.wakeOnStop?.();
    await this.o.store.interruptClaim();
    await this.loop;
    await this.waitIdle(graceMs);
    const left = [...this.running.values()];
    let released = 0;
    if (left.length > 0) {
      for (const r of left) {
        r.released = true;
        r.controller.abort(new Error('service shutting down'));
        this.running.delete(r.delivery.handle);
      }
      try {
        ({ released } = await this.o.store.release(left.map((r) => r.delivery)));
      } catch (err) {
        this.o.log.warn(
          { err: describeError(err), jobs: left.length },
          'could not hand jobs back; they stay pending and are reclaimed after RECLAIM_IDLE',
        );
      }
    }
    this.flushAcks();
    await Promise.allSettled([...this.pendingWrites]);
    this.o.metrics.workersBusy.set(0);
    return { finished: before - left.length, released };
  }

  private async waitIdle(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.slotWaiter = resolve;
        const t = setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now())));
        t.unref();
      });
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    const tick = async () => {
      if (this.stopping) return;
      try {
        await task();
      } catch (err) {
        this.o.log.warn({ err: describeError(err) }, 'queue maintenance failed; will retry');
      }
      if (this.stopping) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void tick();
      }, ms);
      t.unref();
      this.timers.add(t);
    };
    const t = setTimeout(() => {
      this.timers.delete(t);
      void tick();
    }, 0);
    t.unref();
    this.timers.add(t);
  }

  private async promote(): Promise<void> {
    let moved: number;
    do {
      moved = await this.o.store.promoteDue(PROMOTE_BATCH);
    } while (moved === PROMOTE_BATCH && !this.stopping);
  }

  private async reclaim(): Promise<void> {
    const r = await this.o.store.reclaimStale(this.o.reclaimIdleMs, this.o.maxRetries + 1);
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

  private async readLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      // Under pressure, wait before reading, then read anyway: draining slows
      // down but never stops.
      const yieldMs = this.pressure?.nextPauseMs(this.o.yieldToIngest?.() ?? false) ?? 0;
      if (yieldMs > 0) await this.yieldFor(yieldMs);
      if (this.stopping) break;
      const free = this.o.concurrency - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.slotWaiter = resolve;
        });
        continue;
      }
      let deliveries: Delivery[];
      try {
        // Acknowledge what finished now, so that the acknowledgements and the next
        // read can share one round trip (see RedisStore.claim).
        this.flushAcks();
        deliveries = await this.o.store.claim(free, CLAIM_BLOCK_MS);
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 20 === 0) {
          this.o.log.warn({ err: describeError(err), failures }, 'claiming jobs failed; retrying');
        }
        await this.pause(Math.min(100 * 2 ** Math.min(failures, 4), 2_000));
        continue;
      }
      for (const d of deliveries) this.launch(d);
    }
  }

  /** Waits `ms`, or until stop(); a freed slot does not end it. */
  private yieldFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.timers.delete(t);
        this.wakeOnStop = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.timers.add(t);
      this.wakeOnStop = done;
    });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
      this.slotWaiter = resolve;
    });
  }

  private launch(delivery: Delivery): void {
    if (this.stopping) {
      // Claimed during shutdown: hand it straight back.
      this.track(this.o.store.release([delivery]));
      return;
    }
    const entry: Running = { delivery, controller: new AttemptAbort(), released: false };
    this.running.set(delivery.handle, entry);
    this.o.metrics.workersBusy.set(this.running.size);
    void this.attempt(entry);
  }

  private freeSlot(handle: string): void {
    this.running.delete(handle);
    this.o.metrics.workersBusy.set(this.running.size);
    const wake = this.slotWaiter;
    this.slotWaiter = undefined;
    wake?.();
  }

  private async attempt(entry: Running): Promise<void> {
    const { delivery, controller } = entry;
    const { job } = delivery;
    const typeLabel = this.o.metrics.typeLabel(job.type);
    const started = performance.now();
    let error: unknown;
    let failed = false;
    try {
      await runAttempt({
        delivery,
        handler: this.o.handlers.resolve(job.source, job.type),
        abort: controller,
        timeoutMs: this.o.jobTimeoutMs,
        log: this.o.log,
        onAbandoned: (delta) => {
          this.abandoned += delta;
          this.o.metrics.abandoned.set(this.abandoned);
        },
      });
    } catch (err) {
      failed = true;
      error = err;
    }
    const durationMs = performance.now() - started;
    this.o.metrics.duration.observe({ event_type: typeLabel }, durationMs / 1000);
    if (entry.released) return;
    const fields = {
      job_id: job.id,
      event_type: job.type,
      source: job.source,
      attempt: delivery.attempt,
      duration_ms: Math.round(durationMs * 100) / 100,
    };
    if (!failed) {
      this.o.metrics.completed.inc({ event_type: typeLabel });
      this.o.log.debug(fields, 'job completed');
      this.ackLater(delivery);
      this.freeSlot(delivery.handle);
      return;
    }
    controller.abort(error);
    this.o.metrics.failed.inc({ event_type: typeLabel });
    const message = describeError(error);
    const permanent = error instanceof PermanentError;
    try {
      if (permanent || delivery.attempt > this.o.maxRetries) {
        this.o.log.error(
          { ...fields, err: message, permanent },
          permanent
            ? 'job failed permanently; dead-lettered'
            : 'job failed on its last attempt; dead-lettered',
        );
        await this.persist(() => this.o.store.deadLetter(delivery, delivery.attempt, message));
        this.o.metrics.deadLettered.inc({ event_type: typeLabel });
      } else {
        const delayMs = this.o.backoff(delivery.attempt);
        this.o.log.warn(
          { ...fields, err: message, retry_in_ms: delayMs },
          'job failed; retry scheduled',
        );
        await this.persist(() => this.o.store.retryLater(delivery, delayMs, message));
        this.o.metrics.retried.inc({ event_type: typeLabel });
      }
    } catch (err) {
      this.o.log.error(
        { ...fields, err: describeError(err) },
        'could not record the failed attempt; the job stays pending and is reclaimed after RECLAIM_IDLE',
      );
    } finally {
      this.freeSlot(delivery.handle);
    }
  }

  private ackLater(delivery: Delivery): void {
    this.ackBatch.push(delivery);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => this.flushAcks());
  }

  private flushAcks(): void {
    this.ackScheduled = false;
    if (this.ackBatch.length === 0) return;
    const batch = this.ackBatch;
    this.ackBatch = [];
    this.track(
      this.persist(() => this.o.store.complete(batch)).catch((err: unknown) => {
        this.o.log.error(
          { err: describeError(err), jobs: batch.length },
          'could not acknowledge completed jobs; they will run again after RECLAIM_IDLE',
        );
      }),
    );
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((err: unknown) => {
      this.o.log.warn({ err: describeError(err) }, 'store write failed');
    });
    this.pendingWrites.add(guarded);
    void guarded.finally(() => this.pendingWrites.delete(guarded));
  }

  /** A store write, tried again a few times: a blip must not cost a re-run. */
  private async persist<T>(write: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await write();
      } catch (err) {
        const delay = SETTLE_RETRY_DELAYS_MS[i];
        if (delay === undefined) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

/**
 * The bounded worker pool: at most `concurrency` jobs run at once on this instance.
 *
 * One read loop claims only as many jobs as there are free slots, so the jobs held
 * in memory never exceed `concurrency`. Each attempt gets an AbortSignal and a
 * timer; whatever the handler does (throw, reject with anything, hang), the
 * attempt ends, its outcome is written to the store, and the slot is freed.
 *
 * A job is never made available again while its handler still runs here: a
 * handler that outlives TIMEOUT frees its slot, but the job's retry is written
 * only once the handler settles. Until then the job stays pending, and a handler
 * still running after RECLAIM_IDLE is treated as lost: the job is reclaimed as a
 * dead consumer's would be. Shutdown likewise hands back only jobs whose
 * handlers settled; the others stay pending until they are reclaimed.
 *
 * Beside the loop, QueueMaintenance returns due retries to the queue and takes
 * back jobs from consumers that died.
 */
import type { Logger } from 'pino';
import type { HandlerOptions, HandlerRegistry } from '../handlers/registry.js';
import type { Metrics } from '../metrics.js';
import type { ServiceEvents } from '../service-events.js';
import type { AttemptReport } from '../store/event-log.js';
import type { Delivery, Store } from '../store/store.js';
import { AttemptAbort, type AttemptResult, runAttempt } from './attempt.js';
import type { Backoff } from './backoff.js';
import { describeError } from './errors.js';
import { LoopPressure } from './loop-pressure.js';
import { QueueMaintenance } from './maintenance.js';
import { type AttemptFields, isRetryLater, Outcomes } from './outcomes.js';
import { RetryPolicy } from './retry-policy.js';

export interface WorkerPoolOptions {
  store: Store;
  handlers: HandlerRegistry;
  metrics: Metrics;
  log: Logger;
  concurrency: number;
  jobTimeoutMs: number;
  /** With `backoff`, the pool's RetryPolicy (see retry-policy.ts). */
  maxRetries: number;
  backoff: Backoff;
  reclaimIdleMs: number;
  /** Where each job's outcome is reported once the store has it (see service-events.ts). */
  events?: ServiceEvents;
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

interface Running {
  delivery: Delivery;
  controller: AttemptAbort;
  /** Set when shutdown aborted the handler: its settling then decides a hand-back. */
  interrupted: boolean;
}

/** What stop() did with the jobs that were running. */
export interface StopResult {
  /** Finished during the grace period (completed, or their failure recorded). */
  finished: number;
  /** Handed back after their handlers settled on the abort. */
  released: number;
  /** Handed back once too often, with no attempts left: dead-lettered. */
  deadLettered: number;
  /** Handlers still running: their jobs stay pending until reclaimed after RECLAIM_IDLE. */
  leftRunning: number;
}

export class WorkerPool {
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private started = false;
  private loop: Promise<void> | undefined;
  private slotWaiter: (() => void) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly outcomes: Outcomes;
  private readonly maintenance: QueueMaintenance;
  private readonly retry: RetryPolicy;
  private readonly ownPolicies = new WeakMap<object, RetryPolicy>();
  /** Handlers past their timeout and still running (their slots are free). */
  private abandoned = 0;
  /** Interrupted by shutdown and settled without an outcome: to be handed back. */
  private readonly toHandBack: Delivery[] = [];
  /** Set at the end of stop(): outcomes that arrive later are not written. */
  private closed = false;
  private readonly pressure: LoopPressure | undefined;
  private wakeOnStop: (() => void) | undefined;

  constructor(private readonly o: WorkerPoolOptions) {
    o.metrics.workers.set(o.concurrency);
    this.pressure = o.yieldToIngest ? new LoopPressure() : undefined;
    this.retry = new RetryPolicy({ maxRetries: o.maxRetries, backoff: o.backoff });
    const maxAttempts = () => this.maxAttemptsOfAnyType();
    this.outcomes = new Outcomes({ ...o, retry: this.retry, maxAttempts });
    this.maintenance = new QueueMaintenance({
      ...o,
      maxAttempts,
      promoteIntervalMs: o.promoteIntervalMs ?? 250,
    });
  }

  /** A handler's own policy when it has options of its own, else the pool's. */
  private retryFor(options: Readonly<HandlerOptions>): RetryPolicy {
    if (options.maxRetries === undefined && options.backoff === undefined) return this.retry;
    let policy = this.ownPolicies.get(options);
    if (!policy) {
      policy = this.retry.with({
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
        ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
      });
      this.ownPolicies.set(options, policy);
    }
    return policy;
  }

  /**
   * The limit a reclaim or a hand-back applies: they move jobs of every type in
   * one store step, so they take the largest, and a type with fewer retries
   * dead-letters at its own limit on its next failure instead.
   */
  private maxAttemptsOfAnyType(): number {
    let most = this.retry.maxAttempts;
    for (const options of this.o.handlers.allOptions()) {
      if (options.maxRetries !== undefined) most = Math.max(most, options.maxRetries + 1);
    }
    return most;
  }

  get busy(): number {
    return this.running.size;
  }

  /** Handlers still running, in a slot or abandoned past their timeout. */
  get handlersRunning(): number {
    return this.running.size + this.abandoned;
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
    this.maintenance.start();
  }

  /**
   * Stops taking jobs and waits up to `graceMs` for running ones. Then aborts
   * the rest and waits up to `settleMs` for their handlers to settle: those that
   * do are handed back (or completed, if they resolved). A handler that ignores
   * its signal keeps its job pending, for a reclaim after RECLAIM_IDLE, once this
   * process can no longer run it.
   */
  async stop(graceMs: number, settleMs = 500): Promise<StopResult> {
    const before = this.running.size;
    this.stopping = true;
    this.maintenance.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.slotWaiter?.();
    this.wakeOnStop?.();
    await this.o.store.interruptClaim();
    await this.loop;
    await this.waitIdle(graceMs);
    const interrupted = [...this.running.values()];
    for (const r of interrupted) {
      r.interrupted = true;
      r.controller.abort(new Error('service shutting down'));
    }
    if (interrupted.length > 0) await this.waitIdle(settleMs);
    const leftRunning = this.handlersRunning;
    this.closed = true;
    this.running.clear();
    const handedBack = await this.outcomes.handBack(this.toHandBack.splice(0));
    await this.outcomes.drain();
    this.o.metrics.workersBusy.set(0);
    return {
      finished: before - interrupted.length,
      released: handedBack.released,
      deadLettered: handedBack.deadLettered,
      leftRunning,
    };
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
        this.outcomes.flushAcks();
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
      // Claimed during shutdown: it never started, so it goes back unchanged.
      this.outcomes.releaseUnstarted(delivery);
      return;
    }
    const entry: Running = {
      delivery,
      controller: new AttemptAbort(),
      interrupted: false,
    };
    this.running.set(delivery.handle, entry);
    this.o.metrics.workersBusy.set(this.running.size);
    // attempt() catches everything itself; this guard only keeps a rejection from
    // ever becoming an unhandled one, which stops the process.
    void this.attempt(entry).catch(() => undefined);
  }

  private freeSlot(handle: string): void {
    if (!this.running.delete(handle)) return;
    this.o.metrics.workersBusy.set(this.running.size);
    const wake = this.slotWaiter;
    this.slotWaiter = undefined;
    wake?.();
  }

  /** Runs one attempt and records its outcome; the slot is freed whatever happens. */
  private async attempt(entry: Running): Promise<void> {
    const { delivery, controller } = entry;
    const { job } = delivery;
    const started = performance.now();
    const startedAt = Date.now();
    try {
      const typeLabel = this.o.metrics.typeLabel(job.type);
      const { handler, options } = this.o.handlers.lookup(job.source, job.type);
      const result = await runAttempt({
        delivery,
        handler,
        abort: controller,
        timeoutMs: options.timeout ?? this.o.jobTimeoutMs,
        log: this.o.log,
      });
      const durationMs = performance.now() - started;
      this.o.metrics.duration.observe({ event_type: typeLabel }, durationMs / 1000);
      if (result.kind === 'timedOut') this.watchAbandoned(result.settled);
      if (this.closed) return; // after stop: the job stays pending for the reclaim
      const report: AttemptReport = { startedAt, durationMs: Math.round(durationMs) };
      if (entry.interrupted) {
        this.settleInterrupted(delivery, result, report);
        return;
      }
      const fields: AttemptFields = {
        job_id: job.id,
        event_type: job.type,
        source: job.source,
        attempt: delivery.attempt,
        duration_ms: Math.round(durationMs * 100) / 100,
      };
      if (result.kind === 'completed') {
        this.o.metrics.completed.inc({ event_type: typeLabel });
        this.o.log.debug(fields, 'job completed');
        this.outcomes.completed(delivery, report);
        return;
      }
      controller.abort(result.error);
      if (result.kind === 'failed' && isRetryLater(result.error)) {
        // Not a failure: nothing counted, and the attempt is not spent.
        await this.outcomes.later(delivery, result.error, fields, report);
        return;
      }
      this.o.metrics.failed.inc({ event_type: typeLabel });
      const retry = this.retryFor(options);
      if (result.kind === 'failed') {
        await this.outcomes.failed(delivery, result.error, fields, typeLabel, report, retry);
        return;
      }
      // Timed out, handler still running: the slot is freed now; the retry waits
      // for the handler, and the job stays pending (reclaimed after RECLAIM_IDLE
      // if the handler never settles).
      void this.recordWhenSettled(
        delivery,
        result.settled,
        result.error,
        fields,
        typeLabel,
        report,
        retry,
      );
    } catch (err) {
      this.o.log.error(
        { job_id: job.id, err: describeError(err) },
        'could not run or record an attempt; the job stays pending and is reclaimed after RECLAIM_IDLE',
      );
    } finally {
      this.freeSlot(delivery.handle);
    }
  }

  /** Shutdown aborted it and it settled: a success is completed, anything else handed back. */
  private settleInterrupted(
    delivery: Delivery,
    result: AttemptResult,
    report: AttemptReport,
  ): void {
    if (result.kind === 'completed') this.outcomes.completed(delivery, report);
    else if (result.kind === 'failed') this.toHandBack.push(delivery);
    // Timed out during the shutdown, still running: left pending for the reclaim.
  }

  private watchAbandoned(settled: Promise<void>): void {
    this.abandoned++;
    this.o.metrics.abandoned.set(this.abandoned);
    void settled.then(() => {
      this.abandoned--;
      this.o.metrics.abandoned.set(this.abandoned);
    });
  }

  /** Writes a timed-out attempt's failure once its handler settles, unless stop() came first. */
  private async recordWhenSettled(
    delivery: Delivery,
    settled: Promise<void>,
    error: unknown,
    fields: AttemptFields,
    typeLabel: string,
    report: AttemptReport,
    retry: RetryPolicy,
  ): Promise<void> {
    await settled;
    if (!this.closed) {
      await this.outcomes.failed(delivery, error, fields, typeLabel, report, retry);
    }
  }
}

/**
 * One destination's deliveries on this instance: a loop that claims from the
 * destination's own queue only as many deliveries as it has free slots
 * (`concurrency`), and only while its breaker lets them go, its operator has
 * not paused it and its rate limit has room. A destination that is slow or down
 * therefore holds its own slots and queue, never another's.
 *
 * Each attempt's outcome is written to the queue (complete, retry with backoff,
 * or dead-letter) and to the shared breaker. Waiting for the breaker, a pause
 * or the rate limit spends no attempt.
 */
import type { Logger } from 'pino';
import { jobEvent, type ServiceEvents } from '../service-events.js';
import type { DestinationStates, Gate } from '../store/destinations.js';
import type { AttemptReport } from '../store/event-log.js';
import { persist } from '../store/persist.js';
import type { Delivery, DeliveryQueue } from '../store/store.js';
import { describeError } from '../worker/errors.js';
import type { RetryPolicy } from '../worker/retry-policy.js';
import type { DestinationConfig } from './destination.js';
import { destinationRetryPolicy } from './destination-retry.js';
import type { AttemptOutcome, OutboundMessage } from './http-sender.js';
import type { DeliveryMetrics } from './metrics.js';

/** Sends one attempt; never rejects (see HttpSender). */
export type Send = (
  destination: string,
  msg: OutboundMessage,
  signal: AbortSignal,
) => Promise<AttemptOutcome>;

export interface DestinationWorkerOptions {
  destination: DestinationConfig;
  queue: DeliveryQueue;
  states: DestinationStates;
  send: Send;
  metrics: DeliveryMetrics;
  log: Logger;
  /** How long a claim waits for work. */
  claimBlockMs?: number;
  /** Where each delivery's outcome is reported once the queue has it (see service-events.ts). */
  events?: ServiceEvents;
}

/** Longest a loop sleeps before looking at the breaker or pause again. */
const STATE_POLL_MS = 1_000;
/** A rate-limit wait longer than this puts the delivery back in its schedule instead of holding a slot. */
const MAX_RATE_WAIT_MS = 2_000;

interface Running {
  delivery: Delivery;
  abort: AbortController;
  done: Promise<void>;
}

export class DestinationWorker {
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Until when the rate limit has no room (ms since the epoch); claims wait for it. */
  private rateBlockedUntil = 0;
  private readonly retry: RetryPolicy;
  private readonly d: DestinationConfig;
  private readonly log: Logger;

  constructor(private readonly o: DestinationWorkerOptions) {
    this.d = o.destination;
    this.retry = destinationRetryPolicy(this.d);
    this.log = o.log.child({ destination: this.d.name });
  }

  get inFlight(): number {
    return this.running.size;
  }

  start(): void {
    this.loop ??= this.readLoop();
  }

  /**
   * Stops claiming, lets running attempts finish for up to `graceMs`, then
   * aborts the rest and hands back those that were aborted. An aborted request
   * settles at once (undici ends it), so nothing this process still sends is
   * handed to another instance.
   */
  async stop(graceMs: number): Promise<{ finished: number; released: number }> {
    const before = this.running.size;
    this.stopping = true;
    this.wake?.();
    await this.o.queue.interruptClaim();
    await this.loop;
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      await this.sleep(Math.min(50, deadline - Date.now()));
    }
    const left = [...this.running.values()];
    for (const r of left) r.abort.abort(new Error('service shutting down'));
    await Promise.allSettled(left.map((r) => r.done));
    return { finished: before - left.length, released: this.released };
  }

  private released = 0;

  private async readLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const free = this.d.concurrency - this.running.size;
      if (free <= 0) {
        await this.sleep(STATE_POLL_MS);
        continue;
      }
      // Over its rate limit for a while: claim nothing until it has room again, so
      // that the backlog is not claimed and put back over and over.
      const rateWait = this.rateBlockedUntil - Date.now();
      if (rateWait > 0) {
        await this.sleep(Math.min(rateWait, STATE_POLL_MS));
        continue;
      }
      let gate: Gate;
      let deliveries: Delivery[];
      try {
        gate = await this.o.states.gate(this.d.name, this.d.timeoutMs + 5_000);
        if (!gate.go) {
          await this.sleep(Math.max(1, Math.min(gate.waitMs || STATE_POLL_MS, STATE_POLL_MS)));
          continue;
        }
        const max = gate.probe ? 1 : Math.min(free, this.rateBatch());
        deliveries = await this.o.queue.claim(max, this.o.claimBlockMs ?? 1_000);
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 20 === 0) {
          this.log.warn(
            { err: describeError(err), failures },
            'claiming deliveries failed; retrying',
          );
        }
        await this.sleep(Math.min(100 * 2 ** Math.min(failures, 4), 2_000));
        continue;
      }
      let probe = gate.probe;
      if (deliveries.length > 0 && !gate.probe) {
        ({ deliveries, probe } = await this.askAgain(deliveries));
      }
      // A probe claims one delivery: its outcome alone decides the open breaker.
      deliveries.forEach((delivery, i) => {
        const isProbe = probe && i === 0;
        this.launch(delivery, (signal) => this.attempt(delivery, signal, isProbe));
      });
    }
  }

  /**
   * The claim may have waited for work while another instance opened the
   * breaker or an operator paused the destination: asks again before sending,
   * and returns the deliveries that may go. The rest go back to their schedule
   * unspent; all of them when the answer could not be had (the store blinked
   * after the claim). Every claimed delivery is either sent or handed back: one
   * left held would wait for the reclaim, which counts it as a lost attempt.
   */
  private async askAgain(
    deliveries: Delivery[],
  ): Promise<{ deliveries: Delivery[]; probe: boolean }> {
    let now: Gate | undefined;
    try {
      now = await this.o.states.gate(this.d.name, this.d.timeoutMs + 5_000);
    } catch (err) {
      this.log.warn(
        { err: describeError(err), deliveries: deliveries.length },
        'could not ask the breaker before sending; the claimed deliveries wait their turn again',
      );
    }
    const go = now?.go ? (now.probe ? 1 : deliveries.length) : 0;
    const waitMs = now && !now.go ? Math.max(now.waitMs, STATE_POLL_MS) : STATE_POLL_MS;
    for (const d of deliveries.splice(go)) this.launch(d, () => this.defer(d, waitMs));
    return { deliveries, probe: now?.go === true && now.probe };
  }

  /** With a rate limit, claim no more than about one second's worth at once. */
  private rateBatch(): number {
    const r = this.d.rateLimit;
    if (!r) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.floor((r.count * 1_000) / r.perMs));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Runs `work` on a claimed delivery (by default, an attempt), holding one of its slots. */
  private launch(
    delivery: Delivery,
    work: (signal: AbortSignal) => Promise<void> = (signal) => this.attempt(delivery, signal),
  ): void {
    const abort = new AbortController();
    const entry: Running = { delivery, abort, done: Promise.resolve() };
    this.running.set(delivery.handle, entry);
    entry.done = work(abort.signal)
      .catch((err: unknown) =>
        this.log.error(
          { err: describeError(err), job_id: delivery.job.id },
          'delivery bookkeeping failed; it is reclaimed after RECLAIM_IDLE',
        ),
      )
      .finally(() => {
        this.running.delete(delivery.handle);
        const wake = this.wake;
        this.wake = undefined;
        wake?.();
      });
  }

  private async attempt(delivery: Delivery, signal: AbortSignal, probe = false): Promise<void> {
    if (this.d.rateLimit && !(await this.waitForRate(delivery, signal))) return;
    if (signal.aborted) {
      await this.handBack(delivery);
      return;
    }
    const { job } = delivery;
    const startedAt = Date.now();
    const outcome = await this.o.send(
      this.d.name,
      {
        webhookId: `${job.id}:${this.d.name}`,
        body: job.payload,
        contentType: job.contentType ?? 'application/json',
        source: job.source,
        eventType: job.type,
        eventId: job.id,
        attempt: delivery.attempt,
      },
      signal,
    );
    if (signal.aborted && outcome.kind !== 'delivered') {
      // Cut short by shutdown: not the destination's failure. The request may have
      // arrived, so this counts as a started hand-back (only the first is free).
      await this.handBack(delivery, true);
      return;
    }
    await this.settle(delivery, outcome, probe, startedAt);
  }

  /** True once a request may go; false when the delivery was rescheduled instead. */
  private async waitForRate(delivery: Delivery, signal: AbortSignal): Promise<boolean> {
    const r = this.d.rateLimit;
    if (!r) return true;
    const deadline = Date.now() + MAX_RATE_WAIT_MS;
    for (;;) {
      let waitMs: number;
      try {
        waitMs = await this.o.states.takeRate(this.d.name, r.count, r.perMs);
      } catch {
        // Not known to be within the limit: back to its schedule, its attempt unspent.
        await this.defer(delivery, STATE_POLL_MS);
        return false;
      }
      if (waitMs === 0) return true;
      if (signal.aborted) {
        await this.handBack(delivery);
        return false;
      }
      if (Date.now() + waitMs > deadline) {
        this.rateBlockedUntil = Math.max(this.rateBlockedUntil, Date.now() + waitMs);
        await this.defer(delivery, waitMs);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** Back to its schedule after `ms`, with its attempt count unchanged. */
  private async defer(delivery: Delivery, ms: number): Promise<void> {
    const unspent = { ...delivery, attempt: delivery.attempt - 1 };
    await persist(() => this.o.queue.retryLater(unspent, ms, delivery.previousError ?? ''));
  }

  /** Back to waiting for any instance; `started` when its request was under way. */
  private async handBack(delivery: Delivery, started = false): Promise<void> {
    const r = await persist(() =>
      this.o.queue.release(
        [delivery],
        started
          ? {
              maxAttempts: this.retry.maxAttempts,
              error: 'interrupted by a shutdown again while delivering',
            }
          : undefined,
      ),
    );
    this.released += r.released;
  }

  private async settle(
    delivery: Delivery,
    outcome: AttemptOutcome,
    probe: boolean,
    startedAt: number,
  ): Promise<void> {
    const { job } = delivery;
    const report: AttemptReport = {
      startedAt,
      durationMs: Math.round(outcome.durationMs),
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
    };
    const m = this.o.metrics;
    const name = this.d.name;
    m.duration.observe({ destination: name }, outcome.durationMs / 1000);
    m.status.inc({
      destination: name,
      code_class: outcome.kind === 'delivered' ? '2xx' : outcome.codeClass,
    });
    const fields = {
      job_id: job.id,
      event_id: job.id,
      source: job.source,
      event_type: job.type,
      destination: name,
      attempt: delivery.attempt,
      status: outcome.status,
      duration_ms: Math.round(outcome.durationMs * 100) / 100,
    };
    const event = {
      ...jobEvent(delivery, report.durationMs),
      destination: name,
      status: outcome.status,
    };
    if (outcome.kind === 'delivered') {
      // The two writes are independent: sent together, they cost the slot one
      // store round trip instead of two (and one socket write, pipelined).
      const recorded = this.o.states.recordSuccess(name, probe).catch(() => undefined);
      await persist(() => this.o.queue.complete([delivery], [report]));
      m.deliveries.inc({ destination: name, outcome: 'delivered' });
      this.o.events?.report('delivery:delivered', event);
      this.log.info(fields, 'delivered');
      this.noteBreaker(await recorded);
      return;
    }
    m.deliveries.inc({ destination: name, outcome: 'failed' });
    this.log.warn({ ...fields, err: outcome.error }, 'delivery attempt failed');
    this.noteBreaker(
      await this.o.states
        .recordFailure(
          name,
          outcome.error,
          {
            failures: this.d.breakerFailures,
            cooldownMs: this.d.breakerCooldownMs,
            maxCooldownMs: this.d.breakerMaxCooldownMs,
          },
          { refusal: isRefusal(outcome), probe },
        )
        .catch(() => undefined),
    );
    const decision = this.retry.decide({
      attempt: delivery.attempt,
      permanent: outcome.kind === 'dead',
      ...(outcome.kind === 'retry' && outcome.retryAfterMs !== undefined
        ? { retryAfterMs: outcome.retryAfterMs }
        : {}),
    });
    if (decision.kind === 'dead') {
      const moved = await persist(() =>
        this.o.queue.deadLetter(delivery, delivery.attempt, recordedError(outcome), report),
      );
      if (moved) {
        m.deliveries.inc({ destination: name, outcome: 'dead_lettered' });
        const failed = { ...event, error: recordedError(outcome) };
        this.o.events?.report('delivery:failed', { ...failed, next: 'dead' });
        this.o.events?.report('delivery:dead', { ...failed, reason: decision.reason });
        this.log.error(
          { ...fields, err: outcome.error },
          decision.reason === 'permanent'
            ? 'delivery refused; dead-lettered'
            : 'delivery failed on its last attempt; dead-lettered',
        );
      }
      return;
    }
    const { delayMs } = decision;
    const scheduled = await persist(() =>
      this.o.queue.retryLater(delivery, delayMs, recordedError(outcome), report),
    );
    if (scheduled) {
      m.deliveries.inc({ destination: name, outcome: 'retried' });
      this.o.events?.report('delivery:failed', {
        ...event,
        error: recordedError(outcome),
        next: 'retry',
      });
      this.log.info({ ...fields, retry_in_ms: delayMs }, 'delivery retry scheduled');
    }
  }

  private noteBreaker(change: string | undefined): void {
    if (change === 'opened' || change === 'reopened') {
      this.log.warn(
        { destination: this.d.name, breaker: change },
        'circuit breaker open: deliveries wait',
      );
    } else if (change === 'closed') {
      this.log.info(
        { destination: this.d.name, breaker: change },
        'circuit breaker closed: delivering again',
      );
    }
  }
}

/**
 * An answer that refuses this event (3xx, or a 4xx other than 408 and 429): the
 * destination is up and answering, so it does not count towards its breaker.
 */
function isRefusal(outcome: AttemptOutcome): boolean {
  if (outcome.kind === 'delivered' || outcome.status === undefined) return false;
  return (
    outcome.status >= 300 &&
    outcome.status < 500 &&
    outcome.status !== 408 &&
    outcome.status !== 429
  );
}

/** The error kept with a retry or a dead letter: with the start of the answer, if any (at most 1 KiB). */
function recordedError(outcome: AttemptOutcome): string {
  if (outcome.kind === 'delivered') return '';
  return outcome.responseBody
    ? `${outcome.error}; answered: ${outcome.responseBody}`
    : outcome.error;
}

/**
 * Delivery on this instance: one DestinationWorker per destination, plus the
 * timers each destination's queue needs (due retries back to waiting, stale
 * deliveries of dead instances taken back) and the gauges of its state.
 */
import type { Logger } from 'pino';
import type { ServiceEvents } from '../service-events.js';
import type { DestinationStates } from '../store/destinations.js';
import type { DeliveryQueue, Store } from '../store/store.js';
import { describeError } from '../worker/errors.js';
import type { DestinationConfig } from './destination.js';
import { destinationRetryPolicy } from './destination-retry.js';
import { DestinationWorker, type Send } from './destination-worker.js';
import { type DeliveryMetrics, STATE_VALUE } from './metrics.js';

export interface DispatcherOptions {
  destinations: readonly DestinationConfig[];
  store: Store;
  send: Send;
  metrics: DeliveryMetrics;
  log: Logger;
  /** The service's RECLAIM_IDLE; a destination's is at least its timeout plus a margin. */
  reclaimIdleMs: number;
  promoteIntervalMs?: number;
  gaugeIntervalMs?: number;
  /** Where each delivery's outcome is reported (see service-events.ts). */
  events?: ServiceEvents;
}

const PROMOTE_BATCH = 500;
/** A delivery held this long past its request's timeout (and the longest rate wait) is stale. */
export const RECLAIM_MARGIN_MS = 15_000;

/** The RECLAIM_IDLE a destination's deliveries get: never shorter than a request can last. */
export function destinationReclaimIdleMs(d: DestinationConfig, serviceIdleMs: number): number {
  return Math.max(serviceIdleMs, d.timeoutMs + RECLAIM_MARGIN_MS);
}

export class Dispatcher {
  private readonly workers = new Map<string, DestinationWorker>();
  private readonly queues = new Map<string, DeliveryQueue>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopping = false;
  private sampled: { name: string; state: 'closed' | 'open' | 'paused'; backlog: number }[];

  constructor(private readonly o: DispatcherOptions) {
    this.sampled = o.destinations.map((d) => ({ name: d.name, state: 'closed', backlog: 0 }));
    for (const d of o.destinations) {
      const queue = o.store.lane(d.name);
      this.queues.set(d.name, queue);
      this.workers.set(
        d.name,
        new DestinationWorker({
          destination: d,
          queue,
          states: o.store.destinations,
          send: o.send,
          metrics: o.metrics,
          log: o.log,
          ...(o.events ? { events: o.events } : {}),
        }),
      );
    }
  }

  get states(): DestinationStates {
    return this.o.store.destinations;
  }

  /** Each destination's state and backlog at the last sample (every few seconds). */
  get lastSampled(): readonly { name: string; state: string; backlog: number }[] {
    return this.sampled;
  }

  /** Deliveries in flight from this instance, per destination. */
  inFlight(name: string): number {
    return this.workers.get(name)?.inFlight ?? 0;
  }

  start(): void {
    for (const w of this.workers.values()) w.start();
    for (const d of this.o.destinations) {
      const queue = this.queues.get(d.name) as DeliveryQueue;
      const idle = destinationReclaimIdleMs(d, this.o.reclaimIdleMs);
      const { maxAttempts } = destinationRetryPolicy(d);
      this.every(this.o.promoteIntervalMs ?? 250, async () => {
        while ((await queue.promoteDue(PROMOTE_BATCH)) === PROMOTE_BATCH && !this.stopping);
      });
      this.every(Math.max(1_000, Math.floor(idle / 4)), async () => {
        const r = await queue.reclaimStale(idle, maxAttempts);
        if (r.requeued + r.deadLettered > 0) {
          this.o.log.warn(
            { destination: d.name, requeued: r.requeued, dead_lettered: r.deadLettered },
            'took back deliveries from an instance that stopped',
          );
        }
      });
    }
    this.every(this.o.gaugeIntervalMs ?? 2_000, () => this.sampleGauges());
  }

  async stop(graceMs: number): Promise<{ finished: number; released: number }> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const results = await Promise.all([...this.workers.values()].map((w) => w.stop(graceMs)));
    return results.reduce(
      (a, r) => ({ finished: a.finished + r.finished, released: a.released + r.released }),
      { finished: 0, released: 0 },
    );
  }

  private async sampleGauges(): Promise<void> {
    const sampled: typeof this.sampled = [];
    for (const d of this.o.destinations) {
      const [status, stats] = await Promise.all([
        this.states.status(d.name),
        (this.queues.get(d.name) as DeliveryQueue).stats(),
      ]);
      const state = status.paused ? 'paused' : status.breaker;
      this.o.metrics.state.set({ destination: d.name }, STATE_VALUE[state]);
      const backlog = stats.waiting + stats.inProgress + stats.scheduled;
      this.o.metrics.backlog.set({ destination: d.name }, backlog);
      sampled.push({ name: d.name, state, backlog });
    }
    this.sampled = sampled;
  }

  private every(ms: number, task: () => Promise<void>): void {
    const tick = async () => {
      if (this.stopping) return;
      try {
        await task();
      } catch (err) {
        this.o.log.warn(
          { err: describeError(err) },
          'delivery queue maintenance failed; will retry',
        );
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
}

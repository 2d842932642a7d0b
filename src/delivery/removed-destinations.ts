/**
 * Deliveries of destinations that left the configuration. Nothing delivers
 * them any more, so they go to the DLQ, where an operator sees them, rather
 * than waiting for ever. Run on every instance that delivers: at start-up, then
 * on a timer for as long as such a queue is left (an older instance that still
 * has the destination may hold deliveries, or add new ones, during a rolling
 * deploy).
 *
 * The rule: waiting and scheduled deliveries are taken at once; an in-progress
 * one only once its holder has been silent for `idleMs`, so that an older
 * instance still delivering it is not raced.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { describeError } from '../worker/errors.js';
import { MAX_TIMEOUT_MS } from './destinations-file.js';
import { RECLAIM_MARGIN_MS } from './dispatcher.js';

/** How often to look again while a removed destination's queue is left. */
export const REMOVED_SWEEP_INTERVAL_MS = 60_000;

export interface RemovedDestinationsOptions {
  store: Store;
  /** The names in the current configuration. */
  configured: readonly string[];
  /** In-progress deliveries held longer than this are taken. */
  idleMs: number;
  log: Logger;
  /** How often to look again while a removed destination's queue is left. */
  intervalMs: number;
}

/**
 * When an in-progress delivery of a removed destination counts as abandoned. Its
 * timeout is no longer known, so the longest one allowed is waited out.
 */
export function removedReclaimIdleMs(serviceIdleMs: number): number {
  return Math.max(serviceIdleMs, MAX_TIMEOUT_MS + RECLAIM_MARGIN_MS);
}

/** The last error of a delivery dead-lettered because its destination is gone. */
export function notConfiguredError(name: string): string {
  return `destination ${name} is no longer configured`;
}

export class RemovedDestinations {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: RemovedDestinationsOptions) {}

  /** Sweeps once (resolving when done; a failure is logged), then again on a timer while needed. */
  async start(): Promise<void> {
    await this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Dead-letters what it may; returns how many removed destinations had a queue. */
  async sweep(): Promise<number> {
    const configured = new Set(this.o.configured);
    const removed = (await this.o.store.storedLanes()).filter((name) => !configured.has(name));
    for (const name of removed) {
      const r = await this.o.store.retireLane(name, this.o.idleMs, notConfiguredError(name));
      if (r.deadLettered > 0 || r.held > 0) {
        this.o.log.warn(
          { destination: name, dead_lettered: r.deadLettered, held: r.held },
          r.held > 0
            ? 'deliveries of a destination no longer configured moved to the DLQ; some are still held by another instance and follow once idle'
            : 'deliveries of a destination no longer configured moved to the DLQ',
        );
      }
    }
    return removed.length;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let again = true;
    try {
      again = (await this.sweep()) > 0;
    } catch (err) {
      this.o.log.warn(
        { err: describeError(err) },
        'could not move the deliveries of removed destinations to the DLQ; will retry',
      );
    }
    if (!again || this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.o.intervalMs);
    this.timer.unref();
  }
}

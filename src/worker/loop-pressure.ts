/**
 * Yielding to HTTP: when the worker pool shares its process with ingest and the
 * instance is overloaded, a saturated event loop delays every answer, 202s and
 * 503s alike, and senders wait on their connections (and time out, and retry,
 * which makes it worse). Jobs, meanwhile, can wait safely in the durable queue.
 * So while ingest is refusing for load and the loop is nearly always busy, the
 * pool pauses a little before each read: fewer jobs run, fewer are accepted (the
 * backlog bound refuses the rest, cheaply), and the loop gets its headroom back.
 * The pause grows while the pressure lasts and is gone as soon as it ends.
 *
 * A busy loop alone is no reason to yield: below overload, draining at full
 * speed is what keeps the queue (and the time from 202 to handler) short.
 */
import { performance } from 'node:perf_hooks';

/** Event-loop utilization above which the pool starts to yield. */
const BUSY = 0.9;
/** …and below which it stops. */
const CALM = 0.8;
/** Shortest span over which utilization is judged. */
const WINDOW_MS = 50;
const MIN_PAUSE_MS = 1;
const MAX_PAUSE_MS = 50;

export class LoopPressure {
  private mark = performance.eventLoopUtilization();
  private markAt = performance.now();
  private pauseMs = 0;

  /**
   * How long to wait before the next read: 0 unless `overloaded` (ingest is
   * refusing for load) and the loop has been saturated.
   */
  nextPauseMs(overloaded: boolean): number {
    if (!overloaded) this.pauseMs = 0;
    const now = performance.now();
    if (now - this.markAt >= WINDOW_MS) {
      const current = performance.eventLoopUtilization();
      const { utilization } = performance.eventLoopUtilization(current, this.mark);
      this.mark = current;
      this.markAt = now;
      if (overloaded && utilization > BUSY)
        this.pauseMs = Math.min(MAX_PAUSE_MS, Math.max(MIN_PAUSE_MS, this.pauseMs * 2));
      else if (utilization < CALM) this.pauseMs = 0;
    }
    return this.pauseMs;
  }
}

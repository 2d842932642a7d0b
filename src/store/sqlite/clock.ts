/**
 * Time in the embedded store, from two sources (injectable, for tests):
 *
 * - Leases use the monotonic clock, which never steps. A lease lives only as
 *   long as the process that holds it: one process owns the file, and opening
 *   it expires every lease left in it. So a lease time need not mean anything
 *   after a restart, and the wall clock need not be trusted for it.
 * - Times kept in the file that must keep their meaning across a restart (retry
 *   due times, and the order of waiting jobs) use the wall clock, the only
 *   clock a later process shares. While the process runs, `now()` watches the
 *   wall clock against the monotonic one; when it steps, `onStep` runs before
 *   the stepped time is used, so that the store can move those times with it
 *   and a delay keeps its length in elapsed time.
 */

export interface TimeSource {
  /** Milliseconds since the epoch; may step (NTP, an operator, a VM restore). */
  wallMs(): number;
  /** Milliseconds from an arbitrary origin; never steps, and only goes forward. */
  monotonicMs(): number;
}

export const systemTime: TimeSource = {
  wallMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

/**
 * A change of the wall clock against the monotonic one larger than this, between
 * two readings, is a step. Smaller ones are slewing or reading jitter.
 */
export const STEP_TOLERANCE_MS = 1_000;

export class QueueClock {
  /** Wall time minus monotonic time, at the last reading. */
  private offset: number;
  /** Where lease time starts: the wall time at start, so that 0 is long past. */
  private readonly leaseOrigin: number;

  constructor(
    private readonly source: TimeSource,
    /** Called with the step (positive: forward) before the stepped time is returned. */
    private readonly onStep: (stepMs: number) => void,
  ) {
    const mono = source.monotonicMs();
    this.offset = source.wallMs() - mono;
    this.leaseOrigin = this.offset;
  }

  /** The wall clock, once any step since the last reading has been dealt with. */
  now(): number {
    const wall = this.source.wallMs();
    const offset = wall - this.source.monotonicMs();
    const step = offset - this.offset;
    if (Math.abs(step) > STEP_TOLERANCE_MS) this.onStep(Math.round(step));
    this.offset = offset;
    return wall;
  }

  /**
   * Lease time: monotonic, in milliseconds that look like epoch time (for a
   * reader of the file), but only comparable within this process.
   */
  leaseNow(): number {
    return Math.round(this.leaseOrigin + this.source.monotonicMs());
  }

  /** Monotonic milliseconds, for waits measured in this process. */
  monotonic(): number {
    return this.source.monotonicMs();
  }
}

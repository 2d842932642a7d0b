/**
 * What every instance must agree on about a destination, kept in the store:
 * its circuit breaker, whether an operator paused it, its recent outcomes, and
 * its rate limit. Each change is one atomic step in the store.
 *
 * The breaker: `failures` consecutive failed attempts open it for a cool-down;
 * once that is over, one caller across all instances takes the probe lease and
 * sends one delivery. A success closes the breaker; a failure opens it again for
 * twice as long, up to the maximum. While it is open, deliveries wait in their
 * queue and spend no attempts.
 */

export interface BreakerPolicy {
  /** Consecutive failed attempts that open the breaker. */
  failures: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

export interface DestinationStatus {
  /** The breaker: `open` from the moment it trips until a probe succeeds. */
  breaker: 'closed' | 'open';
  /** Held by an operator: nothing is sent until resumed. */
  paused: boolean;
  /** Failed attempts in a row. */
  failures: number;
  /** While open: when the next probe may go, ms since the epoch. */
  openUntil: number | undefined;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  /** Attempts in the last 5 minutes, every instance's. */
  recent: { delivered: number; failed: number };
}

/** A change of the breaker that one recorded outcome caused, to be logged. */
export type BreakerChange = 'opened' | 'reopened' | 'closed' | undefined;

/** What a delivery about to be sent must do first. */
export type Gate =
  | { go: true; probe: boolean }
  | { go: false; waitMs: number; why: 'open' | 'probing' | 'paused' };

export interface DestinationStates {
  status(destination: string): Promise<DestinationStatus>;
  /**
   * May a delivery go now? Closed: yes. Open and cooling down: wait. Open and
   * cooled down: the first caller gets the probe lease (for `probeLeaseMs`, past
   * its request's timeout), the others wait. Paused: wait.
   */
  gate(destination: string, probeLeaseMs: number): Promise<Gate>;
  recordSuccess(destination: string, probe?: boolean): Promise<BreakerChange>;
  /**
   * A failed attempt. `failure` when the destination looks unwell (no answer,
   * 408, 429, 5xx): it counts towards opening the breaker, and a probe's reopens
   * it. `refusal` when it answered and refused this event (4xx, 3xx): it proves
   * the destination is up, so it does not count, and a refused probe closes the
   * breaker. A failure that is not the probe's, while open, changes nothing.
   */
  recordFailure(
    destination: string,
    error: string,
    policy: BreakerPolicy,
    how: { refusal: boolean; probe: boolean },
  ): Promise<BreakerChange>;
  setPaused(destination: string, paused: boolean): Promise<void>;
  /**
   * Takes one request from the destination's rate limit (`count` per `perMs`,
   * across every instance). Returns 0 when it may go now, else how long to wait.
   */
  takeRate(destination: string, count: number, perMs: number): Promise<number>;
}

/** How long the per-minute outcome counts are kept; status sums the last five minutes. */
export const RECENT_MINUTES = 5;

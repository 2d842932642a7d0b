/**
 * Exponential backoff with full jitter: the delay before retry n is uniform in
 * [0, min(cap, base * 2^(n-1))). Jitter spreads the retries of a burst of
 * failures instead of sending them back in a wave.
 */
export type Backoff = (failedAttempts: number) => number;

export function fullJitterBackoff(
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): Backoff {
  return (failedAttempts) => {
    const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(failedAttempts - 1, 52)));
    return Math.floor(random() * exp);
  };
}

/**
 * Exponential backoff with ±`spread` jitter: retry n waits about
 * min(cap, base * 2^(n-1)), give or take `spread` of it. Each wait is longer than
 * the one before (until the cap), which a receiver watching its logs expects, and
 * the jitter still spreads a burst of failures apart.
 */
export function exponentialBackoff(
  baseMs: number,
  capMs: number,
  spread = 0.2,
  random: () => number = Math.random,
): Backoff {
  return (failedAttempts) => {
    const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(failedAttempts - 1, 52)));
    return Math.min(capMs, Math.floor(exp * (1 - spread + 2 * spread * random())));
  };
}

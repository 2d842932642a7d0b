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

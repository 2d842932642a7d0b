/**
 * Rate limits on ingest: per client IP and per source, in fixed windows.
 *
 * The per-IP limit is checked before the body is read, so a flood costs neither
 * the body nor a signature check. The per-source limit is checked only once a
 * request has verified (for `POST /webhooks`, once it parsed), so that forged
 * requests cannot use up a provider's budget and lock its real deliveries out.
 *
 * The counters live behind `RateLimiter`: in Redis (one atomic script, shared by
 * every instance) when the queue is in Redis, in memory otherwise. Both limits
 * are off by default.
 */
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config/config.js';

/** A request over its limit for this window; the window ends in `resetInMs`. */
export class RateLimitedError extends Error {
  constructor(readonly resetInMs: number) {
    super('Too many requests in this rate-limit window.');
    this.name = 'RateLimitedError';
  }
}

export interface WindowCount {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Time until the window ends and the count starts over. */
  resetInMs: number;
}

/** Counts hits per key in fixed windows. */
export interface RateLimiter {
  hit(key: string, windowMs: number): Promise<WindowCount>;
}

/** Most keys the in-memory limiter keeps; beyond it the oldest windows are forgotten. */
const MEMORY_MAX_KEYS = 100_000;
/** Expired windows dropped per hit, so pruning never costs one request much. */
const MEMORY_PRUNE_STEP = 64;

/**
 * Counters in this process: right for a single instance (the embedded store).
 * Entries are kept in the order their windows began, so expired ones are pruned
 * from the front as new hits arrive; memory stays bounded without a timer.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.now();
    this.prune(now);
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      this.windows.delete(key);
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return { count: w.count, resetInMs: w.resetAt - now };
  }

  /** Keys currently held (for tests and introspection). */
  get size(): number {
    return this.windows.size;
  }

  private prune(now: number): void {
    let steps = 0;
    for (const [key, w] of this.windows) {
      const overfull = this.windows.size >= MEMORY_MAX_KEYS;
      if (!overfull && (w.resetAt > now || steps >= MEMORY_PRUNE_STEP)) break;
      this.windows.delete(key);
      steps++;
    }
  }
}

/** The two limits, applied through one limiter. */
export class RateLimits {
  private failing = false;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: RateLimitConfig,
    private readonly log: Logger,
  ) {}

  /** Throws RateLimitedError when `ip` is over its limit for this window. */
  async checkIp(ip: string): Promise<void> {
    await this.check(`ip:${ip}`, this.config.perIp);
  }

  /** Throws RateLimitedError when the source is over its limit (its own, else the global one). */
  async checkSource(source: string, override: number | undefined): Promise<void> {
    await this.check(`source:${source}`, override ?? this.config.perSource);
  }

  private async check(key: string, limit: number): Promise<void> {
    if (limit <= 0) return;
    let window: WindowCount;
    try {
      window = await this.limiter.hit(key, this.config.windowMs);
      if (this.failing) this.log.info('rate limiter reachable again');
      this.failing = false;
    } catch (err) {
      // Fail open: a limiter outage must not turn into refused deliveries. When the
      // limiter is Redis, the store is likely down too and ingest answers 503 anyway.
      if (!this.failing) {
        this.log.warn({ err: (err as Error).message }, 'rate limiter unavailable; not limiting');
      }
      this.failing = true;
      return;
    }
    if (window.count > limit) throw new RateLimitedError(window.resetInMs);
  }
}

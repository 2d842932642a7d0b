/**
 * Destination state in Redis, shared by every instance: one hash per
 * destination (breaker, pause, last error), a probe lease key, per-minute
 * outcome counts and a rate-limit key, all under the queue's hash tag.
 */
import type { Redis } from 'ioredis';
import {
  type BreakerChange,
  type BreakerPolicy,
  type DestinationStates,
  type DestinationStatus,
  type Gate,
  RECENT_MINUTES,
} from '../destinations.js';
import type { QueueScripts } from './scripts.js';

const MINUTE_MS = 60_000;

export class RedisDestinationStates implements DestinationStates {
  constructor(
    private readonly cmd: Redis,
    private readonly scripts: QueueScripts,
    private readonly prefix: string,
  ) {}

  private stateKey(name: string): string {
    return this.prefix + name;
  }

  private minuteKey(name: string, minute: number): string {
    return `${this.prefix}${name}:m:${minute}`;
  }

  async status(name: string): Promise<DestinationStatus> {
    const minute = Math.floor(Date.now() / MINUTE_MS);
    const minutes = Array.from({ length: RECENT_MINUTES }, (_, i) => minute - i);
    const [state, ...counts] = await Promise.all([
      this.cmd.hgetall(this.stateKey(name)),
      ...minutes.map((m) => this.cmd.hmget(this.minuteKey(name, m), 'ok', 'fail')),
    ]);
    const recent = { delivered: 0, failed: 0 };
    for (const [ok, fail] of counts as (string | null)[][]) {
      recent.delivered += Number(ok) || 0;
      recent.failed += Number(fail) || 0;
    }
    const s = state as Record<string, string>;
    const openUntil = Number(s.open_until) || 0;
    return {
      breaker: openUntil > 0 ? 'open' : 'closed',
      paused: s.paused === '1',
      failures: Number(s.failures) || 0,
      openUntil: openUntil > 0 ? openUntil : undefined,
      lastError: s.last_error || undefined,
      lastErrorAt: Number(s.last_error_at) || undefined,
      recent,
    };
  }

  async gate(name: string, probeLeaseMs: number): Promise<Gate> {
    const [verdict, wait] = await this.scripts.destinationGate(
      this.stateKey(name),
      this.probeKey(name),
      Math.ceil(probeLeaseMs),
    );
    if (verdict === 'go') return { go: true, probe: false };
    if (verdict === 'probe') return { go: true, probe: true };
    const why = verdict === 'paused' || verdict === 'probing' ? verdict : 'open';
    return { go: false, waitMs: Number(wait) || 0, why };
  }

  recordSuccess(name: string, probe = false): Promise<BreakerChange> {
    return this.record(name, 'ok', { failures: 1, cooldownMs: 0, maxCooldownMs: 0 }, '', probe);
  }

  recordFailure(
    name: string,
    error: string,
    policy: BreakerPolicy,
    how: { refusal: boolean; probe: boolean },
  ): Promise<BreakerChange> {
    return this.record(
      name,
      how.refusal ? 'refused' : 'fail',
      policy,
      error.slice(0, 1024),
      how.probe,
    );
  }

  private probeKey(name: string): string {
    return `${this.stateKey(name)}:probe`;
  }

  private async record(
    name: string,
    outcome: 'ok' | 'fail' | 'refused',
    policy: BreakerPolicy,
    error: string,
    probe: boolean,
  ): Promise<BreakerChange> {
    const minute = Math.floor(Date.now() / MINUTE_MS);
    const change = await this.scripts.destinationOutcome(
      {
        state: this.stateKey(name),
        minute: this.minuteKey(name, minute),
        probe: this.probeKey(name),
      },
      outcome,
      policy,
      error,
      probe,
    );
    return change === 'opened' || change === 'reopened' || change === 'closed' ? change : undefined;
  }

  async setPaused(name: string, paused: boolean): Promise<void> {
    await this.cmd.hset(this.stateKey(name), 'paused', paused ? '1' : '0');
  }

  async takeRate(name: string, count: number, perMs: number): Promise<number> {
    return Number(await this.scripts.rateTake(`${this.stateKey(name)}:rate`, perMs / count));
  }
}

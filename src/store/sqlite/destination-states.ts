/**
 * Destination state in the embedded store: breaker, pause and per-minute
 * outcomes in the database (they survive a restart), the probe lease and the
 * rate limit in memory (the file has one owner, this process).
 */
import type { Database, Statement } from 'better-sqlite3';
import {
  type BreakerChange,
  type BreakerPolicy,
  type DestinationStates,
  type DestinationStatus,
  type Gate,
  RECENT_MINUTES,
} from '../destinations.js';

const MINUTE_MS = 60_000;
const KEEP_MINUTES = 10;

interface StateRow {
  paused: number;
  failures: number;
  open_until: number;
  cooldown_ms: number;
  last_error: string | null;
  last_error_at: number | null;
}

export class SqliteDestinationStates implements DestinationStates {
  private statements: Record<string, Statement> | undefined;
  private readonly probes = new Map<string, number>();
  private readonly arrivals = new Map<string, number>();

  constructor(
    private readonly db: () => Database,
    private readonly now: () => number = Date.now,
  ) {}

  private s(name: string): Statement {
    if (!this.statements) {
      const p = (sql: string) => this.db().prepare(sql);
      this.statements = {
        get: p('SELECT * FROM destinations WHERE name = ?'),
        ensure: p('INSERT INTO destinations (name) VALUES (?) ON CONFLICT (name) DO NOTHING'),
        update: p(
          `UPDATE destinations SET failures = ?, open_until = ?, cooldown_ms = ?,
             last_error = coalesce(?, last_error), last_error_at = coalesce(?, last_error_at)
           WHERE name = ?`,
        ),
        pause: p('UPDATE destinations SET paused = ? WHERE name = ?'),
        count: p(
          `INSERT INTO destination_minutes (name, minute, ok, fail) VALUES (?, ?, ?, ?)
           ON CONFLICT (name, minute) DO UPDATE SET ok = ok + excluded.ok, fail = fail + excluded.fail`,
        ),
        recent: p(
          `SELECT coalesce(sum(ok), 0) AS ok, coalesce(sum(fail), 0) AS fail
           FROM destination_minutes WHERE name = ? AND minute > ?`,
        ),
        forget: p('DELETE FROM destination_minutes WHERE name = ? AND minute <= ?'),
      };
    }
    return this.statements[name] as Statement;
  }

  private row(name: string): StateRow {
    this.s('ensure').run(name);
    return this.s('get').get(name) as StateRow;
  }

  async status(name: string): Promise<DestinationStatus> {
    const r = this.row(name);
    const minute = Math.floor(this.now() / MINUTE_MS);
    const recent = this.s('recent').get(name, minute - RECENT_MINUTES) as {
      ok: number;
      fail: number;
    };
    return {
      breaker: r.open_until > 0 ? 'open' : 'closed',
      paused: r.paused === 1,
      failures: r.failures,
      openUntil: r.open_until > 0 ? r.open_until : undefined,
      lastError: r.last_error ?? undefined,
      lastErrorAt: r.last_error_at ?? undefined,
      recent: { delivered: recent.ok, failed: recent.fail },
    };
  }

  async gate(name: string, probeLeaseMs: number): Promise<Gate> {
    const r = this.row(name);
    if (r.paused === 1) return { go: false, waitMs: 0, why: 'paused' };
    if (r.open_until === 0) return { go: true, probe: false };
    const now = this.now();
    if (now < r.open_until) return { go: false, waitMs: r.open_until - now, why: 'open' };
    const lease = this.probes.get(name) ?? 0;
    if (lease > now) return { go: false, waitMs: lease - now, why: 'probing' };
    this.probes.set(name, now + probeLeaseMs);
    return { go: true, probe: true };
  }

  async recordSuccess(name: string, probe = false): Promise<BreakerChange> {
    return this.record(name, 'ok', undefined, undefined, probe);
  }

  async recordFailure(
    name: string,
    error: string,
    policy: BreakerPolicy,
    how: { refusal: boolean; probe: boolean },
  ): Promise<BreakerChange> {
    return this.record(
      name,
      how.refusal ? 'refused' : 'fail',
      error.slice(0, 1024),
      policy,
      how.probe,
    );
  }

  /** The same rules as destination-outcome-3.lua, in one transaction. */
  private record(
    name: string,
    outcome: 'ok' | 'fail' | 'refused',
    error: string | undefined,
    policy: BreakerPolicy | undefined,
    probe: boolean,
  ): BreakerChange {
    const now = this.now();
    const minute = Math.floor(now / MINUTE_MS);
    return this.db().transaction((): BreakerChange => {
      const r = this.row(name);
      const ok = outcome === 'ok';
      this.s('count').run(name, minute, ok ? 1 : 0, ok ? 0 : 1);
      this.s('forget').run(name, minute - KEEP_MINUTES);
      const write = (failures: number, openUntil: number, cooldown: number) =>
        this.s('update').run(
          failures,
          openUntil,
          cooldown,
          error ?? null,
          error === undefined ? null : now,
          name,
        );
      const close = (): BreakerChange => {
        write(0, 0, 0);
        this.probes.delete(name);
        return 'closed';
      };
      if (ok || (outcome === 'refused' && probe)) {
        if (r.open_until > 0) return close();
        write(ok ? 0 : r.failures, 0, 0);
        return undefined;
      }
      if (outcome === 'refused' || !policy) {
        write(r.failures, r.open_until, r.cooldown_ms);
        return undefined;
      }
      const failures = r.failures + 1;
      if (r.open_until > 0) {
        if (!probe) {
          write(failures, r.open_until, r.cooldown_ms);
          return undefined;
        }
        const cooldown = Math.min(
          Math.max(r.cooldown_ms, policy.cooldownMs) * 2,
          policy.maxCooldownMs,
        );
        write(failures, now + cooldown, cooldown);
        this.probes.delete(name);
        return 'reopened';
      }
      if (failures >= policy.failures) {
        write(failures, now + policy.cooldownMs, policy.cooldownMs);
        this.probes.delete(name);
        return 'opened';
      }
      write(failures, 0, 0);
      return undefined;
    })();
  }

  async setPaused(name: string, paused: boolean): Promise<void> {
    this.row(name);
    this.s('pause').run(paused ? 1 : 0, name);
  }

  async takeRate(name: string, count: number, perMs: number): Promise<number> {
    const now = this.now();
    const tat = Math.max(this.arrivals.get(name) ?? 0, now);
    if (tat > now) return Math.ceil(tat - now);
    this.arrivals.set(name, tat + perMs / count);
    return 0;
  }
}

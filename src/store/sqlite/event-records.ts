/**
 * The write side of the event log and the history: statements that run inside
 * the transactions of queries.ts and dead-letters.ts, so that what the log says
 * commits with the state change it describes, or not at all.
 *
 * An outcome names its event by job id and its delivery by target (a lane's
 * destination, or `handlers` for the lane ''). A change to a delivery the log
 * holds, nearly every outcome, is a plain UPDATE of its row; only when that
 * matches nothing is the delivery inserted, through the event's row. Either way
 * an event no longer in the log (trimmed, or never recorded because the log was
 * off) matches nothing, so no outcome can recreate it. The history is counted
 * either way.
 *
 * Those UPDATEs are `OR FAIL`: a statement that fires triggers and may abort
 * needs a statement journal (a copy of every page it touches, to undo it
 * alone); these never need undoing alone, since any error they raise fails the
 * whole transaction around them, which is then rolled back.
 *
 * Nothing here may fail on what a request carried: a repeated id is ignored
 * (ON CONFLICT), numbers that are not finite are left out, an error is cut to
 * ERROR_MAX_BYTES. A failure inside the ingest transaction would refuse every
 * webhook of the batch.
 */
import type { Database, Statement } from 'better-sqlite3';
import {
  type AttemptReport,
  type DeliveryState,
  type EventAttempt,
  type EventLogOptions,
  HANDLERS_TARGET,
  loggedKey,
  MAX_RECORDED_ATTEMPTS,
  minuteOf,
} from '../event-log.js';
import type { EnqueueTargets, JobRecord } from '../store.js';

/** The longest error kept with an attempt, in UTF-8 bytes. */
export const ERROR_MAX_BYTES = 2 * 1024;

/** The history's series, as stored in `history_minutes.series`. */
export type Series = 'accepted' | 'duplicates' | 'rejected' | 'delivered' | 'failed' | 'dead';

/** The event log's target of a job row's lane. */
export function targetOf(lane: string): string {
  return lane === '' ? HANDLERS_TARGET : lane;
}

/** The targets an enqueue names, in the log's order: the handlers first, each once. */
export function targetsNamed(targets: EnqueueTargets): string[] {
  return [...new Set([...(targets.handlers ? [HANDLERS_TARGET] : []), ...targets.destinations])];
}

/** Delivery states that mean a copy is on its way already: a replay adds none beside it. */
const UNDER_WAY: ReadonlySet<string> = new Set(['queued', 'delivering', 'retrying']);

/** A delivery's event key and its latest attempt's number. */
interface DeliveryRef {
  event: number;
  attempts: number;
}

const SQL = {
  insertEvent: `INSERT INTO events (id, source, type, received_at, state, idempotency_key,
                  duplicate_of, content_type, headers, payload)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING`,
  eventKey: 'SELECT n FROM events WHERE id = ?',
  // A new event's deliveries: its key and their order are known, nothing to look up.
  addDelivery: `INSERT INTO event_deliveries (event, target, state, position)
                VALUES (?, ?, 'queued', ?)`,
  deliveryStates: 'SELECT target, state FROM event_deliveries WHERE event = ?',
  deliveryState: `SELECT d.state FROM events e JOIN event_deliveries d ON d.event = e.n
                  WHERE e.id = ? AND d.target = ?`,
  undoDuplicate: `UPDATE events SET state = 'queued' WHERE n = ? AND state = 'duplicate'`,
  // A delivery the log holds, the common case: one b-tree step once the event's
  // key is found. Arguments: the state, the job id, the target.
  moveState: `UPDATE OR FAIL event_deliveries SET state = ?
              WHERE event = (SELECT n FROM events WHERE id = ?) AND target = ?`,
  // The same with an attempt: returns its number. Arguments: the state, the job id, the target.
  moveWithAttempt: `UPDATE OR FAIL event_deliveries SET state = ?, attempts = attempts + 1
                    WHERE event = (SELECT n FROM events WHERE id = ?) AND target = ?
                    RETURNING event, attempts`,
  // A delivery the log does not hold yet, through the event's row: nothing when
  // the event is not in the log. Arguments: the target, the state, 1 when an
  // attempt comes with the change (its number) else 0, the job id.
  addDeliveryOf: `INSERT INTO event_deliveries (event, target, state, position, attempts)
                  SELECT n, ?, ?, (SELECT count(*) FROM event_deliveries WHERE event = events.n), ?
                  FROM events WHERE id = ?
                  ON CONFLICT (event, target) DO UPDATE
                    SET state = excluded.state, attempts = attempts + excluded.attempts
                  RETURNING event, attempts`,
  addAttempt: `INSERT INTO event_attempts (event, target, a, at, outcome, status, duration_ms, error)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  dropOldAttempts: 'DELETE FROM event_attempts WHERE event = ? AND target = ? AND a <= ?',
  count: `INSERT INTO history_minutes (minute, series, key, count) VALUES (?, ?, ?, ?)
          ON CONFLICT (minute, series, key) DO UPDATE SET count = count + excluded.count`,
  size: "SELECT n FROM counts WHERE name = 'events'",
  dropOldest: `DELETE FROM events WHERE n IN
                 (SELECT n FROM events ORDER BY received_at, id LIMIT ?)`,
  dropBefore: `DELETE FROM events WHERE n IN
                 (SELECT n FROM events WHERE received_at < ? ORDER BY received_at, id LIMIT ?)`,
} as const;

export class EventRecorder {
  private readonly s: Record<keyof typeof SQL, Statement>;

  constructor(
    db: Database,
    readonly options: EventLogOptions,
  ) {
    this.s = Object.fromEntries(
      Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Record<keyof typeof SQL, Statement>;
  }

  get enabled(): boolean {
    return this.options.maxEvents > 0;
  }

  /**
   * A new event with one queued delivery per target. Returns whether a record
   * was created (what a trim after the batch may make up for). Not counted:
   * the caller counts a batch's accepted webhooks at once.
   */
  accepted(job: JobRecord, targets: EnqueueTargets): boolean {
    if (!this.enabled) return false;
    const event = this.insert(job, 'queued', undefined);
    const named = targetsNamed(targets);
    if (event === undefined) {
      // The id is in the log already: its record gains the deliveries, as any change does.
      for (const target of named) this.setDelivery(job.id, target, 'queued');
      return false;
    }
    named.forEach((target, position) => {
      this.s.addDelivery.run(event, target, position);
    });
    return true;
  }

  /**
   * A replay (EnqueueTargets.replay): decides which of the targets named are
   * queued again, and records them queued. The record is kept; a target whose
   * delivery is under way (UNDER_WAY) is left out, so that two replays, even in
   * one batch, never queue two copies. An event not in the log (trimmed, or the
   * log off) has every target queued, and is recorded as a new one. Not counted
   * as accepted.
   */
  replayed(job: JobRecord, targets: EnqueueTargets): { queued: string[]; created: boolean } {
    const named = targetsNamed(targets);
    if (!this.enabled) return { queued: named, created: false };
    const kept = this.s.eventKey.get(job.id) as { n: number } | undefined;
    let queued = named;
    if (kept) {
      this.s.undoDuplicate.run(kept.n);
      const states = new Map(
        (this.s.deliveryStates.all(kept.n) as { target: string; state: string }[]).map((d) => [
          d.target,
          d.state,
        ]),
      );
      queued = named.filter((t) => !UNDER_WAY.has(states.get(t) ?? ''));
    }
    const created = !kept && this.insert(job, 'queued', undefined) !== undefined;
    for (const target of queued) this.setDelivery(job.id, target, 'queued');
    return { queued, created };
  }

  /**
   * Whether the log shows this delivery under way (a replay from the log got
   * there first): a dead letter of it is then not queued again. False when
   * the event or the delivery is not in the log, or the log is off.
   */
  underWay(jobId: string, target: string): boolean {
    if (!this.enabled) return false;
    const row = this.s.deliveryState.get(jobId, target) as { state: string } | undefined;
    return row !== undefined && UNDER_WAY.has(row.state);
  }

  /**
   * A duplicate suppressed at ingest: a record of its own under its new id.
   * Not counted: the caller counts a batch's duplicates at once.
   */
  duplicate(job: JobRecord, originalId: string): boolean {
    return this.enabled && this.insert(job, 'duplicate', originalId) !== undefined;
  }

  /** Claimed: on its way to its target. */
  delivering(jobId: string, target: string): void {
    if (this.enabled) this.setDelivery(jobId, target, 'delivering');
  }

  /** Back to waiting with no attempt counted (a hand-back, a deferral, a DLQ replay). */
  queued(jobId: string, target: string): void {
    if (this.enabled) this.setDelivery(jobId, target, 'queued');
  }

  /** An attempt that succeeded. Not counted: the caller counts a batch's per target at once. */
  delivered(jobId: string, target: string, report: AttemptReport | undefined, now: number): void {
    this.move(jobId, target, 'delivered', attemptOf('delivered', report, undefined, now));
  }

  /** An attempt that failed: retried later, or dead-lettered after it. */
  failed(
    jobId: string,
    target: string,
    next: 'retrying' | 'dead',
    error: string,
    report: AttemptReport | undefined,
    now: number,
  ): void {
    this.count('failed', target, now);
    if (next === 'dead') this.count('dead', '', now);
    this.move(jobId, target, next, attemptOf('failed', report, error, now));
  }

  /** A run whose outcome never came (a reclaim, a hand-back that counted): tried again. */
  lost(jobId: string, target: string, error: string, now: number): void {
    this.move(jobId, target, 'retrying', { at: now, outcome: 'lost', error });
  }

  /** A lost run (see `lost`) with no attempts left after it: to the DLQ. */
  lostToDead(jobId: string, target: string, error: string, now: number): void {
    this.count('dead', '', now);
    this.move(jobId, target, 'dead', { at: now, outcome: 'lost', error });
  }

  /** To the DLQ without an attempt of its own (a retired lane, a bad row). */
  deadLettered(jobId: string, target: string, now: number): void {
    this.count('dead', '', now);
    this.move(jobId, target, 'dead', undefined);
  }

  /** Adds `n` to a counter of the minute of `at`. */
  count(series: Series, key: string, at: number, n = 1): void {
    this.s.count.run(minuteOf(at), series, key, n);
  }

  /** Events in the log. */
  size(): number {
    return (this.s.size.get() as { n: number } | undefined)?.n ?? 0;
  }

  /**
   * Drops up to `max` of the oldest events beyond either bound (all of them
   * when the log is off); returns how many.
   */
  trim(max: number, now: number): number {
    if (max <= 0) return 0;
    const excess = this.size() - this.options.maxEvents;
    let dropped = excess > 0 ? this.s.dropOldest.run(Math.min(excess, max)).changes : 0;
    if (dropped < max) {
      dropped += this.s.dropBefore.run(now - this.options.retentionMs, max - dropped).changes;
    }
    return dropped;
  }

  /** Drops up to `max` of the oldest events whatever the bounds (to give room on a full disk). */
  dropOldest(max: number): number {
    return this.s.dropOldest.run(max).changes;
  }

  /** The new record's key; undefined when its id is in the log already. */
  private insert(
    job: JobRecord,
    state: 'queued' | 'duplicate',
    duplicateOf?: string,
  ): number | undefined {
    const keep = this.options.payloads;
    const done = this.s.insertEvent.run(
      job.id,
      String(job.source),
      String(job.type),
      finite(job.receivedAt) ?? 0,
      state,
      // As every store can encode it; a key too long to look up is not kept.
      (typeof job.idempotencyKey === 'string' ? loggedKey(job.idempotencyKey) : undefined) ?? null,
      duplicateOf ?? null,
      typeof job.contentType === 'string' ? job.contentType : null,
      keep && job.headers ? JSON.stringify(job.headers) : null,
      keep && typeof job.payload === 'string' ? job.payload : null,
    );
    return done.changes === 1 ? Number(done.lastInsertRowid) : undefined;
  }

  private move(
    jobId: string,
    target: string,
    state: DeliveryState,
    attempt: EventAttempt | undefined,
  ): void {
    if (!this.enabled) return;
    if (!attempt) {
      this.setDelivery(jobId, target, state);
      return;
    }
    const row = (this.s.moveWithAttempt.get(state, jobId, target) ??
      this.s.addDeliveryOf.get(target, state, 1, jobId)) as DeliveryRef | undefined;
    if (row === undefined) return;
    this.s.addAttempt.run(
      row.event,
      target,
      row.attempts,
      attempt.at,
      attempt.outcome,
      attempt.status ?? null,
      attempt.durationMs ?? null,
      attempt.error === undefined ? null : truncate(attempt.error),
    );
    // Numbered from 1 with no gaps: only the ones older than the latest few go.
    if (row.attempts > MAX_RECORDED_ATTEMPTS) {
      this.s.dropOldAttempts.run(row.event, target, row.attempts - MAX_RECORDED_ATTEMPTS);
    }
  }

  /** The delivery's new state, with no attempt (nothing when the event is not in the log). */
  private setDelivery(jobId: string, target: string, state: DeliveryState): void {
    if (this.s.moveState.run(state, jobId, target).changes === 0) {
      this.s.addDeliveryOf.run(target, state, 0, jobId);
    }
  }
}

function attemptOf(
  outcome: 'delivered' | 'failed',
  report: AttemptReport | undefined,
  error: string | undefined,
  now: number,
): EventAttempt {
  const status = finite(report?.status);
  const durationMs = finite(report?.durationMs);
  return {
    at: finite(report?.startedAt) ?? now,
    outcome,
    ...(durationMs !== undefined ? { durationMs: Math.round(durationMs) } : {}),
    ...(status !== undefined ? { status: Math.round(status) } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

function finite(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

const encoder = new TextEncoder();

/** `text` cut to ERROR_MAX_BYTES of UTF-8, never inside a character. */
export function truncate(text: string): string {
  if (text.length * 3 <= ERROR_MAX_BYTES) return text;
  const { read } = encoder.encodeInto(text, new Uint8Array(ERROR_MAX_BYTES));
  return text.slice(0, read);
}

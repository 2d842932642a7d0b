/**
 * Every state change of the embedded queue, each one SQLite transaction over
 * prepared statements. Synchronous: callers decide when to run them so that the
 * event loop is blocked as rarely as possible (see group-commit.ts).
 *
 * Durability (WAL mode, `synchronous = NORMAL`): a commit is written to the
 * WAL file before it returns, so it survives kill -9 (the OS has it), and is
 * on stable storage after the next fsync of the WAL.
 * - Ingest commits are answered only after that fsync: wal-sync.ts runs it off
 *   the event loop. `enqueueBatch(…, 'inline')` instead raises the transaction
 *   to `synchronous = FULL`, an fsync inside the commit (kept for measurement).
 * - Worker bookkeeping (claim, complete, retry, dead-letter, release, promote,
 *   reclaim, key expiry) does not wait for an fsync; the next ingest fsync or
 *   checkpoint covers it. A power cut can only undo the newest of these, never
 *   an accepted job: the WAL is replayed in order and every accepted job is
 *   already synced. An undone step makes a job run again (an undone claim or
 *   completion) or come back as running and be reclaimed; at-least-once holds.
 *   This saves an fsync, milliseconds of blocked event loop, per claim and
 *   acknowledgement.
 *
 * Each of these transactions also records what it did in the event log and the
 * history (event-records.ts), so the log never says what did not commit.
 */
import type { Database, Statement } from 'better-sqlite3';
import { type AttemptReport, HANDLERS_TARGET } from '../event-log.js';
import type { Dedupe, EnqueueResult, EnqueueTargets, JobRecord, QueueStats } from '../store.js';
import { type EventRecorder, targetOf, targetsNamed } from './event-records.js';

export interface EnqueueItem {
  job: JobRecord;
  dedupe: Dedupe | undefined;
  targets: EnqueueTargets;
}

/** One claim of one job: the row and the lease it was claimed with. */
export interface LeaseRef {
  seq: number;
  lease: number;
}

/** A claim's outcome, with what the worker knows of the attempt (see AttemptReport). */
export interface Completion {
  ref: LeaseRef;
  report: AttemptReport | undefined;
}

export interface ClaimedRow extends LeaseRef {
  job_id: string;
  lane: string;
  job: string;
  attempts: number;
  last_error: string | null;
  run_at: number;
}

export interface DeadRow {
  dlq_id: number;
  job: string;
  attempts: number;
  last_error: string;
  failed_at: number;
}

interface JobRow {
  seq: number;
  job_id: string;
  job: string;
  lane: string;
  attempts: number;
}

/** A job row's event-log names. */
interface JobRef {
  job_id: string;
  lane: string;
}

/** Rows taken back per reclaim transaction; a pass loops until none are left. */
const RECLAIM_BATCH = 500;

export class QueueQueries {
  private readonly s: Record<string, Statement>;

  constructor(
    private readonly db: Database,
    private readonly events: EventRecorder,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      syncFull: p('PRAGMA synchronous = FULL'),
      syncNormal: p('PRAGMA synchronous = NORMAL'),
      findKey: p('SELECT job_id FROM dedupe WHERE key = ? AND expires_at > ?'),
      putKey: p(
        `INSERT INTO dedupe (key, job_id, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET job_id = excluded.job_id, expires_at = excluded.expires_at`,
      ),
      insertJob: p(
        `INSERT INTO jobs (job_id, job, lane, state, run_at) VALUES (?, ?, ?, 'waiting', ?)`,
      ),
      claim: p(
        `UPDATE jobs SET state = 'running', owner = ?, lease = lease + 1, leased_at = ?
         WHERE seq IN (SELECT seq FROM jobs WHERE lane = ? AND state = 'waiting'
                       ORDER BY run_at, seq LIMIT ?)
         RETURNING seq, lease, job_id, lane, job, attempts, last_error, run_at`,
      ),
      complete: p(
        `DELETE FROM jobs WHERE seq = ? AND lease = ? AND state = 'running' RETURNING job_id, lane`,
      ),
      retry: p(
        `UPDATE jobs SET state = 'scheduled', run_at = ?, attempts = ?, last_error = ?,
           owner = NULL, leased_at = NULL
         WHERE seq = ? AND lease = ? AND state = 'running'
         RETURNING job_id, lane`,
      ),
      takeRunning: p(
        `DELETE FROM jobs WHERE seq = ? AND lease = ? AND state = 'running'
         RETURNING job_id, job, lane`,
      ),
      insertDead: p(
        `INSERT INTO dead_letters
           (job_id, job, type, source, destination, received_at, attempts, last_error, failed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      release: p(
        `UPDATE jobs SET state = 'waiting', run_at = ?, owner = NULL, leased_at = NULL
         WHERE seq = ? AND lease = ? AND state = 'running'
         RETURNING job_id, lane`,
      ),
      runningRow: p(
        `SELECT seq, job_id, job, lane, attempts, last_error, handbacks FROM jobs
         WHERE seq = ? AND lease = ? AND state = 'running'`,
      ),
      handBack: p(
        `UPDATE jobs SET state = 'waiting', run_at = ?, attempts = ?, last_error = ?,
           handbacks = ?, owner = NULL, leased_at = NULL
         WHERE seq = ?`,
      ),
      promote: p(
        `UPDATE jobs SET state = 'waiting'
         WHERE seq IN (SELECT seq FROM jobs WHERE lane = ? AND state = 'scheduled' AND run_at <= ?
                       ORDER BY run_at, seq LIMIT ?)`,
      ),
      stale: p(
        `SELECT seq, job_id, job, lane, attempts FROM jobs
         WHERE lane = ? AND state = 'running' AND leased_at <= ? ORDER BY seq LIMIT ?`,
      ),
      storedLanes: p(`SELECT DISTINCT lane FROM jobs WHERE lane <> ''`),
      retireBatch: p(
        `DELETE FROM jobs WHERE seq IN (
           SELECT seq FROM jobs WHERE lane = ?
             AND (state <> 'running' OR leased_at <= ?) ORDER BY seq LIMIT ?)
         RETURNING job_id, job, lane, attempts, state`,
      ),
      laneCounts: p('SELECT state, count(*) AS n FROM jobs WHERE lane = ? GROUP BY state'),
      deleteJob: p('DELETE FROM jobs WHERE seq = ?'),
      requeue: p(
        `UPDATE jobs SET state = 'waiting', run_at = ?, attempts = ?, last_error = ?,
           owner = NULL, leased_at = NULL
         WHERE seq = ?`,
      ),
      expireLeases: p(`UPDATE jobs SET leased_at = 0 WHERE state = 'running'`),
      shiftRunAt: p('UPDATE jobs SET run_at = run_at + ?'),
      counts: p('SELECT name, n FROM counts'),
      peekDead: p(
        'SELECT dlq_id, job, attempts, last_error, failed_at FROM dead_letters ORDER BY dlq_id LIMIT ?',
      ),
      purgeKeys: p(
        'DELETE FROM dedupe WHERE key IN (SELECT key FROM dedupe WHERE expires_at <= ? LIMIT ?)',
      ),
    } as Record<string, Statement>;
  }

  private stmt(name: string): Statement {
    return this.s[name] as Statement;
  }

  /**
   * Accepts a batch of webhooks in one transaction, in order: a key repeated
   * within the batch is a duplicate of its first occurrence. Throws (having
   * stored nothing) if the commit fails. With `fsync: 'inline'` the commit
   * includes the fsync; otherwise the caller syncs the WAL before answering.
   */
  enqueueBatch(
    items: readonly EnqueueItem[],
    now: number,
    fsync: 'inline' | 'caller',
  ): EnqueueResult[] {
    const run = this.db.transaction(() => {
      let recorded = 0;
      let accepted = 0;
      let duplicates = 0;
      const results = items.map(({ job, dedupe, targets }): EnqueueResult => {
        if (dedupe) {
          const existing = this.stmt('findKey').get(dedupe.key, now) as
            | { job_id: string }
            | undefined;
          if (existing) {
            duplicates++;
            if (this.events.duplicate(job, existing.job_id)) recorded++;
            return { id: existing.job_id, duplicate: true };
          }
          this.stmt('putKey').run(dedupe.key, job.id, now + dedupe.ttlMs);
        }
        if (targets.replay) {
          // Decided here, in the enqueue's transaction: no second copy beside one under way.
          const replay = this.events.replayed(job, targets);
          if (replay.created) recorded++;
          this.insertJobs(job, replay.queued, now);
          return { id: job.id, duplicate: false, queued: replay.queued };
        }
        this.insertJobs(job, targetsNamed(targets), now);
        accepted++;
        if (this.events.accepted(job, targets)) recorded++;
        return { id: job.id, duplicate: false };
      });
      // Counted once per batch: one write of each counter, however many webhooks.
      if (accepted > 0) this.events.count('accepted', '', now, accepted);
      if (duplicates > 0) this.events.count('duplicates', '', now, duplicates);
      // Trimming as it records, up to twice what it added, keeps the log near its bounds.
      this.events.trim(2 * recorded, now);
      return results;
    });
    if (fsync === 'caller') return run.immediate();
    this.stmt('syncFull').run();
    try {
      return run.immediate();
    } finally {
      this.stmt('syncNormal').run();
    }
  }

  /** One waiting job per target: the handlers' lane '', else the destination's. */
  private insertJobs(job: JobRecord, targets: readonly string[], now: number): void {
    for (const target of targets) {
      if (target === HANDLERS_TARGET) {
        this.stmt('insertJob').run(job.id, JSON.stringify(job), '', now);
      } else {
        this.stmt('insertJob').run(
          job.id,
          JSON.stringify({ ...job, destination: target }),
          target,
          now,
        );
      }
    }
  }

  /** `leaseNow` is lease time (clock.ts). */
  claim(lane: string, owner: string, max: number, leaseNow: number): ClaimedRow[] {
    const rows = this.db.transaction(() => {
      const claimed = this.stmt('claim').all(owner, leaseNow, lane, max) as ClaimedRow[];
      for (const row of claimed) this.events.delivering(row.job_id, targetOf(row.lane));
      return claimed;
    })();
    // RETURNING gives no order guarantee; deliver oldest first.
    return rows.sort((a, b) => a.run_at - b.run_at || a.seq - b.seq);
  }

  complete(done: readonly Completion[], now: number): number {
    return this.db.transaction(() => {
      let n = 0;
      const perTarget = new Map<string, number>();
      for (const { ref, report } of done) {
        const row = this.stmt('complete').get(ref.seq, ref.lease) as JobRef | undefined;
        if (!row) continue;
        const target = targetOf(row.lane);
        this.events.delivered(row.job_id, target, report, now);
        perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
        n++;
      }
      for (const [target, count] of perTarget) this.events.count('delivered', target, now, count);
      return n;
    })();
  }

  /**
   * Back to scheduled until `dueAt`. With a report, an attempt ran and failed;
   * without one, none ran (a deferral): the log shows the delivery queued again.
   */
  retry(done: Completion, dueAt: number, attempts: number, error: string, now: number): boolean {
    const { ref, report } = done;
    return this.db.transaction(() => {
      const row = this.stmt('retry').get(dueAt, attempts, error, ref.seq, ref.lease) as
        | JobRef
        | undefined;
      if (!row) return false;
      const target = targetOf(row.lane);
      if (report) this.events.failed(row.job_id, target, 'retrying', error, report, now);
      else this.events.queued(row.job_id, target);
      return true;
    })();
  }

  /** To the DLQ; `report` when an attempt ran and failed (else none is recorded). */
  deadLetter(
    ref: LeaseRef,
    attempts: number,
    error: string,
    now: number,
    report?: AttemptReport,
  ): boolean {
    return this.db.transaction(() => {
      const row = this.stmt('takeRunning').get(ref.seq, ref.lease) as
        | Pick<JobRow, 'job_id' | 'job' | 'lane'>
        | undefined;
      if (!row) return false;
      this.insertDead(row, attempts, error, now);
      const target = targetOf(row.lane);
      if (report) this.events.failed(row.job_id, target, 'dead', error, report, now);
      else this.events.deadLettered(row.job_id, target, now);
      return true;
    })();
  }

  /** Jobs that never started: back to waiting unchanged. Returns how many. */
  release(refs: readonly LeaseRef[], now: number): number {
    return this.db.transaction(() => {
      let n = 0;
      for (const r of refs) {
        const row = this.stmt('release').get(now, r.seq, r.lease) as JobRef | undefined;
        if (!row) continue;
        this.events.queued(row.job_id, targetOf(row.lane));
        n++;
      }
      return n;
    })();
  }

  /**
   * Jobs that ran and settled without an outcome: back to waiting, the first
   * hand-back of a job free, every later one counted as an attempt; with none
   * left, to the DLQ.
   */
  handBack(
    refs: readonly LeaseRef[],
    maxAttempts: number,
    error: string,
    now: number,
  ): { released: number; deadLettered: number } {
    return this.db.transaction(() => {
      const out = { released: 0, deadLettered: 0 };
      for (const r of refs) {
        const row = this.stmt('runningRow').get(r.seq, r.lease) as
          | (JobRow & { last_error: string | null; handbacks: number })
          | undefined;
        if (!row) continue;
        const handbacks = row.handbacks + 1;
        const counted = handbacks > 1;
        const attempts = counted ? row.attempts + 1 : row.attempts;
        const lastError = counted ? error : row.last_error;
        const target = targetOf(row.lane);
        if (attempts >= maxAttempts) {
          this.stmt('deleteJob').run(row.seq);
          this.insertDead(row, attempts, lastError ?? error, now);
          if (counted) this.events.lostToDead(row.job_id, target, error, now);
          else this.events.deadLettered(row.job_id, target, now);
          out.deadLettered++;
        } else {
          this.stmt('handBack').run(now, attempts, lastError, handbacks, row.seq);
          if (counted) this.events.lost(row.job_id, target, error, now);
          else this.events.queued(row.job_id, target);
          out.released++;
        }
      }
      return out;
    })();
  }

  promoteDue(lane: string, max: number, now: number): number {
    return this.stmt('promote').run(lane, now, max).changes;
  }

  /**
   * Takes back jobs claimed at or before `leasedBefore`: the lost run counts as
   * an attempt; with none left the job goes to the DLQ.
   */
  reclaimStale(
    lane: string,
    leasedBefore: number,
    maxAttempts: number,
    error: string,
    now: number,
  ): { requeued: number; deadLettered: number } {
    const out = { requeued: 0, deadLettered: 0 };
    const pass = this.db.transaction(() => {
      const rows = this.stmt('stale').all(lane, leasedBefore, RECLAIM_BATCH) as JobRow[];
      for (const row of rows) {
        const attempts = row.attempts + 1;
        const target = targetOf(row.lane);
        if (attempts >= maxAttempts) {
          this.stmt('deleteJob').run(row.seq);
          this.insertDead(row, attempts, error, now);
          this.events.lostToDead(row.job_id, target, error, now);
          out.deadLettered++;
        } else {
          this.stmt('requeue').run(now, attempts, error, row.seq);
          this.events.lost(row.job_id, target, error, now);
          out.requeued++;
        }
      }
      return rows.length;
    });
    let taken: number;
    do taken = pass();
    while (taken === RECLAIM_BATCH);
    return out;
  }

  /** The lanes that hold jobs: destinations' names. */
  storedLanes(): string[] {
    return (this.stmt('storedLanes').all() as { lane: string }[]).map((r) => r.lane);
  }

  /**
   * Moves a lane's jobs to the DLQ: waiting and scheduled ones, and running
   * ones claimed at or before `leasedBefore` (their lost run counted as an
   * attempt). Each batch is one transaction. Returns how many moved and how
   * many running jobs were left.
   */
  retireLane(
    lane: string,
    leasedBefore: number,
    error: string,
    now: number,
  ): { deadLettered: number; held: number } {
    const pass = this.db.transaction(() => {
      const rows = this.stmt('retireBatch').all(lane, leasedBefore, RECLAIM_BATCH) as (JobRow & {
        state: string;
      })[];
      for (const row of rows) {
        this.insertDead(row, row.state === 'running' ? row.attempts + 1 : row.attempts, error, now);
        this.events.deadLettered(row.job_id, targetOf(row.lane), now);
      }
      return rows.length;
    });
    let deadLettered = 0;
    let taken: number;
    do {
      taken = pass();
      deadLettered += taken;
    } while (taken === RECLAIM_BATCH);
    return { deadLettered, held: this.laneStats(lane).inProgress };
  }

  /** Marks every running job's lease as expired; for jobs left by a process that died. */
  expireLeases(): number {
    return this.stmt('expireLeases').run().changes;
  }

  /** Moves every job's `run_at` by `ms` (after a wall-clock step); returns how many. */
  shiftRunAt(ms: number): number {
    return this.stmt('shiftRunAt').run(ms).changes;
  }

  stats(): QueueStats {
    const rows = this.stmt('counts').all() as { name: string; n: number }[];
    const n = (name: string) => rows.find((r) => r.name === name)?.n ?? 0;
    return {
      waiting: n('waiting'),
      inProgress: n('running'),
      scheduled: n('scheduled'),
      dead: n('dead'),
    };
  }

  /** One lane's waiting, running and scheduled jobs (counted over its index). */
  laneStats(lane: string): QueueStats {
    const rows = this.stmt('laneCounts').all(lane) as { state: string; n: number }[];
    const n = (state: string) => rows.find((r) => r.state === state)?.n ?? 0;
    return { waiting: n('waiting'), inProgress: n('running'), scheduled: n('scheduled'), dead: 0 };
  }

  peekDead(limit: number): DeadRow[] {
    return this.stmt('peekDead').all(limit) as DeadRow[];
  }

  /** Deletes up to `limit` expired idempotency keys; returns how many. */
  purgeExpiredKeys(now: number, limit: number): number {
    return this.stmt('purgeKeys').run(now, limit).changes;
  }

  private insertDead(
    row: Pick<JobRow, 'job_id' | 'job'>,
    attempts: number,
    error: string,
    now: number,
  ): void {
    const facts = envelopeFacts(row.job);
    this.stmt('insertDead').run(
      row.job_id,
      row.job,
      facts.type,
      facts.source,
      facts.destination,
      facts.receivedAt,
      attempts,
      error,
      now,
    );
  }
}

/** The columns the DLQ filters on, read from the stored envelope (tolerating damage). */
function envelopeFacts(json: string): {
  type: string;
  source: string;
  destination: string;
  receivedAt: number;
} {
  let j: Partial<JobRecord> = {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed !== null && typeof parsed === 'object') j = parsed as Partial<JobRecord>;
  } catch {
    // Kept as it is in the DLQ for an operator to look at.
  }
  return {
    type: typeof j.type === 'string' ? j.type : '',
    source: typeof j.source === 'string' ? j.source : '',
    destination: typeof j.destination === 'string' ? j.destination : '',
    receivedAt: typeof j.receivedAt === 'number' ? j.receivedAt : 0,
  };
}

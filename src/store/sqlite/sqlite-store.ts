/**
 * The embedded store: the queue in one SQLite file, owned by this process.
 *
 * Same semantics as the Redis store, held to the same conformance suite: atomic
 * dedupe-and-enqueue answered only once fsynced (group commit), at-least-once
 * delivery with leases (a run whose outcome never came is taken back after
 * RECLAIM_IDLE and counts as an attempt), durable delayed retries, a DLQ.
 * Leases run on the monotonic clock (clock.ts), and a full disk stops ingest
 * but not the workers (disk-guard.ts).
 *
 * Each SqliteStore is one consumer; stores opened on the same file in one
 * process share the connection (queue-database.ts). A delivery handle is
 * `seq:lease`, one claim of one job, so an outcome reported for a claim that was
 * taken back changes nothing. Every step also writes the event log and the
 * history in its own transaction (event-records.ts); they are read through
 * `events` (event-log.ts) and `history` (history.ts).
 */
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { DestinationStates } from '../destinations.js';
import {
  type AttemptReport,
  EVENT_RETENTION_DEFAULT_MS,
  type EventLogOptions,
} from '../event-log.js';
import {
  type DeadLetterEntry,
  type Dedupe,
  type Delivery,
  type DeliveryQueue,
  type DiskStatus,
  type EnqueueResult,
  type EnqueueTargets,
  HANDLERS_ONLY,
  type JobRecord,
  parseJobRecord,
  type QueueStats,
  type ReclaimResult,
  type ReleaseResult,
  type RetiredLane,
  type StartedRelease,
  type Store,
  StoreUnavailableError,
} from '../store.js';
import { systemTime, type TimeSource } from './clock.js';
import { SqliteDeadLetters } from './dead-letters.js';
import { SqliteDestinationStates } from './destination-states.js';
import { SqliteEventLog } from './event-log.js';
import type { GroupCommitStats } from './group-commit.js';
import { SqliteHistory } from './history.js';
import type { ClaimedRow, Completion, LeaseRef } from './queries.js';
import { type FsyncMode, QueueDatabase } from './queue-database.js';

export interface SqliteStoreOptions {
  /** The database file (absolute). See `queueFile`. */
  file: string;
  /** This consumer's name; unique per store. */
  consumer: string;
  log: Logger;
  /** Group-commit window for ingest writes (SQLITE_COMMIT_WINDOW). */
  commitWindowMs: number;
  /** Where the fsync behind each 202 runs; default `background`. */
  fsync?: FsyncMode;
  /** Set for one destination's delivery queue (see SqliteStore.lane): its name. */
  lane?: string;
  /** The clocks (see clock.ts); the system's by default. */
  time?: TimeSource;
  /** The disk reserve's size (disk-guard.ts); by default from the filesystem's size. */
  reserveBytes?: number;
  /** How often free space is checked; default 1 s. */
  diskCheckIntervalMs?: number;
  /** How often expired idempotency keys are deleted; default every minute. */
  keyPurgeIntervalMs?: number;
  /** How often the event log's payloads are indexed for search (payload-index.ts); default 250 ms. */
  payloadIndexIntervalMs?: number;
  /**
   * The event log's bounds and whether it keeps bodies; by default
   * SQLITE_EVENT_LOG_MAX_DEFAULT events for EVENT_RETENTION_DEFAULT_MS, with
   * bodies. The first store opened on a file sets them for all on it.
   */
  eventLog?: EventLogOptions;
}

/** EVENT_LOG_MAX's default here: a log on disk can hold many. */
export const SQLITE_EVENT_LOG_MAX_DEFAULT = 100_000;

function eventLogOptions(o: EventLogOptions | undefined): EventLogOptions {
  return (
    o ?? {
      maxEvents: SQLITE_EVENT_LOG_MAX_DEFAULT,
      retentionMs: EVENT_RETENTION_DEFAULT_MS,
      payloads: true,
    }
  );
}

/** Longest a claim waits for work; bounds how long a claim outlives interruptClaim's absence. */
const MAX_BLOCK_MS = 2_000;
/** How often free space is measured (and, on a full disk, a checkpoint tried) besides after each commit. */
const DISK_CHECK_INTERVAL_MS = 1_000;

/** The database file of a queue: one per QUEUE_NAME in DATA_DIR. */
export function queueFile(dataDir: string, queueName: string): string {
  // ':' is allowed in queue names but not in Windows file names; '%' is not allowed in either.
  return join(dataDir, `${queueName.replaceAll(':', '%3A')}.sqlite`);
}

export class SqliteStore implements Store, DeliveryQueue {
  readonly kind = 'sqlite';
  readonly location: string;
  private qdb: QueueDatabase | undefined;
  private closed = false;
  /** Ends a claim that is waiting for work. */
  private interrupt: (() => void) | undefined;
  readonly deadLetters: SqliteDeadLetters;
  readonly destinations: DestinationStates;
  readonly events: SqliteEventLog;
  readonly history: SqliteHistory;
  /** The destinations' delivery queues, by name (empty in a delivery queue itself). */
  private readonly lanes = new Map<string, SqliteStore>();

  constructor(private readonly opts: SqliteStoreOptions) {
    this.location = opts.file;
    this.destinations = new SqliteDestinationStates(() => this.open().db);
    this.deadLetters = new SqliteDeadLetters(
      () => this.open().db,
      () => this.open().wakeClaimers(),
      () => this.open().clock.now(),
      (what, run) => this.open().write(what, run),
      () => this.open().events,
    );
    const eventLog = eventLogOptions(opts.eventLog);
    this.history = new SqliteHistory(() => this.open());
    this.events = new SqliteEventLog(
      () => this.open(),
      eventLog.maxEvents > 0,
      eventLog.payloads,
      this.history,
      opts.log,
    );
  }

  /** The connection, for tests and operations tooling (as RedisStore exposes its client). */
  get database(): Database {
    return this.open().db;
  }

  /** Ingest commit figures: batches, items and time the event loop spent in commits. */
  get commitStats(): GroupCommitStats {
    return this.open().ingest.stats;
  }

  /** The destination whose deliveries this queue holds; "" for the store itself. */
  get destination(): string {
    return this.opts.lane ?? '';
  }

  lane(destination: string): DeliveryQueue {
    if (this.opts.lane !== undefined) throw new Error('a delivery queue has no lanes of its own');
    let lane = this.lanes.get(destination);
    if (!lane) {
      lane = new SqliteStore({
        ...this.opts,
        consumer: `${this.opts.consumer}:${destination}`,
        lane: destination,
      });
      this.lanes.set(destination, lane);
      if (this.qdb) void lane.init();
    }
    return lane;
  }

  async init(): Promise<void> {
    for (const lane of this.lanes.values()) await lane.init();
    if (this.qdb) return;
    this.qdb = QueueDatabase.acquire(this.opts.file, {
      commitWindowMs: this.opts.commitWindowMs,
      fsync: this.opts.fsync ?? 'background',
      log: this.opts.log,
      time: this.opts.time ?? systemTime,
      diskCheckIntervalMs: this.opts.diskCheckIntervalMs ?? DISK_CHECK_INTERVAL_MS,
      eventLog: eventLogOptions(this.opts.eventLog),
      ...(this.opts.reserveBytes !== undefined ? { reserveBytes: this.opts.reserveBytes } : {}),
      ...(this.opts.keyPurgeIntervalMs !== undefined
        ? { keyPurgeIntervalMs: this.opts.keyPurgeIntervalMs }
        : {}),
      ...(this.opts.payloadIndexIntervalMs !== undefined
        ? { payloadIndexIntervalMs: this.opts.payloadIndexIntervalMs }
        : {}),
    });
    await this.qdb.ready;
    if (this.qdb.orphanedAtOpen > 0) {
      this.opts.log.warn(
        { jobs: this.qdb.orphanedAtOpen },
        'jobs were running when the previous process stopped; taking them back now (the lost run counts as an attempt)',
      );
    }
  }

  private open(): QueueDatabase {
    if (!this.qdb || this.closed) throw new StoreUnavailableError('the queue database is closed');
    return this.qdb;
  }

  async enqueue(
    job: JobRecord,
    dedupe: Dedupe | undefined,
    targets: EnqueueTargets = HANDLERS_ONLY,
  ): Promise<EnqueueResult> {
    for (const destination of targets.destinations) {
      if (!this.lanes.has(destination)) {
        throw new Error(`no delivery queue for destination ${destination}`);
      }
    }
    if (!targets.handlers && targets.destinations.length === 0) {
      throw new Error('an event needs at least one target');
    }
    const qdb = this.open();
    if (qdb.disk.full) throw new StoreUnavailableError('the disk is full');
    return qdb.ingest.submit({ job, dedupe, targets });
  }

  async claim(max: number, blockMs: number): Promise<Delivery[]> {
    if (this.closed || max <= 0 || !this.qdb) return [];
    const deadline = this.qdb.clock.monotonic() + Math.min(blockMs, MAX_BLOCK_MS);
    for (;;) {
      const qdb = this.qdb;
      if (this.closed || !qdb) return [];
      const rows = qdb.write('claim', () =>
        qdb.queries.claim(this.destination, this.opts.consumer, max, qdb.clock.leaseNow()),
      );
      const deliveries = this.toDeliveries(rows);
      if (deliveries.length > 0) return deliveries;
      if (rows.length > 0) continue; // all malformed and dead-lettered: look again
      const left = deadline - qdb.clock.monotonic();
      if (left <= 0 || !(await this.waitForWork(qdb, left))) return [];
    }
  }

  /** Resolves true when work may have arrived, false on timeout or interruption. */
  private waitForWork(qdb: QueueDatabase, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (work: boolean) => {
        clearTimeout(timer);
        cancel();
        this.interrupt = undefined;
        resolve(work);
      };
      const timer = setTimeout(() => done(false), ms);
      const cancel = qdb.onWork(() => done(true));
      this.interrupt = () => done(false);
    });
  }

  async interruptClaim(): Promise<void> {
    this.interrupt?.();
  }

  private toDeliveries(rows: ClaimedRow[]): Delivery[] {
    const out: Delivery[] = [];
    for (const row of rows) {
      const job = parseJobRecord(row.job);
      if (!job) {
        this.deadLetterMalformed(row);
        continue;
      }
      out.push({
        handle: `${row.seq}:${row.lease}`,
        job,
        attempt: row.attempts + 1,
        previousError: row.last_error || undefined,
      });
    }
    return out;
  }

  /**
   * A row that cannot run goes to the DLQ. If that write fails, the row stays
   * claimed (reclaim takes it back later) and the claim still hands out the
   * other rows it took: they are claimed already, and must not wait for a reclaim.
   */
  private deadLetterMalformed(row: ClaimedRow): void {
    this.opts.log.error({ seq: row.seq }, 'malformed job row; moving it to the dead-letter queue');
    const qdb = this.open();
    try {
      qdb.write('dead-letter', () =>
        qdb.queries.deadLetter(row, row.attempts, 'malformed job row', qdb.clock.now()),
      );
    } catch (err) {
      this.opts.log.error(
        { seq: row.seq, err: (err as Error).message },
        'could not dead-letter a malformed job row; it is taken back after RECLAIM_IDLE',
      );
    }
  }

  async complete(
    deliveries: readonly Delivery[],
    reports?: readonly AttemptReport[],
  ): Promise<void> {
    if (deliveries.length === 0) return;
    const done: Completion[] = [];
    deliveries.forEach((d, i) => {
      const ref = leaseRef(d.handle);
      if (ref) done.push({ ref, report: reports?.[i] });
    });
    const qdb = this.open();
    qdb.write('complete', () => qdb.queries.complete(done, qdb.clock.now()));
  }

  async retryLater(
    d: Delivery,
    delayMs: number,
    error: string,
    report?: AttemptReport,
  ): Promise<boolean> {
    const ref = leaseRef(d.handle);
    if (!ref) return false;
    const qdb = this.open();
    return qdb.write('retry', () => {
      const now = qdb.clock.now();
      const dueAt = now + Math.max(0, Math.round(delayMs));
      return qdb.queries.retry({ ref, report }, dueAt, d.attempt, error, now);
    });
  }

  async deadLetter(
    d: Delivery,
    attempts: number,
    error: string,
    report?: AttemptReport,
  ): Promise<boolean> {
    const ref = leaseRef(d.handle);
    if (!ref) return false;
    const qdb = this.open();
    return qdb.write('dead-letter', () =>
      qdb.queries.deadLetter(ref, attempts, error, qdb.clock.now(), report),
    );
  }

  async release(deliveries: readonly Delivery[], started?: StartedRelease): Promise<ReleaseResult> {
    if (deliveries.length === 0) return { released: 0, deadLettered: 0 };
    const qdb = this.open();
    const refs = refsOf(deliveries);
    const r = qdb.write('release', () => {
      const now = qdb.clock.now();
      return started
        ? qdb.queries.handBack(refs, started.maxAttempts, started.error, now)
        : { released: qdb.queries.release(refs, now), deadLettered: 0 };
    });
    if (r.released > 0) qdb.wakeClaimers();
    return r;
  }

  async promoteDue(max: number): Promise<number> {
    const qdb = this.open();
    const n = qdb.write('promote', () =>
      qdb.queries.promoteDue(this.destination, max, qdb.clock.now()),
    );
    if (n > 0) qdb.wakeClaimers();
    return n;
  }

  async reclaimStale(idleMs: number, maxAttempts: number): Promise<ReclaimResult> {
    const qdb = this.open();
    const r = qdb.write('reclaim', () =>
      qdb.queries.reclaimStale(
        this.destination,
        qdb.clock.leaseNow() - idleMs,
        maxAttempts,
        `worker lost: no outcome within ${idleMs}ms (the process running it stopped or stalled, or its handler outlived TIMEOUT and did not settle)`,
        qdb.clock.now(),
      ),
    );
    if (r.requeued > 0) qdb.wakeClaimers();
    return { ...r, missing: [] };
  }

  async storedLanes(): Promise<string[]> {
    return this.open().queries.storedLanes();
  }

  async retireLane(destination: string, idleMs: number, error: string): Promise<RetiredLane> {
    const qdb = this.open();
    return qdb.write('retire', () =>
      qdb.queries.retireLane(destination, qdb.clock.leaseNow() - idleMs, error, qdb.clock.now()),
    );
  }

  async stats(): Promise<QueueStats> {
    const qdb = this.open();
    if (qdb.failure) throw new StoreUnavailableError(qdb.failure.message);
    return this.opts.lane === undefined
      ? qdb.queries.stats()
      : qdb.queries.laneStats(this.destination);
  }

  disk(): DiskStatus {
    return this.open().disk.status;
  }

  async peekDead(limit: number): Promise<DeadLetterEntry[]> {
    const out: DeadLetterEntry[] = [];
    for (const row of this.open().queries.peekDead(limit)) {
      let job: JobRecord;
      try {
        job = JSON.parse(row.job) as JobRecord;
      } catch {
        continue;
      }
      out.push({
        dlqId: String(row.dlq_id),
        job,
        attempts: row.attempts,
        lastError: row.last_error,
        failedAt: row.failed_at,
      });
    }
    return out;
  }

  /** Deletes expired idempotency keys now (it also runs every minute by itself). */
  purgeExpiredKeys(): Promise<number> {
    return this.open().purgeExpiredKeys();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.lanes.values()].map((l) => l.close()));
    this.interrupt?.();
    const qdb = this.qdb;
    this.qdb = undefined;
    await qdb?.release();
  }
}

function leaseRef(handle: string): LeaseRef | undefined {
  const m = /^(\d+):(\d+)$/.exec(handle);
  return m ? { seq: Number(m[1]), lease: Number(m[2]) } : undefined;
}

function refsOf(deliveries: readonly Delivery[]): LeaseRef[] {
  return deliveries.map((d) => leaseRef(d.handle)).filter((r): r is LeaseRef => r !== undefined);
}

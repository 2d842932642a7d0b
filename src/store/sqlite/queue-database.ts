/**
 * One open queue database per file in this process, shared by every SqliteStore
 * opened on it. Each store is one consumer, as several consumers share a Redis;
 * the file itself is owned by this process alone (see open.ts).
 *
 * Besides the connection it holds what the consumers share: the group commit of
 * ingest writes, the wake-up of claims blocked waiting for work, the background
 * expiry of idempotency keys, the clocks (clock.ts), the guard that keeps the
 * workers writing on a full disk (disk-guard.ts), the event log's writer
 * (event-records.ts) and its background payload index (payload-index.ts). The first store to open a file sets the event log's
 * options for every store on it.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { EventLogOptions } from '../event-log.js';
import { type EnqueueResult, StoreUnavailableError } from '../store.js';
import { QueueClock, type TimeSource } from './clock.js';
import { DiskGuard, isSqliteFull } from './disk-guard.js';
import { EventRecorder } from './event-records.js';
import { GroupCommit } from './group-commit.js';
import { closeDatabase, openDatabase } from './open.js';
import { PAYLOAD_INDEX_INTERVAL_MS, PayloadIndex } from './payload-index.js';
import { type EnqueueItem, QueueQueries } from './queries.js';
import { WalSync } from './wal-sync.js';

/**
 * Where the fsync behind each 202 runs: on libuv's thread pool after the commit
 * (`background`, the default, see wal-sync.ts), or inside the commit with
 * `synchronous = FULL` (`inline`: blocks the event loop; kept to measure against).
 */
export type FsyncMode = 'background' | 'inline';

export interface QueueDatabaseOptions {
  commitWindowMs: number;
  fsync: FsyncMode;
  log: Logger;
  time: TimeSource;
  /** The disk reserve's size; by default from the filesystem's (see disk-guard.ts). */
  reserveBytes?: number;
  /** How often free space is checked, and while the disk is full, a checkpoint tried. */
  diskCheckIntervalMs: number;
  /** How often expired idempotency keys are deleted; default every minute. */
  keyPurgeIntervalMs?: number;
  /** How often the payload index looks for new events; default PAYLOAD_INDEX_INTERVAL_MS. */
  payloadIndexIntervalMs?: number;
  eventLog: EventLogOptions;
}

/** Largest ingest transaction, in webhooks and in body bytes; a full batch commits at once. */
const MAX_BATCH = 1_000;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** How often expired idempotency keys are deleted by default, and how many per step. */
const KEY_PURGE_INTERVAL_MS = 60_000;
const KEY_PURGE_STEP = 1_000;

const open = new Map<string, QueueDatabase>();

export class QueueDatabase {
  readonly queries: QueueQueries;
  /** Writes the event log and the history, inside the transactions of `queries`. */
  readonly events: EventRecorder;
  /** Indexes the log's payloads for search, off the ingest transaction. */
  readonly payloadIndex: PayloadIndex;
  readonly clock: QueueClock;
  readonly disk: DiskGuard;
  /** Resolves once the disk reserve is settled (written, or found missing room for). */
  readonly ready: Promise<void>;
  readonly ingest: GroupCommit<EnqueueItem, EnqueueResult>;
  /** Jobs found running when the file was opened: left by a process that died. */
  readonly orphanedAtOpen: number;
  private refs = 0;
  private readonly wakers = new Set<() => void>();
  private readonly purgeTimer: NodeJS.Timeout;
  private readonly walSync: WalSync;
  private syncFailureLogged = false;
  private purgeFailing = false;

  /** Opens `file`, or shares it if this process has it open already. */
  static acquire(file: string, opts: QueueDatabaseOptions): QueueDatabase {
    let qdb = open.get(canonical(file));
    if (!qdb) {
      const disk = new DiskGuard({
        file,
        log: opts.log,
        checkIntervalMs: opts.diskCheckIntervalMs,
        ...(opts.reserveBytes !== undefined ? { reserveBytes: opts.reserveBytes } : {}),
      });
      disk.beforeOpen();
      qdb = new QueueDatabase(file, openDatabase(file), disk, opts);
      open.set(canonical(file), qdb);
    }
    qdb.refs++;
    return qdb;
  }

  private constructor(
    readonly file: string,
    readonly db: Database,
    disk: DiskGuard,
    private readonly opts: QueueDatabaseOptions,
  ) {
    this.disk = disk;
    disk.attach(db);
    this.events = new EventRecorder(db, opts.eventLog);
    this.queries = new QueueQueries(db, this.events);
    this.clock = new QueueClock(opts.time, (step) => this.wallClockStepped(step));
    // Nothing else can hold a lease on a file this process owns: every running
    // job belongs to a process that died. Expire the leases so that the first
    // reclaim pass takes the jobs back (counting the lost run) at once.
    this.orphanedAtOpen = this.queries.expireLeases();
    this.walSync = new WalSync(file);
    // The log's copy of a body weighs like a delivery's: it is written in the same transaction.
    const logCopies = this.events.enabled && opts.eventLog.payloads ? 1 : 0;
    this.ingest = new GroupCommit((items) => this.commitIngest(items), {
      windowMs: opts.commitWindowMs,
      maxBatch: MAX_BATCH,
      maxWeight: MAX_BATCH_BYTES,
      weigh: (item) =>
        item.job.payload.length *
        ((item.targets.handlers ? 1 : 0) + item.targets.destinations.length + logCopies),
      durable: opts.fsync === 'inline' ? () => Promise.resolve() : () => this.walSync.sync(),
      failure: (err) => this.ingestFailure(err),
    });
    this.purgeTimer = setInterval(
      () => this.purgeInBackground(),
      opts.keyPurgeIntervalMs ?? KEY_PURGE_INTERVAL_MS,
    );
    this.purgeTimer.unref();
    this.payloadIndex = new PayloadIndex(db, disk, opts.log);
    if (this.events.enabled && opts.eventLog.payloads) {
      this.payloadIndex.start(opts.payloadIndexIntervalMs ?? PAYLOAD_INDEX_INTERVAL_MS);
    }
    this.ready = disk.start();
  }

  /**
   * Runs one worker-side write. One that fails for want of space makes the
   * disk guard free the reserve, and is tried once more at once: a full disk
   * must not keep the workers from recording outcomes.
   */
  write<T>(what: string, run: () => T): T {
    try {
      return run();
    } catch (err) {
      if (!this.disk.writeFailed(err, what)) throw err;
    }
    try {
      return run();
    } catch (err) {
      if (isSqliteFull(err)) throw new StoreUnavailableError('the disk is full', { cause: err });
      throw err;
    }
  }

  /**
   * Why this database can no longer be trusted with new webhooks (a failed
   * fsync), if so: stats then fail too, so /health reports the store down.
   */
  get failure(): Error | undefined {
    return this.walSync.failure;
  }

  /** Drops one user; the last one answers pending ingest, then closes the file. */
  async release(): Promise<void> {
    if (--this.refs > 0) return;
    open.delete(canonical(this.file));
    clearInterval(this.purgeTimer);
    this.wakeClaimers();
    await this.ingest.drain();
    await this.payloadIndex.stop();
    await this.disk.stop();
    closeDatabase(this.db, this.file);
    await this.walSync.close();
  }

  /** Calls `wake` once when new work may be waiting; returns a function that cancels. */
  onWork(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }

  wakeClaimers(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }

  /** Deletes expired idempotency keys a step at a time, yielding to the event loop between steps. */
  async purgeExpiredKeys(): Promise<number> {
    let total = 0;
    for (;;) {
      if (!this.db.open) return total;
      const n = this.write('purge keys', () =>
        this.queries.purgeExpiredKeys(this.clock.now(), KEY_PURGE_STEP),
      );
      total += n;
      if (n < KEY_PURGE_STEP) return total;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The timer's purge: a failure (a full disk, an I/O error) is logged, and the next one tries again. */
  private async purgeInBackground(): Promise<void> {
    try {
      await this.purgeExpiredKeys();
      if (this.purgeFailing) this.opts.log.info('expired idempotency keys are deleted again');
      this.purgeFailing = false;
    } catch (err) {
      if (!this.purgeFailing) {
        this.opts.log.warn(
          { err: (err as Error).message },
          'could not delete expired idempotency keys; trying again later (they are ignored meanwhile)',
        );
      }
      this.purgeFailing = true;
    }
  }

  private commitIngest(items: EnqueueItem[]): EnqueueResult[] {
    if (this.walSync.failure) throw this.walSync.failure;
    // What the workers need to drain is not for new webhooks.
    if (this.disk.full) throw diskFullError();
    const results = this.queries.enqueueBatch(
      items,
      this.clock.now(),
      this.opts.fsync === 'inline' ? 'inline' : 'caller',
    );
    this.disk.afterIngestCommit();
    if (results.some((r) => !r.duplicate)) this.wakeClaimers();
    return results;
  }

  /**
   * Due times and queue order are wall-clock times in the file: move them with
   * a step, so that a retry keeps its delay in elapsed time and jobs keep their
   * order. Idempotency windows and DLQ ages are not moved (see docs/sqlite-store.md).
   */
  private wallClockStepped(stepMs: number): void {
    const moved = this.queries.shiftRunAt(stepMs);
    this.opts.log.warn(
      { step_ms: stepMs, jobs: moved },
      'the wall clock stepped; moved the due times of queued jobs with it',
    );
  }

  private ingestFailure(err: unknown): Error {
    if (err instanceof StoreUnavailableError) return err;
    const code = String((err as { code?: unknown }).code ?? '');
    if (this.disk.writeFailed(err, 'ingest')) return diskFullError(err);
    if (err === this.walSync.failure) {
      if (!this.syncFailureLogged) {
        this.syncFailureLogged = true;
        this.opts.log.error({ file: this.file, err: (err as Error).message }, 'ingest stopped');
      }
      return new StoreUnavailableError((err as Error).message, { cause: err });
    }
    this.opts.log.error(
      { file: this.file, code, err: (err as Error).message },
      'ingest commit failed',
    );
    return new StoreUnavailableError(`ingest commit failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function diskFullError(cause?: unknown): StoreUnavailableError {
  return new StoreUnavailableError('the disk is full', { cause });
}

/** One key per file however it is named (symlinked directories), once its directory exists. */
function canonical(file: string): string {
  try {
    return join(realpathSync(dirname(file)), basename(file));
  } catch {
    return file;
  }
}

/**
 * The event log's payload index, written in the background: tokenizing a body
 * into trigrams costs several times what the rest of its ingest does, so it is
 * kept out of the ingest transaction (and out of the time before a 202).
 *
 * `events_indexed.n` is the mark: every event up to it has its payload in
 * `events_fts`. A timer of its own (and a caller, with `run`) moves the mark
 * over the newer events in batches of at most BATCH_ROWS rows and BATCH_CHARS
 * characters of payload, one transaction each, yielding to the event loop
 * between batches until it has caught up. The FTS rows and the mark commit
 * together, so a crash neither loses nor doubles any. A search checks the
 * events above the mark with instr() (event-search.ts): it never waits for
 * this, nor misses what this has not reached.
 *
 * A trim deletes an event's FTS row by trigger only when the event is at or
 * under the mark; one above it was never indexed, and is no longer there to
 * be. On a full disk (disk-guard.ts) the indexer stands aside: it writes
 * nothing while ingest is refused, and a batch that fails for space tells the
 * guard and waits for the next tick.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { DiskGuard } from './disk-guard.js';

/**
 * The most events one batch indexes, and the most payload characters it
 * tokenizes, in bytes (bodies may be 1 MiB each): together they bound how long a batch
 * holds the event loop, about 15-25 ms for 1 KiB bodies.
 */
export const BATCH_ROWS = 250;
const BATCH_CHARS = 256 * 1024;
/** How often the indexer looks for new events by default. */
export const PAYLOAD_INDEX_INTERVAL_MS = 250;

/** What the indexer did since the store opened: for the bench and the tests. */
export interface PayloadIndexStats {
  batches: number;
  rows: number;
  /** Total and longest time spent in batches (event loop blocked), in ms. */
  ms: number;
  maxMs: number;
}

const SQL = {
  mark: 'SELECT n FROM events_indexed',
  newest: 'SELECT coalesce(max(n), 0) AS n FROM events',
  pending:
    'SELECT n, coalesce(octet_length(payload), 0) AS size FROM events WHERE n > ? ORDER BY n LIMIT ?',
  index: `INSERT INTO events_fts (rowid, payload)
          SELECT n, payload FROM events WHERE n > ? AND n <= ? AND payload IS NOT NULL`,
  setMark: 'UPDATE events_indexed SET n = ?',
} as const;

export class PayloadIndex {
  readonly stats: PayloadIndexStats = { batches: 0, rows: 0, ms: 0, maxMs: 0 };
  private readonly s: Record<keyof typeof SQL, Statement>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly db: Database,
    private readonly disk: DiskGuard,
    private readonly log: Logger,
  ) {
    this.s = Object.fromEntries(
      Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Record<keyof typeof SQL, Statement>;
  }

  /** Runs every `intervalMs` until `stop`. */
  start(intervalMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.run(), intervalMs);
    this.timer.unref();
  }

  /** Ends the timer and waits for a batch under way; the next open goes on from the mark. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** The highest event key whose payload is indexed. */
  mark(): number {
    return (this.s.mark.get() as { n: number } | undefined)?.n ?? 0;
  }

  /** Whether every event recorded so far is under the mark. */
  caughtUp(): boolean {
    return this.mark() >= (this.s.newest.get() as { n: number }).n;
  }

  /**
   * Indexes batches until caught up (or stopped, or the disk is full), never
   * two runs at once; resolves when done. Never throws: a failure is logged
   * and the next tick tries again.
   */
  run(): Promise<void> {
    this.running ??= this.catchUp().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async catchUp(): Promise<void> {
    while (!this.stopped && this.db.open && !this.disk.full) {
      let more: boolean;
      try {
        more = this.batch();
      } catch (err) {
        this.failed(err);
        return;
      }
      if (this.failing) this.log.info('the event log indexes payloads again');
      this.failing = false;
      if (!more) return;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** One transaction: the next events after the mark, within the bounds. Returns whether more wait. */
  private batch(): boolean {
    const started = performance.now();
    const done = this.db.transaction(() => {
      const from = this.mark();
      const rows = this.s.pending.all(from, BATCH_ROWS) as { n: number; size: number }[];
      let to = from;
      let chars = 0;
      let count = 0;
      for (const row of rows) {
        if (count > 0 && chars + row.size > BATCH_CHARS) break;
        to = row.n;
        chars += row.size;
        count++;
      }
      if (count > 0) {
        this.s.index.run(from, to);
        this.s.setMark.run(to);
      }
      return { count, more: count < rows.length || rows.length === BATCH_ROWS };
    })();
    if (done.count === 0) return false;
    // Indexing grows the file: the guard measures room as after an ingest commit.
    this.disk.afterIngestCommit();
    const ms = performance.now() - started;
    this.stats.batches++;
    this.stats.rows += done.count;
    this.stats.ms += ms;
    if (ms > this.stats.maxMs) this.stats.maxMs = ms;
    return done.more;
  }

  private failed(err: unknown): void {
    // For space: the guard refuses ingest and frees its reserve; this waits for room.
    const full = this.disk.writeFailed(err, 'index payloads');
    if (!this.failing) {
      this.log.warn(
        { err: (err as Error).message, disk_full: full },
        'could not index event payloads; trying again later (searches still find the events not indexed yet)',
      );
    }
    this.failing = true;
  }
}

/**
 * The event log of the embedded store, for operators: search (event-search.ts),
 * one event with all it kept, and the retention trim. What it reads is written
 * by event-records.ts inside the queue's own transactions, but for the payload
 * index, which payload-index.ts writes in the background.
 *
 * On a full disk (disk-guard.ts) the log gives way to the queue: while ingest
 * is refused, each trim also drops a step of the oldest events beyond the
 * retention, so that the pages they free are there for the workers and then for
 * ingest. The DLQ is never touched.
 */
import type { Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import {
  type DeliveryState,
  type EventAttempt,
  type EventDelivery,
  type EventLog,
  type EventPage,
  type EventQuery,
  type EventRecord,
  type EventState,
  type EventSummary,
  loggedKey,
} from '../event-log.js';
import { decodeCursor, encodeCursor, SCAN_WINDOW, searchStatement } from './event-search.js';
import type { SqliteHistory } from './history.js';
import type { PayloadIndex } from './payload-index.js';
import type { QueueDatabase } from './queue-database.js';

/** Events dropped per trim step: bounds how long one step holds the event loop. */
const TRIM_STEP = 1_000;
/** The most events one page returns, whatever the query asks. */
const MAX_PAGE = 1_000;
/** Prepared searches kept, by SQL text (one per combination of filters). */
const MAX_CACHED = 64;

interface SummaryRow {
  n: number;
  id: string;
  source: string;
  type: string;
  state: string;
  received_at: number;
  idempotency_key: string | null;
  duplicate_of: string | null;
  payload_kept: number;
}

/** A row of a scan's window (event-search.ts): `hit` when its payload holds q. */
interface ScanRow extends SummaryRow {
  hit: number | null;
}

interface RecordRow extends SummaryRow {
  content_type: string | null;
  headers: string | null;
  payload: string | null;
}

interface AttemptRow {
  target: string;
  at: number;
  outcome: EventAttempt['outcome'];
  status: number | null;
  duration_ms: number | null;
  error: string | null;
}

const SQL = {
  get: `SELECT n, id, source, type, state, received_at, idempotency_key, duplicate_of,
          payload IS NOT NULL AS payload_kept, content_type, headers, payload
        FROM events WHERE id = ?`,
  deliveries: 'SELECT target, state FROM event_deliveries WHERE event = ? ORDER BY position',
  attempts: `SELECT target, at, outcome, status, duration_ms, error FROM event_attempts
             WHERE event = ? ORDER BY target, a`,
} as const;

export class SqliteEventLog implements EventLog {
  private readonly statements = new Map<string, Statement>();
  private givingWay = false;

  /**
   * `open` is the store's database, resolved at each call (it is opened in
   * `init`); `enabled` and `payloads` are the store's options; `history` is
   * trimmed with the log.
   */
  constructor(
    private readonly open: () => QueueDatabase,
    readonly enabled: boolean,
    private readonly payloads: boolean,
    private readonly history: SqliteHistory,
    private readonly log: Logger,
  ) {}

  isCursor(text: string): boolean {
    return decodeCursor(text) !== undefined;
  }

  async list(query: EventQuery): Promise<EventPage> {
    const none: EventPage = { events: [], next: undefined };
    if (!this.enabled) return none;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) return none;
    if (query.filter.q && !this.payloads) return none;
    // A key is looked up as it was recorded; one too long to record matches nothing.
    const key = query.filter.key === undefined ? undefined : loggedKey(query.filter.key);
    if (query.filter.key !== undefined && key === undefined) return none;
    const filter = key === undefined ? query.filter : { ...query.filter, key };
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(query.limit) || 1));
    const search = searchStatement(filter, after, limit + 1);
    if (search.scan) return this.scanPage(search.sql, search.args, limit);
    const rows = this.stmt(search.sql).all(...search.args) as SummaryRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map((row) => this.summary(row)),
      next: rows.length > limit && last ? cursorAt(last) : undefined,
    };
  }

  /**
   * A page picked from a scan's window (event-search.ts): the first `limit`
   * hits, and where to go on. A window read to its end without filling the
   * page continues after its last row, even if no event in it matched, so the
   * page may be short, or empty, and still have a `next`.
   */
  private scanPage(sql: string, args: (string | number)[], limit: number): EventPage {
    const hits: SummaryRow[] = [];
    let scanned = 0;
    let last: SummaryRow | undefined;
    let full = false;
    // Rows are read one at a time, so a page found early stops the scan there.
    for (const row of this.stmt(sql).iterate(...args) as IterableIterator<ScanRow>) {
      scanned++;
      if (row.hit) {
        if (hits.length === limit) {
          full = true;
          break;
        }
        hits.push(row);
      }
      last = row;
    }
    const lastHit = hits[hits.length - 1];
    const next = full && lastHit ? lastHit : scanned === SCAN_WINDOW && last ? last : undefined;
    // The deliveries are read once the scan's statement is done with the connection.
    return {
      events: hits.map((row) => this.summary(row)),
      next: next ? cursorAt(next) : undefined,
      scanned,
    };
  }

  async get(id: string): Promise<EventRecord | undefined> {
    if (!this.enabled || typeof id !== 'string') return undefined;
    const row = this.stmt(SQL.get).get(id) as RecordRow | undefined;
    if (!row) return undefined;
    const attempts = this.stmt(SQL.attempts).all(row.n) as AttemptRow[];
    const deliveries: EventDelivery[] = this.deliveries(row.n).map((d) => ({
      ...d,
      attempts: attempts.filter((a) => a.target === d.target).map(attempt),
    }));
    const headers = row.headers === null ? undefined : parseHeaders(row.headers);
    return {
      ...summaryOf(row, deliveries),
      ...(row.payload !== null ? { payload: row.payload } : {}),
      ...(headers ? { headers } : {}),
      ...(row.content_type !== null ? { contentType: row.content_type } : {}),
    };
  }

  async trim(): Promise<number> {
    const qdb = this.open();
    let total = 0;
    for (;;) {
      const n = qdb.write('trim events', () =>
        qdb.db.transaction(() => qdb.events.trim(TRIM_STEP, qdb.clock.now()))(),
      );
      total += n;
      if (n < TRIM_STEP) break;
      await new Promise((r) => setImmediate(r));
    }
    total += this.giveWay(qdb);
    await this.history.trim(qdb.clock.now());
    return total;
  }

  /** The background payload index (payload-index.ts): its mark, its figures, a run now. */
  get index(): PayloadIndex {
    return this.open().payloadIndex;
  }

  /** What is stored, also with the log off (what an earlier run left, until trim drops it). */
  async size(): Promise<number> {
    return this.open().events.size();
  }

  /** On a full disk, one step of the oldest events, for room (see the top of this file). */
  private giveWay(qdb: QueueDatabase): number {
    if (!qdb.disk.full) {
      this.givingWay = false;
      return 0;
    }
    const n = qdb.write('trim events for room', () => qdb.events.dropOldest(TRIM_STEP));
    if (n > 0 && !this.givingWay) {
      this.log.warn(
        { dropped: n },
        'the disk of the queue database is full: dropping the oldest events of the event log, a step per trim, to make room for the queue',
      );
    }
    this.givingWay = n > 0;
    return n;
  }

  private summary(row: SummaryRow): EventSummary {
    return summaryOf(row, this.deliveries(row.n));
  }

  private deliveries(n: number): { target: string; state: DeliveryState }[] {
    return this.stmt(SQL.deliveries).all(n) as { target: string; state: DeliveryState }[];
  }

  /** A prepared statement, cached per text for the database it was prepared on. */
  private stmt(sql: string): Statement {
    const db = this.open().db;
    const cached = this.statements.get(sql);
    if (cached && cached.database === db) return cached;
    if (this.statements.size >= MAX_CACHED) this.statements.clear();
    const prepared = db.prepare(sql);
    this.statements.set(sql, prepared);
    return prepared;
  }
}

function summaryOf<D extends { target: string; state: DeliveryState }>(
  row: SummaryRow,
  deliveries: D[],
): EventSummary & { deliveries: D[] } {
  return {
    id: row.id,
    source: row.source,
    type: row.type,
    state: row.state as EventState,
    receivedAt: row.received_at,
    ...(row.idempotency_key !== null ? { idempotencyKey: row.idempotency_key } : {}),
    ...(row.duplicate_of !== null ? { duplicateOf: row.duplicate_of } : {}),
    payloadKept: row.payload_kept === 1,
    deliveries,
  };
}

function cursorAt(row: SummaryRow): string {
  return encodeCursor({ receivedAt: row.received_at, id: row.id });
}

function attempt(row: AttemptRow): EventAttempt {
  return {
    at: row.at,
    outcome: row.outcome,
    ...(row.duration_ms !== null ? { durationMs: row.duration_ms } : {}),
    ...(row.status !== null ? { status: row.status } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
  };
}

function parseHeaders(json: string): Record<string, string> | undefined {
  try {
    const h: unknown = JSON.parse(json);
    return h !== null && typeof h === 'object' && !Array.isArray(h)
      ? (h as Record<string, string>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The dead-letter queue of the embedded store, for operators: the
 * `dead_letters` table, paged by `dlq_id` (never reused, so id order is
 * dead-lettering order) and filtered on its indexed columns.
 *
 * A replay is one transaction that deletes the row and inserts a waiting job
 * with no attempts, so an entry is never both dead and queued, nor neither, and
 * a second replay of the same id finds nothing to move. The same transaction
 * puts the delivery back to `queued` in the event log, or, when the log shows
 * it under way already (replayed from the log meanwhile), only deletes the row:
 * a second copy would deliver the event twice.
 */
import type { Database, Statement } from 'better-sqlite3';
import type {
  DeadLetterCaps,
  DeadLetterEntry,
  DeadLetterPage,
  DeadLetterQuery,
  DeadLetterSummary,
  DeadLetters,
  DeadLetterTrim,
  JobRecord,
} from '../store.js';
import { type EventRecorder, targetOf } from './event-records.js';
import type { DeadRow } from './queries.js';

interface SummaryRow {
  dlq_id: number;
  job_id: string;
  type: string;
  source: string;
  destination: string;
  received_at: number;
  attempts: number;
  last_error: string;
  failed_at: number;
}

/** Rows dropped per trim statement: bounds how long one statement holds the event loop. */
const TRIM_STEP = 1_000;
const ROW_ID = /^\d{1,15}$/;

const SQL = {
  get: 'SELECT dlq_id, job, attempts, last_error, failed_at FROM dead_letters WHERE dlq_id = ?',
  newest: 'SELECT max(dlq_id) AS id FROM dead_letters',
  count: "SELECT n FROM counts WHERE name = 'dead'",
  take: 'DELETE FROM dead_letters WHERE dlq_id = ? RETURNING job_id, job, destination',
  insertJob: `INSERT INTO jobs (job_id, job, lane, state, run_at) VALUES (?, ?, ?, 'waiting', ?)`,
  remove: 'DELETE FROM dead_letters WHERE dlq_id = ?',
  dropOld: `DELETE FROM dead_letters WHERE dlq_id IN
              (SELECT dlq_id FROM dead_letters WHERE failed_at < ? ORDER BY failed_at LIMIT ?)`,
  dropFirst: `DELETE FROM dead_letters WHERE dlq_id IN
                (SELECT dlq_id FROM dead_letters ORDER BY dlq_id LIMIT ?)`,
} as const;

export class SqliteDeadLetters implements DeadLetters {
  private readonly statements = new Map<string, Statement>();

  /**
   * `db` is resolved at each call (the store opens its database in `init`);
   * `onReplayed` wakes the claims waiting for work; `now` is the store's wall
   * clock (see clock.ts); every change runs through `write` (QueueDatabase.write);
   * `events` records replays in the event log.
   */
  constructor(
    private readonly db: () => Database,
    private readonly onReplayed: () => void,
    private readonly now: () => number,
    private readonly write: <T>(what: string, run: () => T) => T,
    private readonly events: () => EventRecorder,
  ) {}

  /** A prepared statement, cached per text for the database it was prepared on. */
  private stmt(sql: string): Statement {
    const db = this.db();
    const cached = this.statements.get(sql);
    if (cached && cached.database === db) return cached;
    const prepared = db.prepare(sql);
    this.statements.set(sql, prepared);
    return prepared;
  }

  isId(text: string): boolean {
    return ROW_ID.test(text);
  }

  async list(query: DeadLetterQuery): Promise<DeadLetterPage> {
    const { filter } = query;
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    add('type = ?', filter.type);
    add('source = ?', filter.source);
    add('destination = ?', filter.destination);
    add('failed_at >= ?', filter.failedFrom);
    add('failed_at < ?', filter.failedTo);
    add('dlq_id > ?', query.after === undefined ? undefined : Number(query.after));
    add('dlq_id <= ?', query.upTo === undefined ? undefined : Number(query.upTo));
    // One statement per combination of filters, so that each can use its index.
    const rows = this.stmt(
      `SELECT dlq_id, job_id, type, source, destination, received_at, attempts, last_error,
         failed_at
       FROM dead_letters ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY dlq_id LIMIT ?`,
    ).all(...args, query.limit + 1) as SummaryRow[];
    const entries = rows.slice(0, query.limit).map(summary);
    const more = rows.length > query.limit;
    return { entries, next: more ? entries[entries.length - 1]?.dlqId : undefined };
  }

  async get(dlqId: string): Promise<DeadLetterEntry | undefined> {
    if (!this.isId(dlqId)) return undefined;
    const row = this.stmt(SQL.get).get(Number(dlqId)) as DeadRow | undefined;
    if (!row) return undefined;
    let job: JobRecord;
    try {
      job = JSON.parse(row.job) as JobRecord;
    } catch {
      return undefined;
    }
    return {
      dlqId: String(row.dlq_id),
      job,
      attempts: row.attempts,
      lastError: row.last_error,
      failedAt: row.failed_at,
    };
  }

  async newestId(): Promise<string | undefined> {
    const row = this.stmt(SQL.newest).get() as { id: number | null };
    return row.id === null ? undefined : String(row.id);
  }

  async replay(dlqIds: readonly string[]): Promise<number> {
    const ids = this.rowIds(dlqIds);
    if (ids.length === 0) return 0;
    const take = this.stmt(SQL.take);
    const insert = this.stmt(SQL.insertJob);
    const now = this.now();
    const events = this.events();
    let queued = 0;
    const moved = this.write('replay', () =>
      this.db().transaction(() => {
        queued = 0;
        let n = 0;
        for (const id of ids) {
          const row = take.get(id) as
            | { job_id: string; job: string; destination: string }
            | undefined;
          if (!row) continue;
          n++;
          const target = targetOf(row.destination);
          if (events.underWay(row.job_id, target)) continue;
          // A dead delivery goes back to its destination's queue, and only there.
          insert.run(row.job_id, row.job, row.destination, now);
          events.queued(row.job_id, target);
          queued++;
        }
        return n;
      })(),
    );
    if (queued > 0) this.onReplayed();
    return moved;
  }

  async remove(dlqIds: readonly string[]): Promise<number> {
    const ids = this.rowIds(dlqIds);
    if (ids.length === 0) return 0;
    const remove = this.stmt(SQL.remove);
    return this.write('remove dead letters', () =>
      this.db().transaction(() => {
        let n = 0;
        for (const id of ids) n += remove.run(id).changes;
        return n;
      })(),
    );
  }

  async trim(caps: DeadLetterCaps): Promise<DeadLetterTrim> {
    const out = { byAge: 0, byLength: 0 };
    if (caps.maxAgeMs > 0) {
      const floor = this.now() - caps.maxAgeMs;
      out.byAge = await inSteps(() =>
        this.write('trim', () => this.stmt(SQL.dropOld).run(floor, TRIM_STEP).changes),
      );
    }
    if (caps.maxLength > 0) {
      out.byLength = await inSteps(() => {
        const dead = (this.stmt(SQL.count).get() as { n: number } | undefined)?.n ?? 0;
        const excess = dead - caps.maxLength;
        if (excess <= 0) return 0;
        const drop = this.stmt(SQL.dropFirst);
        return this.write('trim', () => drop.run(Math.min(excess, TRIM_STEP)).changes);
      });
    }
    return out;
  }

  private rowIds(dlqIds: readonly string[]): number[] {
    return dlqIds.filter((id) => this.isId(id)).map(Number);
  }
}

/** Runs `step` until it drops less than a full step, yielding to the event loop in between. */
async function inSteps(step: () => number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = step();
    total += n;
    if (n < TRIM_STEP) return total;
    await new Promise((r) => setImmediate(r));
  }
}

function summary(row: SummaryRow): DeadLetterSummary {
  return {
    dlqId: String(row.dlq_id),
    jobId: row.job_id,
    type: row.type,
    source: row.source,
    ...(row.destination ? { destination: row.destination } : {}),
    receivedAt: row.received_at,
    attempts: row.attempts,
    lastError: row.last_error,
    failedAt: row.failed_at,
  };
}

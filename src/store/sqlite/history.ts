/**
 * The per-minute throughput history of the embedded store: `history_minutes`,
 * one row per minute, series and key, added to by the same transactions as the
 * changes they count (event-records.ts) and by the HTTP edge's batched refusals.
 * Read by minute range over the primary key; minutes older than
 * HISTORY_RETENTION_MS are deleted in bounded steps by `trim`.
 */
import {
  HISTORY_RETENTION_MS,
  type MinuteCounts,
  minuteOf,
  type ThroughputHistory,
} from '../event-log.js';
import type { QueueDatabase } from './queue-database.js';

/** Rows deleted per step of a trim. */
const TRIM_STEP = 1_000;
/** A status class longer than this is not one (`4xx`, `5xx`): ignored. */
const MAX_CLASS_LENGTH = 32;

interface MinuteRow {
  minute: number;
  series: string;
  key: string;
  count: number;
}

const SQL = {
  read: `SELECT minute, series, key, count FROM history_minutes
         WHERE minute >= ? AND minute < ? AND count <> 0 ORDER BY minute`,
  dropBefore: `DELETE FROM history_minutes WHERE (minute, series, key) IN
                 (SELECT minute, series, key FROM history_minutes WHERE minute < ? LIMIT ?)`,
} as const;

export class SqliteHistory implements ThroughputHistory {
  /** `open` is the store's database, resolved at each call (it is opened in `init`). */
  constructor(private readonly open: () => QueueDatabase) {}

  async read(fromMs: number, toMs: number): Promise<MinuteCounts[]> {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) return [];
    // The minute that holds fromMs overlaps the range: it is in.
    const rows = this.open().db.prepare(SQL.read).all(minuteOf(fromMs), toMs) as MinuteRow[];
    const out: MinuteCounts[] = [];
    for (const row of rows) {
      let m = out[out.length - 1];
      if (m?.minute !== row.minute) {
        m = {
          minute: row.minute,
          accepted: 0,
          duplicates: 0,
          rejected: {},
          delivered: {},
          failed: {},
          deadLettered: 0,
        };
        out.push(m);
      }
      add(m, row);
    }
    return out;
  }

  async addRejected(byClass: Readonly<Record<string, number>>, at: number): Promise<void> {
    const counts = Object.entries(byClass).filter(
      ([cls, n]) => cls.length <= MAX_CLASS_LENGTH && Number.isSafeInteger(n) && n > 0,
    );
    if (counts.length === 0 || !Number.isFinite(at)) return;
    const qdb = this.open();
    qdb.write('count refusals', () =>
      qdb.db.transaction(() => {
        for (const [cls, n] of counts) qdb.events.count('rejected', cls, at, n);
      })(),
    );
  }

  /** Deletes the minutes past HISTORY_RETENTION_MS, a step at a time; returns how many rows. */
  async trim(now: number): Promise<number> {
    const qdb = this.open();
    const floor = minuteOf(now - HISTORY_RETENTION_MS);
    let total = 0;
    for (;;) {
      const n = qdb.write(
        'trim history',
        () => qdb.db.prepare(SQL.dropBefore).run(floor, TRIM_STEP).changes,
      );
      total += n;
      if (n < TRIM_STEP) return total;
      await new Promise((r) => setImmediate(r));
    }
  }
}

function add(m: MinuteCounts, row: MinuteRow): void {
  switch (row.series) {
    case 'accepted':
      m.accepted += row.count;
      break;
    case 'duplicates':
      m.duplicates += row.count;
      break;
    case 'dead':
      m.deadLettered += row.count;
      break;
    case 'rejected':
    case 'delivered':
    case 'failed':
      m[row.series][row.key] = (m[row.series][row.key] ?? 0) + row.count;
      break;
  }
}

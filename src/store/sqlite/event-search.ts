/**
 * The statement behind a search of the event log (EventLog.list): one WHERE
 * clause per filter given, newest first by (received_at, id), continued after a
 * keyset cursor. Every filter but the destination has an index to start from:
 * the time, source, type, state and key indexes of `events`, and the trigram
 * index of the payload for a `q` of three characters or more. A destination is
 * checked on each event read, newest first, by the key of `event_deliveries`
 * (an index by target would cost every delivery a write, and no plan used it). That index is written in the background (payload-index.ts):
 * the events it has not reached yet, after its mark, are few, and are added to
 * its candidates, so a search finds an event as soon as its 202 is sent.
 *
 * The trigram index keeps no positions (schema.ts), so it answers "has all of
 * these trigrams", not "has this string": it narrows the candidates, and
 * instr() on each candidate's payload decides, which also makes `q` an exact,
 * case-sensitive substring whatever its characters. A `q` shorter than three
 * characters has no trigram (nor a trigram holding a NUL, which FTS5's query
 * parser cannot take): instr() alone decides, on a window of at most SCAN_WINDOW
 * of the rows the other filters leave, newest first; the caller reads the window
 * and continues after it on the next call (event-log.ts), so that no call reads
 * the whole table.
 */
import type { EventFilter } from '../event-log.js';

/** Where a page ends: the last event's sort key. */
export interface Position {
  receivedAt: number;
  id: string;
}

const CURSOR = /^(-?\d{1,16})\.([A-Za-z0-9_-]{1,2000})$/;

/** An opaque cursor for the events after `p`. */
export function encodeCursor(p: Position): string {
  return `${p.receivedAt}.${Buffer.from(p.id, 'utf8').toString('base64url')}`;
}

export function decodeCursor(text: string): Position | undefined {
  const m = CURSOR.exec(text);
  if (!m) return undefined;
  const receivedAt = Number(m[1]);
  if (!Number.isSafeInteger(receivedAt)) return undefined;
  return { receivedAt, id: Buffer.from(m[2] as string, 'base64url').toString('utf8') };
}

/** The most rows one search without a trigram reads (instr() on each payload). */
export const SCAN_WINDOW = 5_000;

/** Columns of a summary; `payload` itself is never read for one (typeof reads only its type). */
const SUMMARY_COLUMNS = `n, id, source, type, state, received_at, idempotency_key, duplicate_of,
  typeof(payload) <> 'null' AS payload_kept`;

/** A search: its statement and arguments, and whether it is a bounded scan. */
export interface Search {
  sql: string;
  args: (string | number)[];
  /**
   * A scan: the statement returns the window of SCAN_WINDOW rows, each with
   * `hit` (whether its payload holds q), for the caller to pick from.
   */
  scan: boolean;
}

/** A trigram is three characters (code points, not UTF-16 units). */
const TRIGRAM = 3;
/** The most trigrams of `q` looked up: enough to narrow, bounded for a long `q`. */
const MAX_TRIGRAMS = 16;

/**
 * The SQL and its arguments for up to `limit` events of `filter` after `after`
 * (or, for a scan, the window to pick them from). The text depends only on
 * which filters are given, so a cache of prepared statements by text stays
 * small.
 */
export function searchStatement(
  filter: EventFilter,
  after: Position | undefined,
  limit: number,
): Search {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (clause: string, ...values: (string | number | undefined)[]) => {
    if (values.some((v) => v === undefined)) return;
    where.push(clause);
    args.push(...(values as (string | number)[]));
  };
  add('source = ?', filter.source);
  add('type = ?', filter.type);
  add('state = ?', filter.state);
  add('received_at >= ?', filter.since);
  add('received_at < ?', filter.until);
  add('idempotency_key = ?', filter.key);
  add(
    'EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event = events.n AND d.target = ?)',
    filter.destination,
  );
  const q = filter.q !== undefined && filter.q !== '' ? filter.q : undefined;
  const match = q === undefined ? undefined : trigramQuery(q);
  if (match) {
    // The index holds the events up to its mark; those after it are checked by instr() alone.
    add(
      `n IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?
             UNION ALL SELECT n FROM events WHERE n > (SELECT n FROM events_indexed))`,
      match,
    );
    add('instr(payload, ?) > 0', q);
  }
  if (after) add('(received_at, id) < (?, ?)', after.receivedAt, after.id);
  const scan = q !== undefined && !match;
  const sql = `SELECT ${SUMMARY_COLUMNS}${scan ? ', instr(payload, ?) > 0 AS hit' : ''}
    FROM events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY received_at DESC, id DESC LIMIT ?`;
  return scan
    ? { sql, args: [q as string, ...args, SCAN_WINDOW], scan }
    : { sql, args: [...args, limit], scan };
}

/**
 * An FTS5 query for the events whose payload has every trigram of `q` (up to
 * MAX_TRIGRAMS of them, spread over `q`); undefined when `q` has none. Each
 * trigram is a quoted string, a quote inside doubled, so no character of `q`
 * is an operator. A trigram holding a NUL is left out: FTS5 reads a query as
 * a C string, and would end the quoted string there ("unterminated string");
 * instr() checks that part of `q` anyway.
 */
export function trigramQuery(q: string): string | undefined {
  const grams = [...q]
    .map((_, at, chars) => chars.slice(at, at + TRIGRAM).join(''))
    .filter((t) => [...t].length === TRIGRAM && !t.includes('\u0000'));
  if (grams.length === 0) return undefined;
  const picked = new Set<string>();
  const step = Math.max(1, (grams.length - 1) / (MAX_TRIGRAMS - 1));
  for (let i = 0; i < grams.length && picked.size < MAX_TRIGRAMS; i += step) {
    picked.add(grams[Math.min(grams.length - 1, Math.round(i))] as string);
  }
  picked.add(grams[grams.length - 1] as string);
  return [...picked].map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');
}

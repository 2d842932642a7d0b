/**
 * The statement behind a search of the event log (EventLog.list): one WHERE
 * clause per filter given, newest first by (received_at, id), continued after a
 * keyset cursor. Every filter has an index to start from: the time, source,
 * type, state and key indexes of `events`, the target index of
 * `event_deliveries`, and the trigram index of the payload for a `q` of three
 * characters or more.
 *
 * The trigram index keeps no positions (schema.ts), so it answers "has all of
 * these trigrams", not "has this string": it narrows the candidates, and
 * instr() on each candidate's payload decides, which also makes `q` an exact,
 * case-sensitive substring whatever its characters. A `q` shorter than three
 * characters has no trigram: instr() alone, on the rows the other filters
 * leave (correct, not indexed).
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

/** A trigram is three characters (code points, not UTF-16 units). */
const TRIGRAM = 3;
/** The most trigrams of `q` looked up: enough to narrow, bounded for a long `q`. */
const MAX_TRIGRAMS = 16;

/**
 * The SQL and its arguments for up to `limit` events of `filter` after `after`.
 * The text depends only on which filters are given, so a cache of prepared
 * statements by text stays small.
 */
export function searchStatement(
  filter: EventFilter,
  after: Position | undefined,
  limit: number,
): { sql: string; args: (string | number)[] } {
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
  const q = filter.q;
  if (q !== undefined && q !== '') {
    const match = trigramQuery(q);
    if (match) add('n IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)', match);
    add('instr(payload, ?) > 0', q);
  }
  if (after) add('(received_at, id) < (?, ?)', after.receivedAt, after.id);
  const sql = `SELECT n, id, source, type, state, received_at, idempotency_key, duplicate_of
    FROM events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY received_at DESC, id DESC LIMIT ?`;
  return { sql, args: [...args, limit] };
}

/**
 * An FTS5 query for the events whose payload has every trigram of `q` (up to
 * MAX_TRIGRAMS of them, spread over `q`); undefined when `q` has none. Each
 * trigram is a quoted string, a quote inside doubled, so no character of `q`
 * is an operator.
 */
export function trigramQuery(q: string): string | undefined {
  const chars = [...q];
  const count = chars.length - TRIGRAM + 1;
  if (count < 1) return undefined;
  const picked = new Set<string>();
  const step = Math.max(1, (count - 1) / (MAX_TRIGRAMS - 1));
  for (let i = 0; i < count && picked.size < MAX_TRIGRAMS; i += step) {
    const at = Math.min(count - 1, Math.round(i));
    picked.add(chars.slice(at, at + TRIGRAM).join(''));
  }
  picked.add(chars.slice(count - 1).join(''));
  return [...picked].map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');
}

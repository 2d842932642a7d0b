/**
 * The statement behind a search of the event log (EventLog.list): one WHERE
 * clause per filter given, newest first by (received_at, id), continued after a
 * keyset cursor. Every filter has an index to start from: the time, source,
 * type, state and key indexes of `events`, the target index of
 * `event_deliveries`, and the trigram index of the payload for a `q` of three
 * characters or more. A shorter `q` has too few characters for a trigram and
 * is checked with instr() on the rows the other filters leave: correct, not
 * indexed. instr() also re-checks what the index found, so `q` is an exact,
 * case-sensitive substring whatever the tokenizer made of it.
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

/** A trigram needs three characters (code points, not UTF-16 units). */
const TRIGRAM = 3;

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
    if ([...q].length >= TRIGRAM) {
      add('n IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)', phrase(q));
    }
    add('instr(payload, ?) > 0', q);
  }
  if (after) add('(received_at, id) < (?, ?)', after.receivedAt, after.id);
  const sql = `SELECT n, id, source, type, state, received_at, idempotency_key, duplicate_of
    FROM events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY received_at DESC, id DESC LIMIT ?`;
  return { sql, args: [...args, limit] };
}

/** `q` as one FTS5 phrase: in double quotes, a quote inside doubled; no operator applies. */
export function phrase(q: string): string {
  return `"${q.replaceAll('"', '""')}"`;
}

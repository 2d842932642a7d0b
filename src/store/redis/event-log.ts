/**
 * The event log of the Redis store (see ../event-log.ts for what it is).
 *
 * Layout: a few fixed keys under the queue's hash tag (see EventLogKeys), so
 * that every script that records an outcome declares them in KEYS:
 * - `{Q}:events`, the index: a sorted set of score 0 whose members are the
 *   received time (15 digits) followed by the id. Lexical order is then
 *   (receivedAt, id) order: a keyset cursor is a member, since/until are
 *   member bounds, the oldest are the first members (trimming), and a
 *   ZREVRANGEBYLEX reads newest first from any point. (A score of receivedAt
 *   could not break ties by id.)
 * - `{Q}:events:summary`: id -> "<state line>\n<meta JSON>". An outcome
 *   rewrites the short state line; a page filters on it without decoding.
 * - `{Q}:events:body`: id -> "<headers JSON>\n<payload>", when payloads are kept.
 * - `{Q}:events:attempts`: "<target>:<id>" -> the delivery's attempts.
 * - `{Q}:events:keys`: the idempotency-key index, members "<len>:<key>"
 *   followed by the index member: one key's events are one lexical range, in
 *   received order, so a key filter is a direct lookup with the same cursors.
 *
 * Writes happen in the queue's scripts (enqueue-n.lua records, the outcome
 * scripts update, see includes/event-log.lua), in the same step as the state
 * change. A script call writes its events, and removes the ones it trims,
 * with one command per key for all of them, and touches as few bytes in Lua
 * as it can: Redis's Lua hashes every string a script receives or makes, so
 * string work there costs more than the commands. Filters with no index (source, type, state, destination, payload
 * search) scan a bounded window per call in event-page-3.lua, newest first
 * (at most SCAN_WINDOW events, and SCAN_BODY_BYTES of bodies for a payload
 * search), and a page says where it stopped.
 */
import type { Redis } from 'ioredis';
import {
  EVENT_RETENTION_DEFAULT_MS,
  EVENT_STATES,
  type EventLog,
  type EventLogOptions,
  type EventPage,
  type EventQuery,
  type EventRecord,
  type EventSummary,
  loggedKey,
} from '../event-log.js';
import { keyPrefix, paddedTime, TIME_DIGITS } from './event-records.js';
import { parseRecord, parseSummary } from './event-summaries.js';
import type { EventLogKeys } from './keys.js';
import type { QueueScripts } from './scripts.js';

/** Events a filtered page examines at most (one script call of about a millisecond). */
const SCAN_WINDOW = 1_000;
/**
 * Bytes of bodies a payload search reads at most per call: a body may be
 * 1 MiB, so the window in events alone would let one call read a gigabyte.
 */
const SCAN_BODY_BYTES = 4 * 1024 * 1024;
/** The most events one page returns. */
const MAX_PAGE = 1_000;
/** Events dropped per trim script call. */
const TRIM_BATCH = 500;
/** A cursor: an index member's time, a dot, the id in base64url. */
const CURSOR = /^(\d{15})\.([A-Za-z0-9_-]{1,1400})$/;
/** A target name as the state line holds it. */
const TARGET = /^[^\s=:]{1,200}$/;

/** EVENT_LOG_MAX's default here: the log is held in Redis's memory. */
export const REDIS_EVENT_LOG_MAX_DEFAULT = 20_000;

export const REDIS_EVENT_LOG_DEFAULTS: EventLogOptions = {
  maxEvents: REDIS_EVENT_LOG_MAX_DEFAULT,
  retentionMs: EVENT_RETENTION_DEFAULT_MS,
  payloads: true,
};

const EMPTY: EventPage = { events: [], next: undefined };

export class RedisEventLog implements EventLog {
  readonly enabled: boolean;

  constructor(
    private readonly cmd: Redis,
    private readonly scripts: QueueScripts,
    private readonly keys: EventLogKeys,
    readonly options: EventLogOptions,
  ) {
    this.enabled = options.maxEvents > 0;
  }

  isCursor(text: string): boolean {
    return decodeCursor(text) !== undefined;
  }

  async list(query: EventQuery): Promise<EventPage> {
    const { filter } = query;
    if (!this.enabled) return EMPTY;
    if (filter.q !== undefined && filter.q !== '' && !this.options.payloads) return EMPTY;
    if (filter.destination !== undefined && !TARGET.test(filter.destination)) return EMPTY;
    if (filter.state !== undefined && !EVENT_STATES.includes(filter.state)) return EMPTY;
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && cursor === undefined) return EMPTY;
    // The key as it was recorded; a key too long to be recorded matches nothing.
    const key = filter.key === undefined ? undefined : loggedKey(filter.key);
    if (filter.key !== undefined && key === undefined) return EMPTY;
    const range = memberRange(key, cursor, filter.since, filter.until);
    if (!range) return EMPTY;
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(query.limit) || 1));
    const scans = Boolean(
      filter.source || filter.type || filter.state || filter.destination || filter.q,
    );
    const [next, scanned, flat] = await this.scripts.eventPage(
      {
        index: key === undefined ? this.keys.index : this.keys.byKey,
        summary: this.keys.summary,
        body: this.keys.body,
      },
      range,
      scans ? Math.max(SCAN_WINDOW, limit) : limit,
      limit,
      {
        source: filter.source ?? '',
        type: filter.type ?? '',
        state: filter.state ?? '',
        target: filter.destination ?? '',
        q: filter.q ?? '',
      },
      SCAN_BODY_BYTES,
    );
    const events: EventSummary[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const summary = parseSummary(flat[i] as string, flat[i + 1] as string);
      if (summary) events.push(summary);
    }
    return {
      events,
      next: next === '' ? undefined : encodeCursor(next),
      ...(scans ? { scanned: Number(scanned) } : {}),
    };
  }

  async get(id: string): Promise<EventRecord | undefined> {
    if (!this.enabled || id === '') return undefined;
    const reply = await this.scripts.eventGet(this.keys, id);
    return reply.length === 0 ? undefined : parseRecord(id, reply);
  }

  /** With the log off (maxEvents 0), every event an earlier run left is past the bound. */
  async trim(): Promise<number> {
    const { maxEvents, retentionMs } = this.options;
    let dropped = 0;
    for (;;) {
      const n = await this.scripts.eventTrim(this.keys, maxEvents, retentionMs, TRIM_BATCH);
      dropped += n;
      if (n < TRIM_BATCH) return dropped;
    }
  }

  size(): Promise<number> {
    return this.cmd.zcard(this.keys.index);
  }
}

/** A cursor for the index member `member`. */
function encodeCursor(member: string): string {
  const time = member.slice(0, TIME_DIGITS);
  return `${time}.${Buffer.from(member.slice(TIME_DIGITS)).toString('base64url')}`;
}

/** The index member a cursor names; undefined when it is not one of ours. */
function decodeCursor(text: string): string | undefined {
  const m = CURSOR.exec(text);
  if (!m) return undefined;
  const id = Buffer.from(m[2] as string, 'base64url').toString();
  return id === '' ? undefined : (m[1] as string) + id;
}

/**
 * The ZREVRANGEBYLEX bounds of a page: before the cursor and `until`
 * (whichever is earlier), from `since`; within one key's range of the key
 * index when `key` is given. Undefined when the range is empty.
 */
function memberRange(
  key: string | undefined,
  cursor: string | undefined,
  since: number | undefined,
  until: number | undefined,
): { max: string; min: string; prefixBytes: number } | undefined {
  const prefix = key === undefined ? '' : keyPrefix(key);
  if (until !== undefined && until <= 0) return undefined;
  if (since !== undefined && Math.floor(since) > 10 ** TIME_DIGITS - 1) return undefined;
  // Exclusive upper bounds, as members without the key prefix.
  const uppers: string[] = [];
  if (cursor !== undefined) uppers.push(cursor);
  if (until !== undefined && until < 10 ** TIME_DIGITS) uppers.push(paddedTime(Math.ceil(until)));
  uppers.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const upper = uppers[0];
  const max = upper !== undefined ? `(${prefix}${upper}` : key === undefined ? '+' : `(${prefix}:`;
  const min =
    since !== undefined
      ? `[${prefix}${paddedTime(Math.ceil(since))}`
      : key === undefined
        ? '-'
        : `[${prefix}`;
  return { max, min, prefixBytes: Buffer.byteLength(prefix) };
}

/**
 * The dead-letter queue of the Redis store, for operators: a stream whose entry
 * ids are dead-lettering times on the Redis clock, so that id order is age
 * order and a time range is an id range.
 *
 * Listing runs dlq-page-1.lua, which filters on the entries' type and source
 * fields without sending payloads back; replay is dlq-replay-3.lua, one atomic
 * move per entry (its delivery queued again in the event log); the caps are
 * dlq-trim-1.lua.
 */
import type { Redis } from 'ioredis';
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
import type { QueueKeys } from './keys.js';
import type { QueueScripts } from './scripts.js';

/** Entries examined per script call, and per page at most (a page may then end short). */
const SCAN_STEP = 500;
const SCAN_BUDGET = 10_000;
/** Entries per replay script call: bounds how long one call holds Redis. */
const REPLAY_CHUNK = 200;
const MAX_SEQ = '18446744073709551615';
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

type StreamEntry = [id: string, fields: string[] | null];

export class RedisDeadLetters implements DeadLetters {
  constructor(
    private readonly cmd: Redis,
    private readonly scripts: QueueScripts,
    private readonly keys: QueueKeys,
    /** The event log is on: a replayed delivery goes back to queued in its record. */
    private readonly recordEvents: boolean,
  ) {}

  isId(text: string): boolean {
    return parseId(text) !== undefined;
  }

  async list(query: DeadLetterQuery): Promise<DeadLetterPage> {
    const range = idRange(query);
    if (!range) return { entries: [], next: undefined };
    const entries: DeadLetterSummary[] = [];
    let start = range.start;
    for (let scanned = 0; ; scanned += SCAN_STEP) {
      const [cursor, flat] = await this.scripts.dlqPage(
        this.keys.dlq,
        start,
        range.end,
        SCAN_STEP,
        query.limit - entries.length,
        query.filter.type ?? '',
        query.filter.source ?? '',
        query.filter.destination ?? '',
      );
      entries.push(...summaries(flat));
      if (cursor === '') return { entries, next: undefined };
      if (entries.length >= query.limit || scanned + SCAN_STEP >= SCAN_BUDGET) {
        return { entries, next: cursor };
      }
      start = `(${cursor}`;
    }
  }

  async get(dlqId: string): Promise<DeadLetterEntry | undefined> {
    if (!this.isId(dlqId)) return undefined;
    const [entry] = (await this.cmd.xrange(this.keys.dlq, dlqId, dlqId)) as StreamEntry[];
    return entry?.[1] ? parseDeadLetter(entry[0], entry[1]) : undefined;
  }

  async newestId(): Promise<string | undefined> {
    const [entry] = (await this.cmd.xrevrange(this.keys.dlq, '+', '-', 'COUNT', 1)) as [
      string,
      unknown,
    ][];
    return entry?.[0];
  }

  async replay(dlqIds: readonly string[]): Promise<number> {
    const ids = dlqIds.filter((id) => this.isId(id));
    let moved = 0;
    for (let i = 0; i < ids.length; i += REPLAY_CHUNK) {
      moved += await this.scripts.dlqReplay(
        this.keys.stream,
        this.keys.dlq,
        this.keys.lanePrefix,
        { summary: this.keys.events.summary, on: this.recordEvents },
        ids.slice(i, i + REPLAY_CHUNK),
      );
    }
    return moved;
  }

  async remove(dlqIds: readonly string[]): Promise<number> {
    const ids = dlqIds.filter((id) => this.isId(id));
    return ids.length === 0 ? 0 : this.cmd.xdel(this.keys.dlq, ...ids);
  }

  async trim(caps: DeadLetterCaps): Promise<DeadLetterTrim> {
    if (caps.maxAgeMs <= 0 && caps.maxLength <= 0) return { byAge: 0, byLength: 0 };
    const [byAge, byLength] = await this.scripts.dlqTrim(
      this.keys.dlq,
      caps.maxAgeMs,
      caps.maxLength,
    );
    return { byAge, byLength };
  }
}

function parseId(text: string): [bigint, bigint] | undefined {
  const m = STREAM_ID.exec(text);
  if (!m) return undefined;
  const ms = BigInt(m[1] as string);
  const seq = BigInt(m[2] as string);
  return ms <= BigInt(MAX_SEQ) && seq <= BigInt(MAX_SEQ) ? [ms, seq] : undefined;
}

function compareIds(a: string, b: string): number {
  const [am, as] = parseId(a) ?? [0n, 0n];
  const [bm, bs] = parseId(b) ?? [0n, 0n];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

/**
 * The XRANGE bounds of a query: after the cursor and from `failedFrom`
 * (whichever is later), up to the bound and before `failedTo` (whichever is
 * earlier). Undefined when the range is empty.
 */
function idRange(query: DeadLetterQuery): { start: string; end: string } | undefined {
  const { filter, after, upTo } = query;
  let start = after === undefined ? '-' : `(${after}`;
  if (filter.failedFrom !== undefined) {
    const from = `${Math.max(0, Math.floor(filter.failedFrom))}-0`;
    if (after === undefined || compareIds(from, after) > 0) start = from;
  }
  let end = upTo ?? '+';
  if (filter.failedTo !== undefined) {
    const last = Math.floor(filter.failedTo) - 1;
    if (last < 0) return undefined;
    const to = `${last}-${MAX_SEQ}`;
    if (upTo === undefined || compareIds(to, upTo) < 0) end = to;
  }
  if (start !== '-' && end !== '+') {
    const startId = start.startsWith('(') ? start.slice(1) : start;
    const order = compareIds(startId, end);
    if (order > 0 || (order === 0 && start.startsWith('('))) return undefined;
  }
  return { start, end };
}

function summaries(flat: string[]): DeadLetterSummary[] {
  const out: DeadLetterSummary[] = [];
  for (let i = 0; i + 8 < flat.length; i += 9) {
    const f = flat.slice(i, i + 9) as string[];
    out.push({
      dlqId: f[0] as string,
      jobId: f[1] as string,
      type: f[2] as string,
      source: f[3] as string,
      receivedAt: Number(f[4]) || 0,
      attempts: Number(f[5]) || 0,
      lastError: f[6] as string,
      failedAt: Number(f[7]) || 0,
      ...(f[8] ? { destination: f[8] } : {}),
    });
  }
  return out;
}

/** A stream entry's flat field list as a map. */
export function fieldMap(fields: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    m.set(fields[i] as string, fields[i + 1] as string);
  return m;
}

/** A DLQ stream entry; undefined when its job is not a readable envelope. */
export function parseDeadLetter(dlqId: string, fields: string[]): DeadLetterEntry | undefined {
  const f = fieldMap(fields);
  let job: JobRecord;
  try {
    job = JSON.parse(f.get('job') ?? '') as JobRecord;
  } catch {
    return undefined;
  }
  return {
    dlqId,
    job,
    attempts: Number(f.get('attempts')) || 0,
    lastError: f.get('err') ?? '',
    failedAt: Number(f.get('failed_at')) || 0,
  };
}

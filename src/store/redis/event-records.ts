/**
 * What the Redis store writes into the event log, built on the Node side so
 * that the scripts store strings as they get them: an event's index member,
 * summary (state line and meta JSON), body and key index member for the
 * enqueue script, and each attempt as a small JSON object for the outcome
 * scripts. Decoding a payload in Lua, on the ingest path, would cost Redis
 * time in proportion to the payload, and even joining strings there costs a
 * pass over their bytes (Redis's Lua hashes every string it makes).
 */
import { type AttemptReport, type EventAttempt, HANDLERS_TARGET, loggedKey } from '../event-log.js';
import type { EnqueueTargets, JobRecord } from '../store.js';
import type { EnqueueRecord } from './scripts.js';

/** Digits of the received time at the head of an index member. */
export const TIME_DIGITS = 15;
const MAX_TIME = 10 ** TIME_DIGITS - 1;
/** An attempt's error is cut to this many bytes (UTF-8). */
export const MAX_ERROR_BYTES = 2048;

/** A received time as the index holds it: whole ms, within what 15 digits can say. */
export function indexTime(ms: number): number {
  return Number.isFinite(ms) ? Math.min(MAX_TIME, Math.max(0, Math.floor(ms))) : 0;
}

/** The received time, zero-padded to TIME_DIGITS: the head of an index member and of a bound. */
export function paddedTime(ms: number): string {
  return String(indexTime(ms)).padStart(TIME_DIGITS, '0');
}

/** An event's member of the index: lexical order is (receivedAt, id) order. */
export function indexMember(receivedAt: number, id: string): string {
  return paddedTime(receivedAt) + id;
}

/** The head of a key's members in the idempotency-key index (Lua counts bytes). */
export function keyPrefix(key: string): string {
  return `${Buffer.byteLength(key)}:${key}`;
}

/** The targets of an enqueue, in the order the record lists its deliveries. */
export function targetNames(targets: EnqueueTargets): string[] {
  return [...(targets.handlers ? [HANDLERS_TARGET] : []), ...targets.destinations];
}

/** The state line of a new event: every delivery queued. */
export function queuedLine(targets: readonly string[]): string {
  return ['queued', ...targets.map((t) => `${t}=queued`)].join(' ');
}

/** A lone surrogate: JSON.stringify writes one as an escape that cjson cannot decode. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;

/**
 * `text` with each lone surrogate replaced by U+FFFD, as the client encodes it
 * when it sends the text itself (so a filter given the text still matches).
 */
export function wellFormed(text: string): string {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/**
 * The record enqueue-n.lua writes for `job` (used only when the log is on).
 * The scripts decode its meta (a trim, for the key to unindex; a search by
 * source or type), so nothing in it may hold a lone surrogate; the key is
 * recorded as loggedKey gives it.
 */
export function enqueueRecord(
  job: JobRecord,
  targets: EnqueueTargets,
  payloads: boolean,
): EnqueueRecord {
  const receivedAt = indexTime(job.receivedAt);
  const key = loggedKey(job.idempotencyKey);
  const meta = {
    source: wellFormed(job.source),
    type: wellFormed(job.type),
    receivedAt,
    payloadKept: payloads,
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    ...(job.contentType !== undefined ? { contentType: wellFormed(job.contentType) } : {}),
  };
  const headers = job.headers ? JSON.stringify(job.headers) : '';
  const member = indexMember(receivedAt, job.id);
  return {
    mode: targets.replay ? 'replay' : 'new',
    member,
    summary: `${queuedLine(targetNames(targets))}\n${JSON.stringify(meta)}`,
    body: payloads ? `${headers}\n${job.payload}` : '',
    keyMember: key === undefined ? '' : keyPrefix(key) + member,
  };
}

/**
 * The record's fields of an enqueue when the log is off: the script reads only
 * the mode (a replay is not counted as accepted).
 */
export function noRecord(targets: Pick<EnqueueTargets, 'replay'>): EnqueueRecord {
  return {
    mode: targets.replay ? 'replay' : 'new',
    member: '',
    summary: '',
    body: '',
    keyMember: '',
  };
}

/** `text` cut to MAX_ERROR_BYTES of UTF-8, never inside a character. */
export function truncateError(text: string): string {
  if (Buffer.byteLength(text) <= MAX_ERROR_BYTES) return text;
  const bytes = Buffer.from(text).subarray(0, MAX_ERROR_BYTES);
  let end = bytes.length;
  // Back off a partial sequence at the cut: continuation bytes, then its lead byte.
  let i = end - 1;
  while (i >= 0 && ((bytes[i] as number) & 0xc0) === 0x80) i--;
  if (i >= 0) {
    const lead = bytes[i] as number;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (end - i < need) end = i;
  }
  return bytes.subarray(0, end).toString('utf8');
}

/** An attempt as the outcome scripts record it (JSON), at `report.startedAt` or now. */
export function attemptJson(
  outcome: 'delivered' | 'failed',
  report: AttemptReport | undefined,
  error?: string,
): string {
  const attempt: EventAttempt = {
    at: report?.startedAt ?? Date.now(),
    outcome,
    ...(report ? { durationMs: report.durationMs } : {}),
    ...(report?.status !== undefined ? { status: report.status } : {}),
    ...(error !== undefined ? { error: truncateError(error) } : {}),
  };
  return JSON.stringify(attempt);
}

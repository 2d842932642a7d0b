/**
 * Reading the event log's records back (see scripts/includes/event-log.lua for
 * how they are written): a summary is "<state line>\n<meta JSON>", a body
 * "<headers JSON>\n<payload>", a delivery's attempts one JSON object a line.
 * A record that does not parse is skipped rather than failing a whole page.
 */
import {
  type DeliveryState,
  type EventAttempt,
  type EventDelivery,
  type EventDeliveryState,
  type EventRecord,
  type EventState,
  type EventSummary,
  MAX_RECORDED_ATTEMPTS,
} from '../event-log.js';
import { TIME_DIGITS } from './event-records.js';

const DELIVERY_STATES: ReadonlySet<string> = new Set([
  'queued',
  'delivering',
  'delivered',
  'retrying',
  'dead',
]);

interface Meta {
  source: string;
  type: string;
  receivedAt?: number;
  idempotencyKey?: string;
  contentType?: string;
  duplicateOf?: string;
  /** Written since the summary says so; absent in older records (read as not kept). */
  payloadKept?: boolean;
}

interface ParsedSummary {
  summary: EventSummary;
  contentType: string | undefined;
}

/** An event's summary from its index member (receivedAt + id) and its summary value. */
export function parseSummary(member: string, value: string): EventSummary | undefined {
  return parse(member.slice(TIME_DIGITS), Number(member.slice(0, TIME_DIGITS)), value)?.summary;
}

function parse(id: string, receivedAt: number, value: string): ParsedSummary | undefined {
  const nl = value.indexOf('\n');
  if (nl < 0) return undefined;
  let meta: Meta;
  try {
    meta = JSON.parse(value.slice(nl + 1)) as Meta;
  } catch {
    return undefined;
  }
  if (meta === null || typeof meta !== 'object') return undefined;
  const [state, ...tokens] = value.slice(0, nl).split(' ');
  const deliveries: EventDeliveryState[] = [];
  for (const token of tokens) {
    const eq = token.indexOf('=');
    const s = token.slice(eq + 1);
    if (eq > 0 && DELIVERY_STATES.has(s)) {
      deliveries.push({ target: token.slice(0, eq), state: s as DeliveryState });
    }
  }
  return {
    summary: {
      id,
      source: String(meta.source),
      type: String(meta.type),
      state: (state || 'queued') as EventState,
      receivedAt: typeof meta.receivedAt === 'number' ? meta.receivedAt : receivedAt,
      ...(typeof meta.idempotencyKey === 'string' ? { idempotencyKey: meta.idempotencyKey } : {}),
      ...(typeof meta.duplicateOf === 'string' ? { duplicateOf: meta.duplicateOf } : {}),
      payloadKept: meta.payloadKept === true,
      deliveries,
    },
    contentType: typeof meta.contentType === 'string' ? meta.contentType : undefined,
  };
}

/** An event's record from event-get-3.lua's reply (non-empty). */
export function parseRecord(id: string, reply: readonly string[]): EventRecord | undefined {
  const [value, body] = reply;
  const parsed = parse(id, 0, value ?? '');
  if (!parsed) return undefined;
  const attempts = new Map<string, EventAttempt[]>();
  for (let i = 2; i + 1 < reply.length; i += 2) {
    attempts.set(reply[i] as string, parseAttempts(reply[i + 1] as string));
  }
  const deliveries: EventDelivery[] = parsed.summary.deliveries.map((d) => ({
    ...d,
    attempts: attempts.get(d.target) ?? [],
  }));
  const record: EventRecord = {
    ...parsed.summary,
    // The record itself shows it, also in records older than the summary's flag.
    payloadKept: Boolean(body),
    deliveries,
    ...(parsed.contentType !== undefined ? { contentType: parsed.contentType } : {}),
  };
  const nl = body ? body.indexOf('\n') : -1;
  if (body && nl >= 0) {
    record.payload = body.slice(nl + 1);
    const headers = parseHeaders(body.slice(0, nl));
    if (headers) record.headers = headers;
  }
  return record;
}

function parseAttempts(text: string): EventAttempt[] {
  const out: EventAttempt[] = [];
  for (const line of text === '' ? [] : text.split('\n')) {
    try {
      out.push(JSON.parse(line) as EventAttempt);
    } catch {
      // A line cut by nothing we wrote; skip it rather than lose the others.
    }
  }
  return out.slice(-MAX_RECORDED_ATTEMPTS);
}

function parseHeaders(text: string): Record<string, string> | undefined {
  if (text === '') return undefined;
  try {
    const h = JSON.parse(text) as unknown;
    return h !== null && typeof h === 'object' && !Array.isArray(h)
      ? (h as Record<string, string>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The event log and the throughput history: what the store remembers of every
 * accepted event after its jobs are gone, for operators to search, inspect and
 * replay, and per-minute counts for the dashboard's charts.
 *
 * Both are written by the store in the same atomic step as the state change they
 * record (the enqueue script or transaction, the outcome scripts or
 * transactions), so recording costs no round trip of its own and never says
 * something that did not happen.
 *
 * An event's record holds one delivery per target: `handlers` (the in-process
 * handlers' copy) or a destination's name. A delivery moves
 *   queued → delivering → delivered
 *                       ↘ retrying → delivering …
 *                       ↘ dead
 * and a replay (of the event, or of its dead letter) puts it back to queued.
 * The event's own state is derived from its deliveries (see eventState). A
 * duplicate suppressed at ingest is recorded too, as an event of its own in
 * state `duplicate`, pointing at the original.
 *
 * Retention: the oldest events go first once there are more than `maxEvents`,
 * or once they are older than `retentionMs`. Dead letters live in the DLQ,
 * under its own caps: the log's retention never removes one.
 */

/** The state of one delivery (one target) of an event. */
export type DeliveryState = 'queued' | 'delivering' | 'delivered' | 'retrying' | 'dead';

/** The state of an event: its deliveries' states folded (see eventState), or `duplicate`. */
export type EventState = DeliveryState | 'duplicate';

export const EVENT_STATES: readonly EventState[] = [
  'queued',
  'delivering',
  'delivered',
  'retrying',
  'dead',
  'duplicate',
];

/** The target name of the in-process handlers' copy (no destination may take it). */
export const HANDLERS_TARGET = 'handlers';

/**
 * An event's state from its deliveries': the one that most needs an operator
 * wins: dead, then retrying, then delivering, then queued; delivered when all
 * are. An event with no delivery recorded is queued.
 */
export function eventState(deliveries: readonly DeliveryState[]): DeliveryState {
  if (deliveries.length === 0) return 'queued';
  for (const s of ['dead', 'retrying', 'delivering', 'queued'] as const) {
    if (deliveries.includes(s)) return s;
  }
  return 'delivered';
}

/** What a worker knows of an attempt besides its outcome, handed to the store with it. */
export interface AttemptReport {
  /** When the attempt started, ms since the epoch. */
  startedAt: number;
  durationMs: number;
  /** The HTTP status a destination answered with, when it answered. */
  status?: number;
}

/** One attempt of one delivery, as recorded. */
export interface EventAttempt {
  /** When it started (or, for a lost run, when it was found lost), ms since the epoch. */
  at: number;
  /**
   * `delivered`; `failed` (retried or dead-lettered after it); `lost` (its
   * worker stopped or stalled, found by the reclaim, or a hand-back that counted).
   */
  outcome: 'delivered' | 'failed' | 'lost';
  durationMs?: number;
  status?: number;
  /** The error, or for an HTTP answer its status line and the first 1 KiB of its body. */
  error?: string;
}

/** The longest idempotency key the log records (and a search may give). */
export const MAX_LOGGED_KEY = 1_024;

/**
 * The idempotency key as the log records and looks it up: as given, with any
 * lone surrogate (a payload's `id` may hold one) replaced by U+FFFD so that
 * every store can encode it; undefined for a key longer than MAX_LOGGED_KEY,
 * which is not recorded (the event is, without its key).
 */
export function loggedKey(key: string | undefined): string | undefined {
  if (key === undefined || key.length > MAX_LOGGED_KEY) return undefined;
  // With the u flag, a paired surrogate is one code point: only lone ones match.
  return key.replace(/[\uD800-\uDFFF]/gu, '\uFFFD');
}

/** At most this many attempts are kept per delivery: the latest. */
export const MAX_RECORDED_ATTEMPTS = 25;

export interface EventDeliveryState {
  /** `handlers`, or a destination's name. */
  target: string;
  state: DeliveryState;
}

export interface EventDelivery extends EventDeliveryState {
  /** Oldest first; the latest MAX_RECORDED_ATTEMPTS. */
  attempts: EventAttempt[];
}

/** An event as listed: everything but payload, headers and attempts. */
export interface EventSummary {
  /** The job id (every delivery of the event shares it). */
  id: string;
  source: string;
  type: string;
  state: EventState;
  /** When it was accepted, ms since the epoch. */
  receivedAt: number;
  idempotencyKey?: string;
  /** For a suppressed duplicate: the id of the event it duplicates. */
  duplicateOf?: string;
  /** Whether the log kept the payload (EVENT_LOG_PAYLOADS), and so whether it can be replayed. */
  payloadKept: boolean;
  /** In the order they were created (the handlers first when they have a copy). */
  deliveries: EventDeliveryState[];
}

/** An event with everything the log kept. */
export interface EventRecord extends EventSummary {
  /** The body exactly as received; absent when payloads are not kept (EVENT_LOG_PAYLOADS). */
  payload?: string;
  /** The headers recorded at ingest, credentials already redacted. */
  headers?: Record<string, string>;
  contentType?: string;
  deliveries: EventDelivery[];
}

/** Which events a search concerns; each field given narrows it. */
export interface EventFilter {
  source?: string;
  type?: string;
  state?: EventState;
  /** Events with a delivery to this target. */
  destination?: string;
  /** Received at or after, ms since the epoch. */
  since?: number;
  /** Received before, ms since the epoch. */
  until?: number;
  /** The idempotency key, exactly (a direct lookup). */
  key?: string;
  /** A substring of the payload, case-sensitive. */
  q?: string;
}

export interface EventQuery {
  filter: EventFilter;
  /** A page's `next`: continue after it. From the newest when absent. */
  cursor?: string;
  /** The most events to return. */
  limit: number;
}

export interface EventPage {
  /** Newest first. */
  events: EventSummary[];
  /**
   * Where the next page starts, undefined at the end. A store that scans (Redis,
   * for a filter it has no index for) stops after a bounded window: a page may
   * then hold fewer than `limit` events, even none, and still have a `next`.
   */
  next: string | undefined;
  /** How many events the store read to answer, when it scanned. */
  scanned?: number;
}

export interface EventLog {
  /**
   * False when the log is turned off (EVENT_LOG_MAX=0): nothing is recorded,
   * and trim() drops, in bounded batches, what an earlier run left.
   */
  readonly enabled: boolean;
  /** True when `text` has the shape of one of this store's cursors. */
  isCursor(text: string): boolean;
  list(query: EventQuery): Promise<EventPage>;
  /** Direct, by job id. */
  get(id: string): Promise<EventRecord | undefined>;
  /** Drops events past the retention (the stores also trim as they record); returns how many. */
  trim(): Promise<number>;
  /** Events in the log now. */
  size(): Promise<number>;
}

export interface EventLogOptions {
  /** EVENT_LOG_MAX: the most events kept; 0 turns the log off. */
  maxEvents: number;
  /** EVENT_RETENTION: events older than this are dropped. */
  retentionMs: number;
  /** EVENT_LOG_PAYLOADS: keep each event's body and headers. */
  payloads: boolean;
}

export const EVENT_RETENTION_DEFAULT_MS = 72 * 3_600_000;

/** Per-minute counts are kept this long. */
export const HISTORY_RETENTION_MS = 24 * 3_600_000;

/** One minute's counts, summed over every instance. */
export interface MinuteCounts {
  /** The minute's start, ms since the epoch (a multiple of 60 000). */
  minute: number;
  accepted: number;
  duplicates: number;
  /** Requests refused at the edge, by status class (`4xx`, `5xx`). */
  rejected: Record<string, number>;
  /** Successful attempts, by target (`handlers` or a destination). */
  delivered: Record<string, number>;
  /** Failed attempts (retried or dead-lettered after), by target. */
  failed: Record<string, number>;
  /** Entries added to the DLQ, by any path. */
  deadLettered: number;
}

/** The per-minute counters, kept for HISTORY_RETENTION_MS. */
export interface ThroughputHistory {
  /** The minutes in [fromMs, toMs) that have any count, oldest first. */
  read(fromMs: number, toMs: number): Promise<MinuteCounts[]>;
  /** Adds requests refused at the edge, by status class, to the minute of `at`. */
  addRejected(byClass: Readonly<Record<string, number>>, at: number): Promise<void>;
}

/** The start of the minute that holds `ms`. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000;
}

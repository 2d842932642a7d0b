/**
 * The queue store: everything the service needs from durable storage, behind one
 * interface so that the Redis Streams backend and the embedded backend are
 * interchangeable and held to one conformance suite.
 *
 * Life of a job: enqueue → (waiting) → claim → (in progress) → one of
 *   complete      done, gone;
 *   retryLater    waiting for retry, then promoteDue puts it back to waiting;
 *   deadLetter    in the DLQ for an operator;
 *   release       back to waiting (graceful shutdown): unchanged when it never
 *                 started; a started job's first hand-back is free, each later one
 *                 counts as an attempt (to the DLQ when none are left);
 *   reclaimStale  (by another consumer, after the holder died) back to waiting with
 *                 the lost run counted as an attempt, or to the DLQ if none are left.
 * Every arrow is one atomic step in the store.
 */
import type { DestinationStates } from './destinations.js';
import type { AttemptReport, EventLog, ThroughputHistory } from './event-log.js';

/** The immutable envelope of an accepted webhook. */
export interface JobRecord {
  id: string;
  /** Event type, validated at ingest. */
  type: string;
  /** Where it came from: `default` for POST /webhooks, else the source name. */
  source: string;
  /** The request body exactly as received (JSON text). */
  payload: string;
  /** When it was accepted, ms since the epoch. */
  receivedAt: number;
  /** The deduplication key, when the event had one. */
  idempotencyKey?: string;
  /**
   * A bounded subset of the request's headers, with credentials and signatures
   * redacted before they were stored (see ingest/headers.ts). Absent on jobs
   * accepted before headers were recorded.
   */
  headers?: Record<string, string>;
  /** The request's Content-Type as received, forwarded with the body. */
  contentType?: string;
  /**
   * Set on a destination's copy of the event (one delivery): its name. Absent on
   * the copy that the in-process handlers run.
   */
  destination?: string;
}

/**
 * Where one accepted event goes: the in-process handlers' queue and/or the
 * queues of the destinations its routes name. Created in the same atomic step
 * as the dedupe key, so an event never has some of its deliveries and not the
 * others.
 */
export interface EnqueueTargets {
  /** Put a copy on the handlers' queue. */
  handlers: boolean;
  /** One delivery per destination named, in this order. */
  destinations: readonly string[];
  /**
   * A replay of an event already in the log (same job id): its record is kept,
   * the targets named go back to `queued`, and nothing is counted as accepted.
   */
  replay?: boolean;
}

/** The targets of an event no route names: the handlers alone. */
export const HANDLERS_ONLY: EnqueueTargets = { handlers: true, destinations: [] };

/**
 * A stored job envelope, read back; undefined when it is not one (bad JSON, or
 * not an object with the fields every job has). The caller decides what happens
 * to such an entry (the dead-letter queue, for a job about to run).
 */
export function parseJobRecord(json: string): JobRecord | undefined {
  let j: unknown;
  try {
    j = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j)) return undefined;
  const r = j as Partial<JobRecord>;
  return typeof r.id === 'string' &&
    typeof r.type === 'string' &&
    typeof r.source === 'string' &&
    typeof r.payload === 'string' &&
    typeof r.receivedAt === 'number'
    ? (r as JobRecord)
    : undefined;
}

/** A job handed to this consumer for one attempt. */
export interface Delivery {
  /** Store-specific reference to this delivery (a stream entry id in Redis). */
  readonly handle: string;
  readonly job: JobRecord;
  /** 1-based number of this attempt. */
  readonly attempt: number;
  /** The error of the previous attempt, if any. */
  readonly previousError: string | undefined;
}

export interface EnqueueResult {
  /** The job id: new, or the original one for a duplicate. */
  id: string;
  duplicate: boolean;
  /**
   * For a replay (EnqueueTargets.replay): the targets queued, in order
   * (`handlers` or destination names). A target whose delivery the event log
   * shows under way (queued, delivering or retrying) is left out, decided in
   * the same atomic step as the enqueue, so that two replays at once never put
   * a second copy beside the first. Every target named is queued when the
   * event is not in the log.
   */
  queued?: string[];
}

export interface Dedupe {
  /** Already scoped and hashed by ingest. */
  key: string;
  ttlMs: number;
}

export interface QueueStats {
  /** Accepted and not yet handed to a worker. */
  waiting: number;
  /** Handed to a worker and not yet finished. */
  inProgress: number;
  /** Failed attempts waiting for their next try. */
  scheduled: number;
  /** Entries in the dead-letter queue. */
  dead: number;
}

/** A job in the dead-letter queue. */
export interface DeadLetterEntry {
  /** Store-specific id of the DLQ entry. */
  dlqId: string;
  job: JobRecord;
  /** Attempts made in all. */
  attempts: number;
  lastError: string;
  /** When it was dead-lettered, ms since the epoch. */
  failedAt: number;
}

/** The memory of a store that holds its data in memory (Redis). */
export interface StoreMemory {
  /** Bytes in use (Redis `used_memory`). */
  usedBytes: number;
  /** The limit (Redis `maxmemory`); 0 when there is none. */
  maxBytes: number;
}

export interface ReclaimResult {
  requeued: number;
  deadLettered: number;
  /** Pending references whose data was gone (deleted under us); logged by the caller. */
  missing: string[];
}

/** A store's own disk, for a store that has one (the embedded store). */
export interface DiskStatus {
  /** True while the store refuses new jobs for want of space; the workers still drain. */
  full: boolean;
  /** Free space of the filesystem, in bytes, as of the last check. */
  freeBytes: number;
}

/** How a hand-back of jobs that ran is counted (see Store.release). */
export interface StartedRelease {
  /** The most attempts a job may have: RetryPolicy.maxAttempts (MAX_RETRIES + 1). */
  maxAttempts: number;
  /** The last error recorded when a hand-back counts as an attempt. */
  error: string;
}

export interface ReleaseResult {
  /** Back to waiting. */
  released: number;
  /** Handed back once too often with no attempts left: now in the DLQ. */
  deadLettered: number;
}

/** The life of the jobs of one queue, as one consumer sees it (see the top of this file). */
export interface JobQueue {
  /** Up to `max` waiting jobs for this consumer, waiting up to `blockMs` for the first. */
  claim(max: number, blockMs: number): Promise<Delivery[]>;
  /** Wakes a claim that is blocked waiting, so that shutdown does not wait for it. */
  interruptClaim(): Promise<void>;
  /**
   * `reports`, when given, has one entry per delivery, in order: what the event
   * log records of each attempt (see event-log.ts). Without one, the attempt is
   * recorded with the time of the write.
   */
  complete(deliveries: readonly Delivery[], reports?: readonly AttemptReport[]): Promise<void>;
  /**
   * Returns false when the delivery was no longer this consumer's (nothing
   * changed). With a `report`, an attempt ran and failed: the log records it
   * (`retrying`) and the history counts it as failed. Without one, no attempt
   * ran (a delivery put off by its breaker, a pause or a rate limit): the log's
   * delivery goes back to `queued`, with no attempt recorded and nothing counted.
   */
  retryLater(
    delivery: Delivery,
    delayMs: number,
    error: string,
    report?: AttemptReport,
  ): Promise<boolean>;
  /**
   * `attempts` is the total number of attempts made. Returns false as for
   * retryLater. With a `report`, the attempt that just failed is recorded and
   * counted as failed; the move to the DLQ is counted either way.
   */
  deadLetter(
    delivery: Delivery,
    attempts: number,
    error: string,
    report?: AttemptReport,
  ): Promise<boolean>;
  /**
   * Hands jobs back to waiting, for any consumer to take at once. Without
   * `started`, the jobs never ran and go back unchanged. With it, their handlers
   * ran and settled without an outcome (a shutdown interrupted them): a job's
   * first such hand-back is free, every later one counts as an attempt, and a job
   * with no attempts left goes to the DLQ instead. A delivery no longer this
   * consumer's is left alone.
   */
  release(deliveries: readonly Delivery[], started?: StartedRelease): Promise<ReleaseResult>;

  /** Moves retries that are due back to waiting. Returns how many moved. */
  promoteDue(max: number): Promise<number>;
  /**
   * Requeues (or dead-letters) jobs held longer than `idleMs` by any consumer.
   * `maxAttempts` comes from the caller's RetryPolicy; the store applies it in
   * the same atomic step as the move.
   */
  reclaimStale(idleMs: number, maxAttempts: number): Promise<ReclaimResult>;
}

/** One destination's deliveries: a queue of its own, so that it never holds up another's. */
export interface DeliveryQueue extends JobQueue {
  readonly destination: string;
  /** Waiting, in progress and scheduled deliveries of this destination (`dead` is 0). */
  stats(): Promise<QueueStats>;
}

/** What became of the queue of a destination no longer configured (see Store.retireLane). */
export interface RetiredLane {
  /** Moved to the DLQ. */
  deadLettered: number;
  /** In progress and held by a consumer active within `idleMs`: left for now. */
  held: number;
}

/** The handlers' queue, the destinations' queues, dedupe and the DLQ. */
export interface Store extends JobQueue {
  /** `redis` or `sqlite`. */
  readonly kind: string;
  /** Where the data lives, for the start-up log line (no secrets). */
  readonly location: string;

  /** Connects, checks the server, creates what is missing. Throws with a clear message if unusable. */
  init(): Promise<void>;

  /**
   * Atomically: deduplicate (when `dedupe` is given) and enqueue one copy per
   * target (default: the handlers' queue alone). Resolves only once durable.
   */
  enqueue(
    job: JobRecord,
    dedupe: Dedupe | undefined,
    targets?: EnqueueTargets,
  ): Promise<EnqueueResult>;

  /**
   * The queue of one destination's deliveries, made on first use and closed with
   * the store. Every destination that enqueue may name must have been opened
   * here before `init`.
   */
  lane(destination: string): DeliveryQueue;

  /** The names of the destinations that have a delivery queue in the store, opened or not. */
  storedLanes(): Promise<string[]>;
  /**
   * Moves a destination's deliveries to the DLQ with `error` as their last
   * error: waiting and scheduled ones, and in-progress ones held longer than
   * `idleMs`; the others are counted as held. Each batch is one atomic step, so
   * instances may run it at once. A queue left empty is removed.
   */
  retireLane(destination: string, idleMs: number, error: string): Promise<RetiredLane>;

  /** Each destination's breaker, pause, recent outcomes and rate limit, shared by all instances. */
  readonly destinations: DestinationStates;

  /** Every queue's backlog summed (handlers and destinations), and the DLQ. */
  stats(): Promise<QueueStats>;
  /**
   * Memory in use against its limit, for a store that keeps its data in memory;
   * absent for one on disk. Cheap, but not meant for every request.
   */
  memory?(): Promise<StoreMemory>;
  /** The store's disk, if it has one of its own; cheap (no I/O). */
  disk?(): DiskStatus;
  /** The oldest dead-letter entries, up to `limit`. */
  peekDead(limit: number): Promise<DeadLetterEntry[]>;
  /** Inspecting, replaying and removing dead letters, for operators. */
  readonly deadLetters: DeadLetters;
  /** Every accepted event and what became of it, for a bounded time (see event-log.ts). */
  readonly events: EventLog;
  /** Per-minute counts over every instance, for the last 24 h. */
  readonly history: ThroughputHistory;
  close(): Promise<void>;
}

/** Which dead letters an operation concerns; each field given narrows the selection. */
export interface DeadLetterFilter {
  type?: string;
  source?: string;
  /** Dead letters of this destination's deliveries. */
  destination?: string;
  /** Dead-lettered at or after this time, ms since the epoch. */
  failedFrom?: number;
  /** Dead-lettered before this time, ms since the epoch. */
  failedTo?: number;
}

export interface DeadLetterQuery {
  filter: DeadLetterFilter;
  /** Continue after this entry id (a page's `next`); from the oldest when absent. */
  after?: string;
  /** Stop at this entry id, inclusive: a bulk operation's snapshot bound. */
  upTo?: string;
  /** The most entries to return. */
  limit: number;
}

/** A dead letter as listed: everything but the payload and headers. */
export interface DeadLetterSummary {
  dlqId: string;
  jobId: string;
  type: string;
  source: string;
  /** The destination of a dead delivery; absent for a handler's job. */
  destination?: string;
  /** When the webhook was accepted (first seen), ms since the epoch. */
  receivedAt: number;
  attempts: number;
  lastError: string;
  /** When it was dead-lettered, ms since the epoch. */
  failedAt: number;
}

export interface DeadLetterPage {
  /** Oldest first. */
  entries: DeadLetterSummary[];
  /**
   * Where the next page starts, or undefined at the end. A store may stop a scan
   * early (a selective filter over a long DLQ): a page can then hold fewer than
   * `limit` entries, even none, and still have a `next`.
   */
  next: string | undefined;
}

/** Bounds on the DLQ; 0 turns a bound off. */
export interface DeadLetterCaps {
  maxLength: number;
  maxAgeMs: number;
}

/** Entries dropped by one trim, by the cap that dropped them. */
export interface DeadLetterTrim {
  byLength: number;
  byAge: number;
}

/**
 * The dead-letter queue, for operators. Entry ids are the store's own (a stream
 * id in Redis, a row id in SQLite); they only grow, so "oldest first" is id
 * order, and an id taken before a bulk operation bounds it against entries that
 * arrive meanwhile.
 */
export interface DeadLetters {
  /** True when `text` has the shape of an entry id of this store (cursors are ids too). */
  isId(text: string): boolean;
  list(query: DeadLetterQuery): Promise<DeadLetterPage>;
  get(dlqId: string): Promise<DeadLetterEntry | undefined>;
  /** The newest entry's id, or undefined when the DLQ is empty. */
  newestId(): Promise<string | undefined>;
  /**
   * Moves entries back to the queue with a fresh attempt count. Each move is
   * atomic (an entry is never both dead and queued, nor neither), and an id no
   * longer in the DLQ is skipped, so replaying twice queues once. An entry whose
   * delivery the event log shows under way again (replayed from the log:
   * queued, delivering or retrying) is removed without queueing a second copy.
   * Returns how many moved or were so removed.
   */
  replay(dlqIds: readonly string[]): Promise<number>;
  /** Deletes entries; returns how many were there. */
  remove(dlqIds: readonly string[]): Promise<number>;
  /** Drops the entries beyond the caps (the oldest first). */
  trim(caps: DeadLetterCaps): Promise<DeadLetterTrim>;
}

/** Thrown by a store when it cannot be reached or refuses a write; ingest maps it to 503. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

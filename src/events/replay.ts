/**
 * Replaying events from the log: one event (to all its targets, or to one), or
 * every event a filter selects, with a dry run that answers the count first.
 *
 * A replay enqueues the event again under its own job id, without dedupe: the
 * log keeps its record and attempts, and the targets named go back to queued.
 * It works whatever became of the event: operators replay delivered events once
 * a bug downstream is fixed.
 */
import {
  type DeliveryState,
  type EventFilter,
  type EventLog,
  type EventRecord,
  type EventSummary,
  HANDLERS_TARGET,
} from '../store/event-log.js';
import type { EnqueueTargets, JobRecord, Store } from '../store/store.js';

/** Why an event cannot be replayed; the HTTP layer maps each to the error catalogue. */
export type ReplayRefusal =
  | 'not_found'
  | 'duplicate'
  | 'no_payload'
  | 'unknown_destination'
  | 'no_target'
  | 'in_progress';

export class ReplayRefusedError extends Error {
  constructor(
    readonly reason: ReplayRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'ReplayRefusedError';
  }
}

export interface ReplayTargets {
  /** Whether a destination is configured here (handlers are always). */
  configured(destination: string): boolean;
}

/** Deliveries still under way: a replay would send a second copy beside the first. */
const UNDER_WAY = new Set<DeliveryState>(['queued', 'delivering', 'retrying']);

function underWay(e: EventSummary, target: string): boolean {
  const d = e.deliveries.find((x) => x.target === target);
  return d !== undefined && UNDER_WAY.has(d.state);
}

/**
 * Where a replay of `e` goes: `only`, or every target it had that is still
 * configured; in either case, only where its delivery is finished (delivered
 * or dead) or was never made.
 */
function targetsOf(e: EventSummary, only: string | undefined, t: ReplayTargets): EnqueueTargets {
  const names = only !== undefined ? [only] : e.deliveries.map((d) => d.target);
  const usable = names.filter((n) => (n === HANDLERS_TARGET || t.configured(n)) && !underWay(e, n));
  return {
    handlers: usable.includes(HANDLERS_TARGET),
    destinations: usable.filter((n) => n !== HANDLERS_TARGET),
    replay: true,
  };
}

/** The refusal a replay of `e` meets, if any (checked before anything is written). */
function refusalOf(
  e: EventSummary,
  only: string | undefined,
  t: ReplayTargets,
): ReplayRefusedError | undefined {
  if (e.state === 'duplicate') {
    return new ReplayRefusedError(
      'duplicate',
      `Event ${e.id} is a suppressed duplicate of ${e.duplicateOf ?? 'another event'}; replay that one.`,
    );
  }
  if (!e.payloadKept) {
    return new ReplayRefusedError(
      'no_payload',
      `The log kept no payload for event ${e.id} (EVENT_LOG_PAYLOADS=false), so there is nothing to replay.`,
    );
  }
  if (only !== undefined && only !== HANDLERS_TARGET && !t.configured(only)) {
    return new ReplayRefusedError(
      'unknown_destination',
      `No destination named ${only} is configured.`,
    );
  }
  const targets = targetsOf(e, only, t);
  if (!targets.handlers && targets.destinations.length === 0) {
    const names = only !== undefined ? [only] : e.deliveries.map((d) => d.target);
    if (names.some((n) => underWay(e, n))) {
      return new ReplayRefusedError(
        'in_progress',
        `Event ${e.id} is still being delivered${only !== undefined ? ` to ${only}` : ''}: replay it once that delivery is delivered or dead.`,
      );
    }
    return new ReplayRefusedError(
      'no_target',
      `None of event ${e.id}'s destinations is configured any more: a replay would deliver it nowhere. Name a destination to replay it to.`,
    );
  }
  return undefined;
}

function jobOf(e: EventRecord & { payload: string }): JobRecord {
  return {
    id: e.id,
    type: e.type,
    source: e.source,
    payload: e.payload,
    receivedAt: e.receivedAt,
    ...(e.idempotencyKey !== undefined ? { idempotencyKey: e.idempotencyKey } : {}),
    ...(e.headers !== undefined ? { headers: e.headers } : {}),
    ...(e.contentType !== undefined ? { contentType: e.contentType } : {}),
  };
}

export interface Replayed {
  id: string;
  /** The targets it was queued for (`handlers` or destination names). */
  targets: string[];
}

/** Replays one event; throws ReplayRefusedError when it cannot be. */
export async function replayEvent(
  store: Store,
  id: string,
  only: string | undefined,
  t: ReplayTargets,
): Promise<Replayed> {
  const e = await store.events.get(id);
  if (!e) throw new ReplayRefusedError('not_found', `No event with id ${id} is in the log.`);
  const refusal = refusalOf(e, only, t);
  if (refusal) throw refusal;
  const queued = await enqueueReplay(store, e as EventRecord & { payload: string }, only, t);
  if (queued.length === 0) {
    // Another replay got there first: the store queues one copy per delivery.
    throw new ReplayRefusedError('in_progress', `Event ${id} is being replayed already.`);
  }
  return { id, targets: queued };
}

/** Enqueues the replay; the targets the store queued (it skips any under way by then). */
async function enqueueReplay(
  store: Store,
  e: EventRecord & { payload: string },
  only: string | undefined,
  t: ReplayTargets,
): Promise<string[]> {
  const targets = targetsOf(e, only, t);
  const r = await store.enqueue(jobOf(e), undefined, targets);
  return r.queued ?? [...(targets.handlers ? [HANDLERS_TARGET] : []), ...targets.destinations];
}

export interface BulkReplayRequest {
  filter: EventFilter;
  /** Replay to this target only; every event's own targets when absent. */
  destination?: string;
  /** Count, replay nothing. */
  dryRun: boolean;
  /** Events received at or after this time are left out: the run's bound (default now). */
  asOf: number;
  /** Where an earlier call of the same run stopped. */
  cursor?: string;
  /** The most events this call replays (or counts). */
  max: number;
}

export interface BulkReplayResult {
  /** Replayed (or, in a dry run, that would be). */
  replayed: number;
  /**
   * Matched but not replayed: duplicates, events without a payload, with no
   * destination left, or still being delivered.
   */
  skipped: number;
  asOf: number;
  /** Where the next call continues; undefined when the run is complete. */
  next: string | undefined;
}

/** Events listed per store call. */
const PAGE = 100;

/**
 * Replays (or counts) every event the filter selects, newest first, received
 * before `asOf`. Each call handles at most `max`, and passes `next` on; a dry
 * run with the same request answers what the real run replays.
 */
export async function bulkReplayEvents(
  store: Store,
  req: BulkReplayRequest,
  t: ReplayTargets,
): Promise<BulkReplayResult> {
  const log: EventLog = store.events;
  const until = req.filter.until === undefined ? req.asOf : Math.min(req.filter.until, req.asOf);
  const filter: EventFilter = { ...req.filter, until };
  let cursor = req.cursor;
  let replayed = 0;
  let skipped = 0;
  while (replayed + skipped < req.max) {
    const page = await log.list({
      filter,
      limit: Math.min(PAGE, req.max - replayed - skipped),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    for (const summary of page.events) {
      // The summary decides; a dry run never reads a payload.
      if (refusalOf(summary, req.destination, t)) {
        skipped++;
        continue;
      }
      if (!req.dryRun) {
        const e = await log.get(summary.id);
        const queued =
          e?.payload === undefined
            ? []
            : await enqueueReplay(
                store,
                e as EventRecord & { payload: string },
                req.destination,
                t,
              );
        if (queued.length === 0) {
          // Dropped from the log, or replayed by someone else, since it was listed.
          skipped++;
          continue;
        }
      }
      replayed++;
    }
    if (page.next === undefined) return { replayed, skipped, asOf: req.asOf, next: undefined };
    cursor = page.next;
  }
  return { replayed, skipped, asOf: req.asOf, next: cursor };
}

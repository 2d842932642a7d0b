/**
 * Draining the job stream of the older key layout into the job stream.
 *
 * Older versions named the job stream `{QUEUE_NAME}`; it is now `QUEUE_NAME`
 * (see keys.ts). Every other key keeps its name, so only the stream migrates, and
 * it is drained: entries are moved, by every instance, for as long as the older
 * stream exists. Why this shape:
 *
 * - A move once at start-up is not enough. During a rolling deploy the older
 *   instances keep running and keep writing to `{QUEUE_NAME}`: they accept
 *   webhooks, promote due retries (the retry set is shared), requeue what they
 *   reclaim or hand back at shutdown, and replay dead letters into it. So the
 *   drain runs at start-up and again on every reclaim pass.
 * - Moving rather than also reading the older stream keeps a delivery's handle an
 *   entry id in one stream: completing, retrying, dead-lettering and handing back
 *   never have to know which stream a job came from.
 * - Nothing that stores an entry id is disturbed. An undelivered entry has no
 *   owner, and nothing refers to its id: it moves with a new id and its fields as
 *   they were. A pending entry stays where it is while its consumer (an older
 *   instance, which acknowledges or retries it by that id) may still be working
 *   on it; once it has been idle for RECLAIM_IDLE it is taken as a reclaim takes
 *   it, the lost run counted. So a job runs twice only where a reclaim would run
 *   it twice. Retries and dead letters refer to job ids, in keys both layouts
 *   share. Each step is one script, so instances racing each other (or an older
 *   instance's read) each get an entry once.
 * - When the older stream holds nothing undelivered or pending and every consumer
 *   of it has been idle for an hour, the drain deletes it: `EXISTS {QUEUE_NAME}`
 *   answering 0 marks the end of the migration. An hour, because Redis 7.0
 *   refreshes a consumer's idle time only when a read returns entries: a running
 *   older instance with nothing to do cannot be told from a stopped one sooner.
 *   It is the hour after which instances already drop idle consumers from the
 *   group. Should an older instance still be reading then, its read fails once
 *   (one warning in its log) and it recreates the stream, which is drained again.
 */
import type { Logger } from 'pino';
import type { QueueKeys } from './keys.js';
import type { OutcomeLog, QueueScripts } from './scripts.js';

/** Entries of each kind moved per script call. */
const DRAIN_BATCH = 100;

export interface LegacyDrain {
  /** Undelivered jobs moved as they were. */
  moved: number;
  /** Jobs of stopped older consumers, requeued with the lost run counted. */
  requeued: number;
  /** Jobs of stopped older consumers that had no attempts left. */
  deadLettered: number;
  /** Pending references whose data was gone. */
  missing: string[];
  /** The older stream was drained and removed in this pass. */
  removed: boolean;
}

export interface LegacyDrainOptions {
  /**
   * RECLAIM_IDLE: pending entries idle this long are taken. 0 moves only
   * undelivered entries and never removes the stream (start-up, before the
   * reclaim settings are in play).
   */
  idleMs: number;
  /** The drained stream is removed once every consumer of it has been idle this long. */
  consumersGoneMs: number;
  /** MAX_RETRIES + 1. */
  maxAttempts: number;
  /** The most script calls in this pass. */
  maxCalls: number;
  /** Recorded as the lost attempt's error. */
  error: string;
  /** Where the lost attempts and dead letters are recorded (the handlers' deliveries). */
  outcomes: () => OutcomeLog;
}

/**
 * One pass of the drain: script calls until nothing is left to move, or
 * `maxCalls`. Logs what moved, and the older stream's removal.
 */
export async function drainLegacyStream(
  scripts: QueueScripts,
  keys: QueueKeys,
  opts: LegacyDrainOptions,
  log: Logger,
): Promise<LegacyDrain> {
  const out: LegacyDrain = { moved: 0, requeued: 0, deadLettered: 0, missing: [], removed: false };
  for (let i = 0; i < opts.maxCalls; i++) {
    const [moved, requeued, dead, missing, state] = await scripts.drainLegacyStream(
      keys,
      keys.group,
      DRAIN_BATCH,
      opts.idleMs,
      opts.maxAttempts,
      opts.error,
      opts.consumersGoneMs,
      opts.outcomes(),
    );
    out.moved += moved;
    out.requeued += requeued;
    out.deadLettered += dead;
    out.missing.push(...missing);
    out.removed ||= state === 2;
    const full = moved >= DRAIN_BATCH || requeued + dead + missing.length >= DRAIN_BATCH;
    if (state !== 1 || !full) break;
  }
  const where = { from: keys.legacyStream, to: keys.stream };
  if (out.moved > 0) {
    log.info(
      { jobs: out.moved, ...where },
      'moved waiting jobs from the job stream of older versions',
    );
  }
  if (out.removed) log.info(where, 'the job stream of older versions is drained and removed');
  return out;
}

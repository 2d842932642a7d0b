/**
 * Bulk operations on the dead-letter queue: replay or remove every entry that
 * matches a filter, a batch at a time.
 *
 * A run is bounded twice. By `upTo`, the newest entry id when the run began, so
 * that jobs which fail again during the run (and come back as new, newer
 * entries) are not replayed again and again. And by `max` entries per call, so
 * that one HTTP request stays short; the caller passes `upTo` and `after` from
 * one call's result to the next to carry on.
 *
 * Safe to interrupt and run again: each entry moves atomically in the store, an
 * entry already moved is skipped, and a fresh run (without `after`) simply finds
 * fewer entries. Nothing is replayed twice and nothing is lost.
 */
import type { DeadLetterFilter, DeadLetters } from '../store/store.js';

export type BulkAction = 'replay' | 'remove';

export interface BulkRequest {
  filter: DeadLetterFilter;
  /** The run's bound, from an earlier call; taken now when absent. */
  upTo?: string;
  /** Where an earlier call of the same run stopped. */
  after?: string;
  /** The most entries this call handles. */
  max: number;
  /**
   * For a replay: whether a destination is configured. A dead delivery of one
   * that is not stays in the DLQ and is counted as skipped, since nothing would
   * deliver it.
   */
  configured?: (destination: string) => boolean;
}

export interface BulkResult {
  /** Entries replayed or removed by this call. */
  count: number;
  /** Entries left alone: dead deliveries of destinations no longer configured (replay only). */
  skipped: number;
  /** The run's bound, to pass to the next call; undefined when the DLQ was empty. */
  upTo: string | undefined;
  /** Where the next call continues; undefined when the run is complete. */
  next: string | undefined;
}

/** Entries per store call: each batch is one listing and one replay or remove. */
export const BULK_BATCH = 100;

export async function bulkDeadLetters(
  dlq: DeadLetters,
  action: BulkAction,
  req: BulkRequest,
): Promise<BulkResult> {
  const upTo = req.upTo ?? (await dlq.newestId());
  if (upTo === undefined) return { count: 0, skipped: 0, upTo: undefined, next: undefined };
  const configured = req.configured;
  const keep = (destination: string | undefined) =>
    action === 'replay' && configured !== undefined && !!destination && !configured(destination);
  let after = req.after;
  let count = 0;
  let skipped = 0;
  while (count < req.max) {
    const page = await dlq.list({
      filter: req.filter,
      upTo,
      limit: Math.min(BULK_BATCH, req.max - count),
      ...(after !== undefined ? { after } : {}),
    });
    const ids: string[] = [];
    for (const e of page.entries) {
      if (keep(e.destination)) skipped++;
      else ids.push(e.dlqId);
    }
    if (ids.length > 0) count += await (action === 'replay' ? dlq.replay(ids) : dlq.remove(ids));
    if (page.next === undefined) return { count, skipped, upTo, next: undefined };
    after = page.next;
  }
  return { count, skipped, upTo, next: after };
}

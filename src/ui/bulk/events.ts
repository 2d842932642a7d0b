/**
 * Bulk replay of the events a filter matches. The count is a dry run, followed
 * to its end (a dry run, like a run, handles a bounded number per call); the
 * real run then passes the dry run's `as_of`, so it covers the events that were
 * counted and none received since, and follows its cursor batch by batch.
 */
import { bulkReplayEvents, type EventFilter } from '../api/events.js';
import type { BulkPlan, BulkWords } from '../components/bulk-run.js';
import { count } from '../format.js';

/** Events a dry-run call counts (the API's most). */
const COUNT_MAX = 10_000;
/** Events a real call replays: small enough for the progress bar to move. */
const BATCH = 200;

export const EVENT_REPLAY_WORDS: BulkWords = {
  verb: 'Replay',
  doing: 'Replaying',
  did: 'Replayed',
  one: 'event',
  many: 'events',
};

export interface EventRunPosition {
  as_of: string;
  cursor: string | null;
}

export function eventReplayPlan(filter: EventFilter): BulkPlan<EventRunPosition> {
  return {
    async count(seen, stopped) {
      // The first call fixes the bound; the others carry on under it.
      let r = await bulkReplayEvents(filter, { dry_run: true, max: COUNT_MAX });
      const asOf = r.as_of;
      let replayable = r.replayed;
      let skipped = r.skipped;
      seen(replayable + skipped);
      while (!r.done && !stopped()) {
        r = await bulkReplayEvents(filter, {
          dry_run: true,
          max: COUNT_MAX,
          as_of: asOf,
          cursor: r.cursor,
        });
        replayable += r.replayed;
        skipped += r.skipped;
        seen(replayable + skipped);
      }
      if (!r.done) return undefined;
      return {
        total: replayable,
        ...(skipped > 0
          ? {
              note: `${count(skipped)} more ${skipped === 1 ? 'matches' : 'match'} but cannot be replayed (duplicates, or no payload or destination left).`,
            }
          : {}),
        start: { as_of: asOf, cursor: null },
      };
    },
    async batch(at) {
      const r = await bulkReplayEvents(filter, {
        dry_run: false,
        max: BATCH,
        as_of: at.as_of,
        cursor: at.cursor,
      });
      return { did: r.replayed, next: r.done ? undefined : { as_of: r.as_of, cursor: r.cursor } };
    },
  };
}

/**
 * Bulk replay or delete of the dead letters a filter matches. Counting pages
 * through the list; the run is bounded to the newest entry counted (`up_to`), so
 * it touches only what was counted, even while new failures arrive, and can be
 * stopped between batches and started again safely.
 */
import {
  type BulkPosition,
  bulkPurge,
  bulkReplay,
  type DeadLetterFilter,
  listDeadLetters,
} from '../api/admin.js';
import type { BulkPlan, BulkWords } from '../components/bulk-run.js';

const COUNT_PAGE = 500;
const BATCH = 500;

export type DeadLetterAction = 'replay' | 'purge';

export const DEAD_LETTER_WORDS: Record<DeadLetterAction, BulkWords> = {
  replay: {
    verb: 'Replay',
    doing: 'Replaying',
    did: 'Replayed',
    one: 'dead letter',
    many: 'dead letters',
  },
  purge: {
    verb: 'Delete',
    doing: 'Deleting',
    did: 'Deleted',
    one: 'dead letter',
    many: 'dead letters',
    warning: ' for good? This cannot be undone.',
  },
};

export function deadLetterPlan(
  action: DeadLetterAction,
  filter: DeadLetterFilter,
): BulkPlan<BulkPosition> {
  return {
    async count(seen, stopped) {
      let total = 0;
      let newest: string | undefined;
      let cursor: string | undefined;
      do {
        const page = await listDeadLetters(filter, cursor, COUNT_PAGE);
        total += page.items.length;
        newest = page.items[page.items.length - 1]?.id ?? newest;
        cursor = page.next_cursor ?? undefined;
        seen(total);
      } while (cursor !== undefined && !stopped());
      if (stopped()) return undefined;
      return { total, start: { up_to: newest ?? null, cursor: null } };
    },
    async batch(at) {
      const r = await (action === 'replay' ? bulkReplay : bulkPurge)(filter, at, BATCH);
      return {
        did: r.count,
        next: r.done ? undefined : { up_to: r.up_to, cursor: r.cursor },
      };
    },
  };
}

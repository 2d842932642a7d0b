/**
 * Cursor paging: the API hands out a cursor for the next page, so the way back
 * is the stack of cursors that led here. Nothing beyond the page shown is loaded.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Cursors {
  /** The current page's cursor (undefined: the first page). */
  cursor: string | undefined;
  page: number;
  next(cursor: string): void;
  prev(): void;
}

/** Back to the first page whenever `key` (the filter) changes. */
export function useCursors(key: string): Cursors {
  const [stack, setStack] = useState<{ key: string; cursors: string[] }>({ key, cursors: [] });
  useEffect(() => setStack({ key, cursors: [] }), [key]);
  const cursors = stack.key === key ? stack.cursors : [];
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length + 1,
    next: (cursor) => setStack({ key, cursors: [...cursors, cursor] }),
    prev: () => setStack({ key, cursors: cursors.slice(0, -1) }),
  };
}

export function Pager(props: { cursors: Cursors; nextCursor: string | null | undefined }) {
  const { cursors, nextCursor } = props;
  if (cursors.page === 1 && !nextCursor) return null;
  return (
    <nav class="pager" aria-label="Pagination">
      <button type="button" disabled={cursors.page === 1} onClick={() => cursors.prev()}>
        ← Previous
      </button>
      <span>Page {cursors.page}</span>
      <button
        type="button"
        disabled={!nextCursor}
        onClick={() => nextCursor && cursors.next(nextCursor)}
      >
        Next →
      </button>
    </nav>
  );
}

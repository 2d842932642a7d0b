/**
 * A payload search with no trigram to look up (a `q` of one or two
 * characters) reads the payloads themselves: at most SCAN_WINDOW rows per
 * list() call, newest first, returning where it stopped, so that no call holds
 * the event loop for the whole table.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventFilter, EventPage } from '../../src/store/event-log.js';
import { SCAN_WINDOW } from '../../src/store/sqlite/event-search.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobRecord } from '../../src/store/store.js';
import { EventLogStores, job } from '../helpers/sqlite-events.js';

const stores = new EventLogStores();
after(() => stores.cleanup());

const TOTAL = SCAN_WINDOW + 1_000;
/** Newest first: the positions, in list order, of the events whose payload holds "Zq". */
const MARKED = [0, SCAN_WINDOW + 500];
let store: SqliteStore;
let newestFirst: JobRecord[];

before(async () => {
  store = await stores.open({ maxEvents: TOTAL, retentionMs: 3_600_000, payloads: true });
  const t0 = Date.now() - 60_000;
  newestFirst = Array.from({ length: TOTAL }, (_, i) =>
    job({ receivedAt: t0 + TOTAL - i, payload: MARKED.includes(i) ? '{"v":"Zq"}' : '{"v":"x"}' }),
  );
  for (let i = 0; i < TOTAL; i += 1_000) {
    await Promise.all(newestFirst.slice(i, i + 1_000).map((j) => store.enqueue(j, undefined)));
  }
});

async function page(filter: EventFilter, limit: number, cursor?: string): Promise<EventPage> {
  return store.events.list({ filter, limit, ...(cursor ? { cursor } : {}) });
}

describe('embedded event log: a search with no trigram', () => {
  it('reads at most a window per call, and goes on from where it stopped', async () => {
    const first = await page({ q: 'Zq' }, 10);
    assert.deepEqual(
      first.events.map((e) => e.id),
      [newestFirst[0]?.id],
    );
    assert.equal(first.scanned, SCAN_WINDOW, 'the window, not the table');
    assert.ok(first.next, 'a next, though the page is short');
    const second = await page({ q: 'Zq' }, 10, first.next);
    assert.deepEqual(
      second.events.map((e) => e.id),
      [newestFirst[SCAN_WINDOW + 500]?.id],
    );
    assert.equal(second.scanned, TOTAL - SCAN_WINDOW);
    assert.equal(second.next, undefined, 'the end of the table');
  });

  it('stops as soon as the page is full', async () => {
    const p = await page({ q: '"x' }, 20);
    assert.equal(p.events.length, 20);
    assert.ok((p.scanned ?? Infinity) <= 22, `scanned ${p.scanned}`);
    // The newest holds "Zq", not "x: the 20th hit is the 21st event.
    assert.equal(p.events.at(-1)?.id, newestFirst[20]?.id);
    const next = await page({ q: '"x' }, 20, p.next);
    assert.equal(next.events[0]?.id, newestFirst[21]?.id, 'no gap, no overlap');
  });

  it('a search by the index reports no scan', async () => {
    const p = await page({ q: '"Zq"' }, 10);
    assert.equal(p.events.length, 2);
    assert.equal(p.scanned, undefined);
  });
});

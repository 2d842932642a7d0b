/**
 * Searching the embedded event log: each filter alone and together, the
 * payload search (indexed from three characters, a scan below, exact and
 * case-sensitive either way, whatever the query's characters), keyset paging,
 * cursors, and a log that keeps no payloads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EventFilter, MAX_LOGGED_KEY } from '../../src/store/event-log.js';
import { trigramQuery } from '../../src/store/sqlite/event-search.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobRecord } from '../../src/store/store.js';
import { EventLogStores, job } from '../helpers/sqlite-events.js';

const stores = new EventLogStores();
after(() => stores.cleanup());

const T = Date.now() - 60_000;
let store: SqliteStore;
const jobs: Record<string, JobRecord> = {};

before(async () => {
  store = await stores.open();
  const add = async (
    name: string,
    over: Partial<JobRecord>,
    targets = { handlers: true, destinations: [] as string[] },
  ) => {
    jobs[name] = job({ receivedAt: T, ...over });
    await store.enqueue(jobs[name], undefined, targets);
  };
  await add('a', { source: 'github', type: 'push', payload: '{"msg":"Hello World"}' });
  await add(
    'b',
    { receivedAt: T + 1, type: 'issue', payload: '{"msg":"hello world"}' },
    {
      handlers: false,
      destinations: ['billing'],
    },
  );
  await add('c', {
    receivedAt: T + 2,
    source: 'stripe',
    idempotencyKey: 'evt_1',
    payload: '{"pct":"100%_done","q":"say \\"hi\\" * NEAR OR"}',
  });
  await add(
    'd',
    { receivedAt: T + 3, payload: '{"msg":"añb 日本語テキスト"}' },
    {
      handlers: true,
      destinations: ['crm'],
    },
  );
  const [d] = await store.lane('crm').claim(1, 0);
  assert.ok(d);
  await store.lane('crm').deadLetter(d, 1, 'gone', { startedAt: 1, durationMs: 1 });
});

async function find(filter: EventFilter): Promise<string[]> {
  const page = await store.events.list({ filter, limit: 100 });
  const byId = Object.fromEntries(Object.entries(jobs).map(([name, j]) => [j.id, name]));
  return page.events.map((e) => byId[e.id] ?? e.id);
}

describe('embedded event log: filters', () => {
  it('none: every event, newest first', async () => {
    assert.deepEqual(await find({}), ['d', 'c', 'b', 'a']);
  });

  it('source, type, state, destination', async () => {
    assert.deepEqual(await find({ source: 'github' }), ['a']);
    assert.deepEqual(await find({ source: 'default' }), ['d', 'b']);
    assert.deepEqual(await find({ type: 'issue' }), ['b']);
    assert.deepEqual(await find({ state: 'dead' }), ['d']);
    assert.deepEqual(await find({ state: 'queued' }), ['c', 'b', 'a']);
    assert.deepEqual(await find({ destination: 'billing' }), ['b']);
    assert.deepEqual(await find({ destination: 'handlers' }), ['d', 'c', 'a']);
    assert.deepEqual(await find({ destination: 'nowhere' }), []);
  });

  it('since (inclusive) and until (exclusive)', async () => {
    assert.deepEqual(await find({ since: T + 2 }), ['d', 'c']);
    assert.deepEqual(await find({ until: T + 2 }), ['b', 'a']);
    assert.deepEqual(await find({ since: T + 1, until: T + 3 }), ['c', 'b']);
  });

  it('key: exactly, by the index', async () => {
    assert.deepEqual(await find({ key: 'evt_1' }), ['c']);
    assert.deepEqual(await find({ key: 'evt_' }), []);
    assert.deepEqual(await find({ key: 'k'.repeat(MAX_LOGGED_KEY + 1) }), [], 'never recorded');
    const own = await stores.open();
    const lone = job({ idempotencyKey: 'a\ud800b' });
    await own.enqueue(lone, undefined);
    const byKey = async (key: string) =>
      (await own.events.list({ filter: { key }, limit: 5 })).events.map((e) => e.id);
    assert.deepEqual(await byKey('a\ud800b'), [lone.id], 'looked up as loggedKey records it');
    assert.deepEqual(await byKey('a\ufffdb'), [lone.id]);
    const plan = store.database
      .prepare(
        "EXPLAIN QUERY PLAN SELECT n FROM events WHERE idempotency_key = 'x' ORDER BY received_at DESC",
      )
      .all() as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join(' '), /USING INDEX events_by_key/);
  });

  it('q: a case-sensitive substring, by the trigram index from three characters', async () => {
    assert.deepEqual(await find({ q: 'World' }), ['a']);
    assert.deepEqual(await find({ q: 'world' }), ['b']);
    assert.deepEqual(await find({ q: 'o W' }), ['a']);
    assert.deepEqual(await find({ q: '日本語' }), ['d']);
    assert.deepEqual(await find({ q: 'Hello World!' }), []);
  });

  it('q: a long one, and one whose trigrams are all there but not in order', async () => {
    assert.deepEqual(await find({ q: jobs.c?.payload ?? '' }), ['c']);
    assert.deepEqual(await find({ q: `${jobs.c?.payload ?? ''} ` }), []);
    const own = await stores.open();
    await own.enqueue(job({ payload: '{"v":"abcXbcd"}' }), undefined);
    const q = async (text: string) =>
      (await own.events.list({ filter: { q: text }, limit: 5 })).events.length;
    assert.equal(await q('abcd'), 0, 'every trigram of q is there, but not q');
    assert.equal(await q('abcXbcd'), 1);
    const plan = store.database
      .prepare(
        `EXPLAIN QUERY PLAN SELECT n FROM events WHERE n IN
           (SELECT rowid FROM events_fts WHERE events_fts MATCH '"Wor"') AND instr(payload, 'Wor') > 0`,
      )
      .all() as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join(' '), /VIRTUAL TABLE/, 'the index is used');
  });

  it('q: shorter than three characters, by a scan', async () => {
    assert.deepEqual(await find({ q: 'He' }), ['a']);
    assert.deepEqual(await find({ q: 'ñ' }), ['d']);
    assert.deepEqual(await find({ q: '%' }), ['c'], 'no LIKE wildcard');
    assert.deepEqual(await find({ q: '_' }), ['c']);
  });

  it('q: quotes and FTS5 operators are plain text', async () => {
    assert.deepEqual(await find({ q: '\\"hi\\" *' }), ['c']);
    assert.deepEqual(await find({ q: 'NEAR OR' }), ['c']);
    assert.deepEqual(await find({ q: '* NEAR' }), ['c']);
    assert.deepEqual(await find({ q: '100%_d' }), ['c']);
    assert.deepEqual(await find({ q: '"' }), ['d', 'c', 'b', 'a']);
    assert.deepEqual(await find({ q: 'a OR b' }), []);
    assert.deepEqual(await find({ q: '(((' }), []);
  });

  it('q: a NUL is matched by instr(), never given to FTS5', async () => {
    const own = await stores.open();
    const raw = job({ payload: 'plain\u0000text body', contentType: 'text/plain' });
    await own.enqueue(raw, undefined);
    await own.enqueue(job({ payload: 'plain text body' }), undefined);
    const q = async (text: string) =>
      (await own.events.list({ filter: { q: text }, limit: 5 })).events.map((e) => e.id);
    assert.deepEqual(await q('n\u0000t'), [raw.id], 'a q whose only trigram holds the NUL');
    assert.deepEqual(await q('plain\u0000text'), [raw.id], 'the trigrams around it narrow');
    assert.deepEqual(await q('\u0000'), [raw.id]);
    assert.deepEqual(await q('x\u0000y'), []);
    assert.equal(trigramQuery('ab\u0000cde'), '"cde"');
    assert.equal(trigramQuery('a\u0000b'), undefined);
  });

  it('filters together narrow each other', async () => {
    assert.deepEqual(await find({ source: 'default', q: 'world' }), ['b']);
    assert.deepEqual(await find({ source: 'default', q: 'World' }), []);
    assert.deepEqual(await find({ state: 'queued', since: T + 1, destination: 'handlers' }), ['c']);
    assert.deepEqual(await find({ type: 'order.created', q: 'msg' }), ['d']);
  });
});

describe('embedded event log: paging', () => {
  it('pages by keyset without overlap or gap, ties broken by id', async () => {
    const own = await stores.open();
    const t = Date.now();
    const added: JobRecord[] = [];
    for (let i = 0; i < 23; i++) {
      const j = job({ receivedAt: t + Math.floor(i / 5) }); // five to a millisecond
      added.push(j);
      await own.enqueue(j, undefined);
    }
    const expected = added
      .sort((x, y) => y.receivedAt - x.receivedAt || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
      .map((j) => j.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await own.events.list({ filter: {}, limit: 4, ...(cursor ? { cursor } : {}) });
      assert.ok(page.events.length <= 4);
      seen.push(...page.events.map((e) => e.id));
      cursor = page.next;
      if (cursor) assert.ok(own.events.isCursor(cursor));
      pages++;
    } while (cursor);
    assert.equal(pages, 6);
    assert.deepEqual(seen, expected);
    // An event added meanwhile, newer than the cursor, does not shift the pages after it.
    const first = await own.events.list({ filter: {}, limit: 4 });
    await own.enqueue(job({ receivedAt: t + 1_000 }), undefined);
    const second = await own.events.list({ filter: {}, limit: 4, cursor: first.next });
    assert.deepEqual(
      second.events.map((e) => e.id),
      expected.slice(4, 8),
    );
  });

  it('a filtered search pages too', async () => {
    const one = await store.events.list({ filter: { source: 'default' }, limit: 1 });
    assert.equal(one.events.length, 1);
    const two = await store.events.list({
      filter: { source: 'default' },
      limit: 1,
      cursor: one.next,
    });
    assert.deepEqual(
      [...one.events, ...two.events].map((e) => e.id),
      [jobs.d?.id, jobs.b?.id],
    );
    assert.equal(two.next, undefined);
  });

  it('isCursor refuses junk, and list answers a junk cursor with nothing', async () => {
    for (const junk of [
      '',
      'abc',
      '12',
      '12.',
      '.abc',
      '1.a b',
      `1.${'x'.repeat(3_000)}`,
      '1e5.YQ',
    ]) {
      assert.equal(store.events.isCursor(junk), false, junk);
    }
    assert.deepEqual(await store.events.list({ filter: {}, limit: 5, cursor: 'junk' }), {
      events: [],
      next: undefined,
    });
  });

  it('summaries carry the deliveries, not the payload or attempts', async () => {
    const [d] = (await store.events.list({ filter: { state: 'dead' }, limit: 1 })).events;
    assert.deepEqual(d?.deliveries, [
      { target: 'handlers', state: 'queued' },
      { target: 'crm', state: 'dead' },
    ]);
    assert.equal('payload' in (d ?? {}), false);
    assert.equal(d?.payloadKept, true, 'whether it was kept, read without reading it');
  });
});

describe('embedded event log: payloads not kept', () => {
  it('keeps neither body nor headers, and q finds nothing', async () => {
    const own = await stores.open({ maxEvents: 100, retentionMs: 3_600_000, payloads: false });
    const j = job({ payload: '{"secret":"value"}', headers: { 'x-h': 'v' } });
    await own.enqueue(j, undefined);
    const e = await own.events.get(j.id);
    assert.equal(e?.payload, undefined);
    assert.equal(e?.payloadKept, false);
    assert.equal(e?.headers, undefined);
    assert.equal(e?.contentType, 'application/json');
    assert.equal(e?.type, j.type);
    assert.deepEqual((await own.events.list({ filter: { q: 'secret' }, limit: 5 })).events, []);
    assert.deepEqual((await own.events.list({ filter: { q: 'se' }, limit: 5 })).events, []);
    const [summary] = (await own.events.list({ filter: {}, limit: 5 })).events;
    assert.equal(summary?.id, j.id);
    assert.equal(summary?.payloadKept, false);
    const indexed = own.database
      .prepare(`SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH '"sec"'`)
      .get() as { n: number };
    assert.equal(indexed.n, 0, 'nothing indexed');
  });
});

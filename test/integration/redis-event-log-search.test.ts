/**
 * Searching the Redis store's event log: every filter, keyset paging with no
 * overlap or gap (ties on the received time included), the bounded scan of
 * filters with no index, the direct key lookup, and cursors that are junk.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { EventFilter, EventSummary } from '../../src/store/event-log.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { JobRecord } from '../../src/store/store.js';
import { claimOne, job } from '../conformance/jobs.js';
import { redisOf } from '../helpers/config.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { silentLog, testConfig } from '../helpers/service.js';

const LOG = { maxEvents: 10_000, retentionMs: 3_600_000, payloads: true };
const redis = redisClient();
after(() => redis.disconnect());

async function openStore(queue: string, eventLog = LOG): Promise<RedisStore> {
  const config = testConfig({ QUEUE_NAME: queue });
  const store = new RedisStore({
    redis: redisOf(config),
    queueName: queue,
    consumer: `c-${randomUUID().slice(0, 6)}`,
    log: silentLog,
    eventLog,
  });
  store.lane('hooks');
  store.lane('crm');
  await store.init();
  return store;
}

/** Every page of a search, with the page size `limit`. */
async function listAll(store: RedisStore, filter: EventFilter, limit = 100) {
  const events: EventSummary[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.events.list({ filter, limit, ...(cursor ? { cursor } : {}) });
    assert.ok(page.events.length <= limit);
    events.push(...page.events);
    cursor = page.next;
    if (cursor) assert.ok(store.events.isCursor(cursor), 'a next is a cursor');
    pages++;
  } while (cursor && pages < 1_000);
  return { events, pages };
}

const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);
/** Newest first: receivedAt descending, then id descending (bytewise). */
const newestFirst = (jobs: readonly JobRecord[]) =>
  [...jobs].sort((a, b) =>
    a.receivedAt !== b.receivedAt
      ? b.receivedAt - a.receivedAt
      : Buffer.compare(Buffer.from(b.id), Buffer.from(a.id)),
  );

describe('Redis event log: search', () => {
  const queue = testConfig().queueName;
  let store: RedisStore;
  const base = Date.now() - 60_000;
  const jobs: JobRecord[] = [];
  const at = (i: number) => base + Math.floor(i / 3) * 1_000; // three events per received time

  before(async () => {
    store = await openStore(queue);
    for (let i = 0; i < 30; i++) {
      const j = job({
        receivedAt: at(i),
        source: i % 2 === 0 ? 'github' : 'stripe',
        type: i % 3 === 0 ? 'push' : 'ping',
        payload: JSON.stringify({ n: i, word: i === 7 ? 'Needle' : 'hay' }),
        ...(i % 5 === 0 ? { idempotencyKey: `key-${i % 10}` } : {}),
      });
      jobs.push(j);
      const destinations = i % 4 === 0 ? ['hooks'] : i % 4 === 1 ? ['crm'] : [];
      await store.enqueue(j, undefined, { handlers: i % 4 !== 1, destinations });
    }
    // Job 2 is delivered, job 3 dead (handlers only): states to filter on.
    const first = await store.claim(4, 100);
    const byId = new Map(first.map((d) => [d.job.id, d]));
    await store.complete([byId.get(jobs[2]?.id as string)].filter((d) => d !== undefined));
    const three = byId.get(jobs[3]?.id as string);
    assert.ok(three);
    await store.deadLetter(three, 1, 'poison');
    await store.release(first.filter((d) => d !== three && d.job.id !== jobs[2]?.id));
  });
  after(async () => {
    await store.close();
    await dropQueue(redis, queue);
  });

  it('lists newest first, receivedAt then id, with pages that neither overlap nor leave a gap', async () => {
    const { events, pages } = await listAll(store, {}, 4);
    assert.deepEqual(ids(events), ids(newestFirst(jobs)));
    assert.equal(pages, 8);
    assert.equal(new Set(ids(events)).size, 30);
  });

  it('a page that fills its limit at the very end says there is no next', async () => {
    const page = await store.events.list({ filter: {}, limit: 30 });
    assert.equal(page.events.length, 30);
    assert.equal(page.next, undefined);
  });

  const cases: [string, EventFilter, (j: JobRecord, i: number) => boolean][] = [
    ['source', { source: 'github' }, (_j, i) => i % 2 === 0],
    ['type', { type: 'push' }, (_j, i) => i % 3 === 0],
    ['destination', { destination: 'hooks' }, (_j, i) => i % 4 === 0],
    ['the handlers target', { destination: 'handlers' }, (_j, i) => i % 4 !== 1],
    ['since', { since: at(12) }, (_j, i) => i >= 12],
    ['until', { until: at(12) }, (_j, i) => i < 12],
    ['since and until', { since: at(6), until: at(9) }, (_j, i) => i >= 6 && i < 9],
    ['key', { key: 'key-0' }, (_j, i) => i % 10 === 0],
    ['key and since', { key: 'key-0', since: at(10) }, (_j, i) => i === 10 || i === 20],
    ['payload substring', { q: 'Needle' }, (_j, i) => i === 7],
    ['payload substring, case-sensitive', { q: 'needle' }, () => false],
    [
      'several at once',
      { source: 'github', type: 'push', destination: 'hooks' },
      (_j, i) => i % 2 === 0 && i % 3 === 0 && i % 4 === 0,
    ],
  ];
  for (const [what, filter, keep] of cases) {
    it(`filters by ${what}, in pages too`, async () => {
      const expected = ids(newestFirst(jobs.filter(keep)));
      assert.deepEqual(ids((await listAll(store, filter)).events), expected);
      assert.deepEqual(ids((await listAll(store, filter, 2)).events), expected);
    });
  }

  it('filters by state, the event state folded from its deliveries', async () => {
    const dead = await listAll(store, { state: 'dead' });
    assert.deepEqual(ids(dead.events), [jobs[3]?.id]);
    const delivered = await listAll(store, { state: 'delivered' });
    assert.deepEqual(ids(delivered.events), [jobs[2]?.id]);
    assert.equal((await listAll(store, { state: 'queued' })).events.length, 28);
  });

  it('summarises each event without its payload', async () => {
    const page = await store.events.list({ filter: { key: 'key-0', until: at(0) + 1 }, limit: 1 });
    const j = jobs[0] as JobRecord;
    assert.deepEqual(page.events, [
      {
        id: j.id,
        source: 'github',
        type: 'push',
        state: 'queued',
        receivedAt: j.receivedAt,
        idempotencyKey: 'key-0',
        payloadKept: true,
        deliveries: [
          { target: 'handlers', state: 'queued' },
          { target: 'hooks', state: 'queued' },
        ],
      },
    ]);
  });

  it('a scanning filter reports how many it read', async () => {
    const page = await store.events.list({ filter: { type: 'push' }, limit: 100 });
    assert.equal(page.scanned, 30);
    assert.equal(page.next, undefined);
  });

  it('junk cursors and filters answer an empty page, never an error', async () => {
    for (const cursor of ['', 'x', '123.abc', `${'9'.repeat(15)}.`, '000000000000001.!!']) {
      assert.equal(store.events.isCursor(cursor), false, cursor);
      assert.deepEqual(await store.events.list({ filter: {}, cursor, limit: 5 }), {
        events: [],
        next: undefined,
      });
    }
    for (const filter of [
      { destination: 'a=queued b' },
      { destination: '' },
      { state: 'nonsense' as never },
      { until: -5 },
      { since: 10 ** 16 },
      { key: 'no such key' },
    ]) {
      assert.deepEqual(
        (await store.events.list({ filter, limit: 5 })).events,
        [],
        JSON.stringify(filter),
      );
    }
    assert.equal(await store.events.get(''), undefined);
    assert.equal(await store.events.get('no-such-id'), undefined);
  });
});

describe('Redis event log: bounded scans', () => {
  const queue = testConfig().queueName;
  let store: RedisStore;
  const needles: JobRecord[] = [];

  before(async () => {
    store = await openStore(queue);
    const now = Date.now();
    // Two matches, then 1,500 newer events that do not match.
    for (let i = 0; i < 2; i++) {
      const j = job({ type: 'rare', receivedAt: now - 10_000 + i });
      needles.push(j);
      await store.enqueue(j, undefined);
    }
    await Promise.all(
      Array.from({ length: 1_500 }, (_, i) =>
        store.enqueue(job({ receivedAt: now - 5_000 + i }), undefined),
      ),
    );
  });
  after(async () => {
    await store.close();
    await dropQueue(redis, queue);
  });

  it('a selective filter reads a bounded window per page and says where it stopped', async () => {
    const first = await store.events.list({ filter: { type: 'rare' }, limit: 10 });
    assert.deepEqual(first.events, []);
    assert.equal(first.scanned, 1_000);
    assert.ok(first.next);
    const second = await store.events.list({
      filter: { type: 'rare' },
      cursor: first.next,
      limit: 10,
    });
    assert.deepEqual(ids(second.events), ids(newestFirst(needles)));
    assert.equal(second.scanned, 502);
    assert.equal(second.next, undefined);
  });

  it('until bounds the scan: the window starts inside the range', async () => {
    const page = await store.events.list({
      filter: { type: 'rare', until: (needles[1]?.receivedAt ?? 0) + 1 },
      limit: 10,
    });
    assert.deepEqual(ids(page.events), ids(newestFirst(needles)));
    assert.equal(page.scanned, 2);
  });

  it('a key lookup is direct, whatever the size of the log', async () => {
    const j = job({ idempotencyKey: 'needle-key' });
    await store.enqueue(j, undefined);
    const page = await store.events.list({ filter: { key: 'needle-key' }, limit: 10 });
    assert.deepEqual(ids(page.events), [j.id]);
    assert.equal(page.scanned, undefined, 'nothing scanned');
  });

  it('a key whose text holds separators finds only its own events', async () => {
    const tricky = ['a\u0000b', '1:a', 'a', 'é:1', 'a ', '10:a'];
    const made = new Map<string, JobRecord>();
    for (const key of tricky) {
      const j = job({ idempotencyKey: key });
      made.set(key, j);
      await store.enqueue(j, undefined);
    }
    for (const key of tricky) {
      const page = await store.events.list({ filter: { key }, limit: 10 });
      assert.deepEqual(ids(page.events), [made.get(key)?.id], JSON.stringify(key));
    }
  });

  it('a state filter follows outcomes', async () => {
    const d = await claimOne(store);
    await store.deadLetter(d, 1, 'poison');
    const page = await store.events.list({ filter: { state: 'dead' }, limit: 10 });
    const all = [...page.events];
    let cursor = page.next;
    while (cursor) {
      const more = await store.events.list({ filter: { state: 'dead' }, cursor, limit: 10 });
      all.push(...more.events);
      cursor = more.next;
    }
    assert.deepEqual(ids(all), [d.job.id]);
  });
});

describe('Redis event log: payloads off', () => {
  it('a payload search matches nothing', async () => {
    const queue = testConfig().queueName;
    const store = await openStore(queue, { ...LOG, payloads: false });
    try {
      await store.enqueue(job({ payload: '{"word":"Needle"}' }), undefined);
      assert.deepEqual(await store.events.list({ filter: { q: 'Needle' }, limit: 10 }), {
        events: [],
        next: undefined,
      });
      assert.equal((await store.events.list({ filter: {}, limit: 10 })).events.length, 1);
    } finally {
      await store.close();
      await dropQueue(redis, queue);
    }
  });
});

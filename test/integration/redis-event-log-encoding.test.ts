/**
 * Text the Redis scripts must decode: an event whose key, type or source holds
 * a lone surrogate (JSON.stringify writes one as an escape cjson refuses) is
 * found by its filters and trimmed without leaving its key indexed, also when
 * an older version wrote the escape; a dead-lettered job whose payload holds
 * one keeps its fields in the DLQ and its record turns dead. And a payload
 * search stops after a bounded number of bytes of bodies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventLogOptions } from '../../src/store/event-log.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { claimOne, job } from '../conformance/jobs.js';
import { LOG_ON, redisStores } from '../helpers/redis-stores.js';

const { redis, open } = redisStores();
const openStore = (eventLog: EventLogOptions = LOG_ON, queue?: string) =>
  open({ eventLog, queue, lanes: ['hooks'] });

async function drop(store: RedisStore): Promise<number> {
  const off = await openStore({ ...LOG_ON, maxEvents: 0 }, store.keys.stream);
  return off.events.trim();
}

describe('Redis event log: text the scripts decode', () => {
  it('an event whose key, type and source hold a lone surrogate is found, and trimmed whole', async () => {
    const store = await openStore();
    const j = job({ idempotencyKey: 'k\ud800', type: 't\udc00', source: 's\ud800x' });
    await store.enqueue(j, undefined);
    for (const filter of [{ type: 't\udc00' }, { type: 't\ufffd' }, { source: 's\ud800x' }]) {
      const page = await store.events.list({ filter, limit: 10 });
      assert.deepEqual(
        page.events.map((e) => e.id),
        [j.id],
        JSON.stringify(filter),
      );
    }
    assert.equal((await store.events.get(j.id))?.type, 't\ufffd');
    assert.equal(await drop(store), 1);
    assert.equal(await redis.zcard(store.keys.events.byKey), 0, 'its key is unindexed');
  });

  it('a record an older version wrote with an escaped lone surrogate is filtered and trimmed', async () => {
    const store = await openStore();
    const j = job({ idempotencyKey: 'old\ud800', type: 'x\ud800' });
    await store.enqueue(j, undefined);
    // As before this version: the key's escape in the meta, the key's bytes in the index.
    const ev = store.keys.events;
    const value = (await redis.hget(ev.summary, j.id)) as string;
    const nl = value.indexOf('\n');
    const meta = JSON.parse(value.slice(nl + 1)) as Record<string, unknown>;
    meta.idempotencyKey = 'old\ud800';
    meta.type = 'x\ud800';
    await redis.hset(ev.summary, j.id, `${value.slice(0, nl)}\n${JSON.stringify(meta)}`);
    assert.match((await redis.hget(ev.summary, j.id)) as string, /\\ud800/);
    const page = await store.events.list({ filter: { type: 'x\ufffd' }, limit: 10 });
    assert.deepEqual(
      page.events.map((e) => e.id),
      [j.id],
    );
    assert.equal(await drop(store), 1);
    assert.equal(await redis.zcard(ev.byKey), 0);
  });

  it('a dead letter whose payload holds a lone surrogate keeps its fields, and its record turns dead', async () => {
    const store = await openStore();
    const hooks = store.lane('hooks');
    const j = job({ payload: '{"text":"\ud800"}' });
    await store.enqueue(j, undefined, { handlers: false, destinations: ['hooks'] });
    await hooks.deadLetter(await claimOne(hooks), 1, 'HTTP 400', {
      startedAt: Date.now(),
      durationMs: 1,
      status: 400,
    });
    const [dead] = (await store.deadLetters.list({ filter: { destination: 'hooks' }, limit: 10 }))
      .entries;
    assert.equal(dead?.jobId, j.id);
    assert.equal(dead?.type, j.type);
    assert.equal((await store.events.get(j.id))?.state, 'dead');
  });
});

describe('Redis event log: a payload search is bounded in bytes', () => {
  it('stops after some MiB of bodies and says where, and its pages cover the log', async () => {
    const store = await openStore();
    const jobs = Array.from({ length: 8 }, (_, i) =>
      job({ receivedAt: Date.now() - 1_000 + i, payload: 'x'.repeat(1024 * 1024) }),
    );
    for (const j of jobs) await store.enqueue(j, undefined);
    const first = await store.events.list({ filter: { q: 'needle' }, limit: 10 });
    assert.deepEqual(first.events, []);
    assert.ok(first.next, 'stopped early');
    assert.ok((first.scanned ?? 0) >= 1 && (first.scanned ?? 0) <= 5, `${first.scanned}`);
    let scanned = first.scanned ?? 0;
    let cursor: string | undefined = first.next;
    while (cursor) {
      const page = await store.events.list({ filter: { q: 'needle' }, limit: 10, cursor });
      scanned += page.scanned ?? 0;
      cursor = page.next;
    }
    assert.equal(scanned, jobs.length, 'each event read once');
  });
});

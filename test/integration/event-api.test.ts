/**
 * The event-log admin API over HTTP, on both stores, against real receivers:
 * search by every field, one event with its deliveries and attempts, replay of
 * a delivered event (to all its destinations and to one), a bulk dry run that
 * counts what the real run then replays, the per-minute history, and the
 * errors: catalogue codes for bad input, 401 without the token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { postWebhook } from '../helpers/http.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'ADMINtokenVALUE-events-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const STORE_ENV: Record<string, (dir: string) => Record<string, string>> = {
  redis: () => ({}),
  sqlite: (dir) => ({ STORE: 'sqlite', DATA_DIR: join(dir, 'data') }),
};

interface Summary {
  id: string;
  source: string;
  type: string;
  state: string;
  received_at: string;
  idempotency_key: string | null;
  duplicate_of: string | null;
  destinations: { name: string; state: string }[];
}

interface Detail extends Summary {
  payload_kept: boolean;
  payload: unknown;
  headers: Record<string, string>;
  deliveries: {
    destination: string;
    state: string;
    attempts: { at: string; outcome: string; status: number | null; duration_ms: number | null }[];
  }[];
}

for (const [storeName, storeEnv] of Object.entries(STORE_ENV)) {
  describe(`event log API: ${storeName}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-event-api-'));
    let shop: Receiver;
    let crm: Receiver;
    let service: Service;
    let queueName: string;

    before(async () => {
      shop = await startReceiver();
      crm = await startReceiver();
      const configFile = join(dir, 'config.yaml');
      writeFileSync(
        configFile,
        `destinations:\n  shop: { url: ${shop.url} }\n  crm: { url: ${crm.url} }\nroutes:\n  - { source: "*", to: [shop, crm] }\n`,
      );
      const config = testConfig({
        ...storeEnv(dir),
        CONFIG_FILE: configFile,
        ADMIN_TOKEN: TOKEN,
        WORKER_COUNT: '2',
      });
      queueName = config.queueName;
      service = await startedService(config);
    });
    after(async () => {
      await service.stop(2_000);
      await Promise.all([shop.close(), crm.close()]);
      const redis = redisClient();
      await dropQueue(redis, queueName);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    });

    const req = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      service.app.inject({
        method,
        url,
        headers: {
          ...auth,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });

    async function send(body: object, headers: Record<string, string> = {}): Promise<string> {
      const res = await postWebhook(service.app, body, headers);
      assert.equal(res.statusCode, 202, res.body);
      return res.json().id as string;
    }

    async function detail(id: string): Promise<Detail> {
      const res = await req('GET', `/admin/events/${id}`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as Detail;
    }

    /** Every event a query selects, following next_cursor (pages may be short on Redis). */
    async function search(query: string): Promise<Summary[]> {
      const out: Summary[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 1_000; i++) {
        const res = await req(
          'GET',
          `/admin/events?limit=3&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        assert.equal(res.statusCode, 200, res.body);
        out.push(...res.json().items);
        cursor = res.json().next_cursor;
        if (!cursor) return out;
      }
      throw new Error('paging did not end');
    }

    const delivered = (id: string) =>
      waitFor(async () => (await detail(id)).state === 'delivered', { what: `${id} delivered` });

    it('records an event with its deliveries and each attempt', async () => {
      const id = await send(
        { type: 'order.created', data: { order: 'ord_1' } },
        { 'idempotency-key': 'evt_api_1' },
      );
      await delivered(id);
      const e = await detail(id);
      assert.equal(e.type, 'order.created');
      assert.equal(e.source, 'default');
      assert.equal(e.idempotency_key, 'evt_api_1');
      assert.equal(e.payload_kept, true);
      assert.deepEqual(e.payload, { type: 'order.created', data: { order: 'ord_1' } });
      assert.deepEqual(
        e.deliveries.map((d) => [d.destination, d.state]),
        [
          ['shop', 'delivered'],
          ['crm', 'delivered'],
        ],
      );
      for (const d of e.deliveries) {
        assert.equal(d.attempts.length, 1);
        assert.equal(d.attempts[0]?.outcome, 'delivered');
        assert.equal(d.attempts[0]?.status, 200);
        assert.equal(typeof d.attempts[0]?.duration_ms, 'number');
      }
      assert.deepEqual(
        e.destinations.map((d) => d.name),
        ['shop', 'crm'],
      );
    });

    it('searches by every field', async () => {
      const marker = `m${Math.random().toString(16).slice(2, 10)}`;
      const before = new Date().toISOString();
      const a = await send({ type: 'search.alpha', marker }, { 'idempotency-key': `${marker}-a` });
      const b = await send({ type: 'search.beta', marker, deep: { needle: `${marker}-needle` } });
      await Promise.all([delivered(a), delivered(b)]);
      const ids = async (q: string) => (await search(q)).map((e) => e.id);
      assert.deepEqual(await ids('type=search.alpha'), [a]);
      assert.deepEqual(await ids(`key=${marker}-a`), [a]);
      assert.deepEqual(await ids(`q=${marker}-needle`), [b]);
      assert.deepEqual(await ids(`q=${marker}`), [b, a], 'newest first');
      assert.deepEqual(await ids(`id=${a}`), [a]);
      assert.deepEqual(await ids(`id=${a}&type=search.beta`), [], 'the other fields still apply');
      assert.deepEqual(await ids(`since=${before}&q=${marker}`), [b, a]);
      assert.deepEqual(await ids(`until=${before}&q=${marker}`), []);
      assert.deepEqual(await ids(`state=delivered&q=${marker}`), [b, a]);
      assert.deepEqual(await ids(`state=dead&q=${marker}`), []);
      assert.deepEqual(await ids(`destination=shop&q=${marker}`), [b, a]);
      assert.deepEqual(await ids(`destination=handlers&q=${marker}`), []);
      assert.deepEqual(await ids(`source=default&type=search.beta`), [b]);
    });

    it('replays a delivered event to every destination, and then to one', async () => {
      const id = await send({ type: 'replay.me', n: 1 });
      await delivered(id);
      const shopBefore = shop.received.length;
      const crmBefore = crm.received.length;
      let res = await req('POST', `/admin/events/${id}/replay`);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { id, status: 'queued', destinations: ['shop', 'crm'] });
      await waitFor(
        async () =>
          (await detail(id)).deliveries.every(
            (d) => d.state === 'delivered' && d.attempts.length === 2,
          ),
        { what: 'a second attempt on each destination' },
      );
      assert.equal(shop.received.length, shopBefore + 1);
      assert.equal(crm.received.length, crmBefore + 1);
      res = await req('POST', `/admin/events/${id}/replay`, { destination: 'crm' });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().destinations, ['crm']);
      await waitFor(() => crm.received.length === crmBefore + 2, { what: 'the crm replay' });
      const e = await detail(id);
      assert.equal(e.deliveries.find((d) => d.destination === 'shop')?.attempts.length, 2);
      await waitFor(
        async () =>
          (await detail(id)).deliveries.find((d) => d.destination === 'crm')?.attempts.length === 3,
        { what: 'the third crm attempt recorded' },
      );
      assert.equal(shop.received.length, shopBefore + 1, 'shop was not sent the crm replay');
    });

    it('a bulk dry run counts exactly what the real run then replays', async () => {
      const type = `bulk.${Math.random().toString(16).slice(2, 8)}`;
      const ids = [];
      for (let i = 0; i < 7; i++) ids.push(await send({ type, i }));
      for (const id of ids) await delivered(id);
      const dry = await req('POST', '/admin/events/replay', { type, dry_run: true, max: 3 });
      assert.equal(dry.statusCode, 200, dry.body);
      // max bounds one call: follow the cursor as a client would.
      let counted = dry.json().replayed as number;
      let answer = dry.json();
      while (!answer.done) {
        const next = await req('POST', '/admin/events/replay', {
          type,
          dry_run: true,
          max: 3,
          as_of: answer.as_of,
          cursor: answer.cursor,
        });
        answer = next.json();
        counted += answer.replayed;
      }
      assert.equal(counted, 7);
      // An event arriving after the dry run is outside its as_of. Counted from
      // before it is sent: its delivery may land before its 202 does.
      const before = shop.received.length;
      await send({ type, late: true });
      const real = await req('POST', '/admin/events/replay', {
        type,
        as_of: dry.json().as_of,
        max: 100,
      });
      assert.equal(real.statusCode, 200, real.body);
      assert.equal(real.json().replayed, counted);
      assert.equal(real.json().done, true);
      assert.equal(real.json().dry_run, false);
      await waitFor(() => shop.received.length >= before + 7 + 1, {
        what: 'the replays (and the late event) at the shop',
      });
    });

    it('a suppressed duplicate is logged, and replaying it is refused', async () => {
      const key = `dup-${Math.random()}`;
      const first = await send({ type: 'dup.test' }, { 'idempotency-key': key });
      const res = await postWebhook(service.app, { type: 'dup.test' }, { 'idempotency-key': key });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json().status, 'duplicate');
      const events = await search(`key=${encodeURIComponent(key)}`);
      assert.equal(events.length, 2);
      const dup = events.find((e) => e.id !== first);
      assert.equal(dup?.state, 'duplicate');
      assert.equal(dup?.duplicate_of, first);
      const replay = await req('POST', `/admin/events/${dup?.id}/replay`);
      assert.equal(replay.statusCode, 409);
      assert.equal(replay.json().error.code, 'event_not_replayable');
    });

    it('answers bad input with catalogue codes', async () => {
      const code = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
        const res = await req(method, url, body);
        return [res.statusCode, res.json().error?.code];
      };
      assert.deepEqual(await code('GET', '/admin/events?state=bogus'), [400, 'invalid_filter']);
      assert.deepEqual(await code('GET', '/admin/events?since=yesterday'), [400, 'invalid_filter']);
      assert.deepEqual(await code('GET', '/admin/events?colour=red'), [400, 'invalid_filter']);
      assert.deepEqual(await code('GET', '/admin/events?limit=0'), [400, 'invalid_filter']);
      assert.deepEqual(await code('GET', '/admin/events?q=%00ab'), [400, 'invalid_filter']);
      assert.deepEqual(await code('GET', `/admin/events?q=${'x'.repeat(129)}`), [
        400,
        'invalid_filter',
      ]);
      assert.deepEqual(await code('GET', '/admin/events?cursor=junk%00'), [400, 'invalid_cursor']);
      assert.deepEqual(
        await code('GET', '/admin/events?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z'),
        [400, 'invalid_filter'],
      );
      assert.deepEqual(await code('GET', '/admin/events/nope'), [404, 'event_not_found']);
      assert.deepEqual(await code('GET', `/admin/events/${'x'.repeat(500)}`), [
        404,
        'event_not_found',
      ]);
      assert.deepEqual(await code('POST', '/admin/events/nope/replay'), [404, 'event_not_found']);
      const id = await send({ type: 'bad.input' });
      assert.deepEqual(await code('POST', `/admin/events/${id}/replay`, { destination: 'gone' }), [
        404,
        'unknown_destination',
      ]);
      assert.deepEqual(await code('POST', `/admin/events/${id}/replay`, { colour: 'red' }), [
        400,
        'invalid_filter',
      ]);
      assert.deepEqual(await code('POST', '/admin/events/replay', { state: 'bogus' }), [
        400,
        'invalid_filter',
      ]);
      assert.deepEqual(await code('POST', '/admin/events/replay', { cursor: 'junk%00' }), [
        400,
        'invalid_cursor',
      ]);
      assert.deepEqual(await code('GET', '/admin/stats/history?window=7d'), [
        400,
        'invalid_filter',
      ]);
    });

    it('keeps per-minute history: accepted, delivered per destination, rejected by class', async () => {
      const id = await send({ type: 'history.test' });
      await delivered(id);
      // A refusal at the edge: invalid JSON.
      const bad = await postWebhook(service.app, '{not json');
      assert.equal(bad.statusCode, 400);
      const h = await waitFor(
        async () => {
          const res = await req('GET', '/admin/stats/history?window=1h');
          assert.equal(res.statusCode, 200, res.body);
          const body = res.json();
          const sum = (xs: number[] | undefined) => (xs ?? []).reduce((n, x) => n + x, 0);
          return sum(body.series.rejected['4xx']) >= 1 ? body : undefined;
        },
        { what: 'the refusal in the history', timeoutMs: 15_000 },
      );
      assert.equal(h.minutes.length, 60);
      assert.equal(h.series.accepted.length, 60);
      const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);
      assert.ok(sum(h.series.accepted) >= 1);
      assert.ok(sum(h.series.delivered.shop) >= 1);
      assert.ok(sum(h.series.delivered.crm) >= 1);
      const day = await req('GET', '/admin/stats/history?window=24h');
      assert.equal(day.json().minutes.length, 1_440);
    });

    it('is closed without the token', async () => {
      for (const url of ['/admin/events', '/admin/events/x', '/admin/stats/history']) {
        const res = await service.app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 401, url);
      }
      const res = await service.app.inject({ method: 'POST', url: '/admin/events/replay' });
      assert.equal(res.statusCode, 401);
    });
  });
}

describe('event log API without payloads', () => {
  it('keeps no payload, and a replay says why it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-event-api-nopayload-'));
    const service = await startedService(
      testConfig({
        STORE: 'sqlite',
        DATA_DIR: dir,
        ADMIN_TOKEN: TOKEN,
        EVENT_LOG_PAYLOADS: 'false',
        WORKER_COUNT: '1',
      }),
    );
    try {
      const res = await postWebhook(service.app, { type: 'secret.thing', card: '4242' });
      const id = res.json().id as string;
      const e = await service.app.inject({
        method: 'GET',
        url: `/admin/events/${id}`,
        headers: auth,
      });
      assert.equal(e.statusCode, 200);
      assert.equal(e.json().payload_kept, false);
      assert.equal(e.json().payload, null);
      assert.ok(!e.body.includes('4242'));
      const replay = await service.app.inject({
        method: 'POST',
        url: `/admin/events/${id}/replay`,
        headers: auth,
      });
      assert.equal(replay.statusCode, 409);
      assert.equal(replay.json().error.code, 'event_not_replayable');
    } finally {
      await service.stop(2_000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The DLQ admin API over HTTP, on both stores: listing with filters and
 * cursors, one entry with redacted headers, replay (once), bulk replay in runs,
 * delete, and the purge that needs confirmation. Errors carry catalogue codes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PermanentError } from '../../src/handlers/handler.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import { postWebhook } from '../helpers/http.js';
import { serviceForSuite, withService } from '../helpers/service.js';
import { SECRETS, signedDelivery, sourcesEnv, writeSourcesFile } from '../helpers/sources.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'ADMINtokenVALUE-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

const STORE_ENV: Record<string, () => Record<string, string>> = {
  redis: () => ({}),
  sqlite: () => ({ STORE: 'sqlite', DATA_DIR: mkdtempSync(join(tmpdir(), 'wp-dlq-api-')) }),
};

type Item = { id: string; job_id: string; event_type: string; source: string };

for (const [storeName, storeEnv] of Object.entries(STORE_ENV)) {
  describe(`DLQ admin API: ${storeName}`, () => {
    /** Jobs of a `flaky` type fail until healed; `doomed` ones always fail. */
    let healed = false;
    const completed = new Set<string>();
    const handlers = new HandlerRegistry(async (job) => {
      if (job.type.startsWith('doomed') || (job.type.startsWith('flaky') && !healed)) {
        throw new PermanentError(`cannot handle ${job.type}`);
      }
      completed.add(job.id);
    });
    const suite = serviceForSuite(
      {
        ...storeEnv(),
        WORKER_COUNT: '4',
        MAX_RETRIES: '0',
        ADMIN_TOKEN: TOKEN,
        ...sourcesEnv(),
        SOURCES_FILE: writeSourcesFile(),
      },
      { handlers },
    );

    const req = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
      suite.service.app.inject({
        method,
        url,
        headers: {
          ...auth,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const dlqSize = async () => (await suite.service.store.stats()).dead;
    const listAll = async (query = ''): Promise<Item[]> => {
      const out: Item[] = [];
      let cursor: string | null = null;
      do {
        const res = await req(
          'GET',
          `/admin/dlq?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(res.statusCode, 200, res.body);
        out.push(...res.json().items);
        cursor = res.json().next_cursor;
      } while (cursor);
      return out;
    };
    /** Posts `n` webhooks of `type` and waits until they are all dead. */
    async function fail(type: string, n: number): Promise<void> {
      const before = await dlqSize();
      for (let i = 0; i < n; i++) {
        const res = await postWebhook(suite.service.app, { n: i }, { 'x-event-type': type });
        assert.equal(res.statusCode, 202);
      }
      await waitFor(async () => (await dlqSize()) === before + n, { what: `${n} dead letters` });
    }

    it('refuses every DLQ route without the token', async () => {
      for (const [method, url] of [
        ['GET', '/admin/dlq'],
        ['GET', '/admin/dlq/1'],
        ['POST', '/admin/dlq/1/replay'],
        ['POST', '/admin/dlq/replay'],
        ['DELETE', '/admin/dlq/1'],
        ['DELETE', '/admin/dlq?confirm=true'],
      ] as const) {
        const res = await suite.service.app.inject({ method, url });
        assert.equal(res.statusCode, 401, `${method} ${url}`);
        assert.equal(res.json().error.code, 'unauthorized');
      }
    });

    it('lists dead letters with their facts, paged by cursor and filtered', async () => {
      const started = new Date().toISOString();
      await fail('doomed', 3);
      const all = await listAll();
      assert.equal(all.length, 3);
      const [first] = all;
      assert.ok(first);
      assert.deepEqual(Object.keys(first).sort(), [
        'attempts',
        'destination',
        'event_type',
        'failed_at',
        'first_seen',
        'id',
        'job_id',
        'last_error',
        'source',
      ]);
      assert.equal(first.event_type, 'doomed');
      assert.equal(first.source, 'default');
      const full = first as unknown as Record<string, unknown>;
      assert.equal(full.destination, null, "a handler's job names no destination");
      assert.equal(full.attempts, 1);
      assert.equal(full.last_error, 'PermanentError: cannot handle doomed');
      assert.ok(String(full.failed_at) >= started);
      assert.equal((await listAll('&type=doomed')).length, 3);
      assert.equal((await listAll('&type=other')).length, 0);
      assert.equal((await listAll('&source=default')).length, 3);
      assert.equal((await listAll(`&failed_after=${encodeURIComponent(started)}`)).length, 3);
      assert.equal((await listAll(`&failed_before=${encodeURIComponent(started)}`)).length, 0);
    });

    it('answers 400 with a stable code for bad filters, cursors and parameters', async () => {
      for (const [query, code] of [
        ['type=%20bad%20', 'invalid_filter'],
        ['source=Not%20A%20Source', 'invalid_filter'],
        ['failed_after=yesterday', 'invalid_filter'],
        ['failed_after=2026-01-02T00:00:00Z&failed_before=2026-01-01T00:00:00Z', 'invalid_filter'],
        ['limit=0', 'invalid_filter'],
        ['limit=501', 'invalid_filter'],
        ['typ=doomed', 'invalid_filter'],
        ['cursor=not-a-cursor', 'invalid_cursor'],
      ]) {
        const res = await req('GET', `/admin/dlq?${query}`);
        assert.equal(res.statusCode, 400, query);
        assert.equal(res.json().error.code, code, query);
      }
    });

    it('shows one entry with its payload and headers, signatures redacted; 404 when unknown', async () => {
      const delivery = await signedDelivery('stripe', { type: 'doomed', id: `evt_${storeName}` });
      const before = await dlqSize();
      const posted = await suite.service.app.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        headers: { ...delivery.headers, 'user-agent': 'Stripe/1.0', authorization: 'Bearer abc' },
        payload: delivery.body,
      });
      assert.equal(posted.statusCode, 202, posted.body);
      await waitFor(async () => (await dlqSize()) === before + 1, { what: 'the dead letter' });
      const [item] = await listAll('&source=stripe');
      assert.ok(item);
      const res = await req('GET', `/admin/dlq/${item.id}`);
      assert.equal(res.statusCode, 200);
      const entry = res.json();
      assert.equal(entry.job_id, posted.json().id);
      assert.equal(entry.idempotency_key, `evt_${storeName}`);
      assert.deepEqual(entry.payload, JSON.parse(delivery.body));
      assert.equal(entry.headers['user-agent'], 'Stripe/1.0');
      assert.equal(entry.headers['stripe-signature'], '[redacted]');
      assert.equal(entry.headers.authorization, '[redacted]');
      assert.ok(!res.body.includes(delivery.headers['stripe-signature'] as string));
      assert.ok(!res.body.includes(SECRETS.stripe.current));
      for (const id of ['999999999', 'nope', '1-0']) {
        const missing = await req('GET', `/admin/dlq/${id}`);
        assert.equal(missing.statusCode, 404, id);
        assert.equal(missing.json().error.code, 'dlq_entry_not_found');
      }
    });

    it('replays one entry once: it runs again with a fresh attempt count', async () => {
      healed = false;
      await fail('flaky.one', 1);
      const [item] = await listAll('&type=flaky.one');
      assert.ok(item);
      healed = true;
      const res = await req('POST', `/admin/dlq/${item.id}/replay`);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { id: item.id, job_id: item.job_id, status: 'queued' });
      const again = await req('POST', `/admin/dlq/${item.id}/replay`);
      assert.equal(again.statusCode, 404);
      assert.equal(again.json().error.code, 'dlq_entry_not_found');
      await waitFor(() => completed.has(item.job_id), { what: 'the replayed job to complete' });
      assert.deepEqual(await listAll('&type=flaky.one'), []);
    });

    it('bulk-replays matching entries in runs the client continues, leaving others dead', async () => {
      healed = false;
      await fail('flaky.many', 5);
      healed = true;
      const doomedBefore = (await listAll('&type=doomed')).length;
      const first = await req('POST', '/admin/dlq/replay', { type: 'flaky.many', max: 2 });
      assert.equal(first.statusCode, 200, first.body);
      const r1 = first.json();
      assert.equal(r1.replayed, 2);
      assert.equal(r1.done, false);
      assert.ok(r1.up_to && r1.cursor);
      const second = await req('POST', '/admin/dlq/replay', {
        type: 'flaky.many',
        up_to: r1.up_to,
        cursor: r1.cursor,
      });
      assert.deepEqual(second.json(), {
        replayed: 3,
        skipped: 0,
        done: true,
        up_to: r1.up_to,
        cursor: null,
      });
      await waitFor(async () => (await listAll('&type=flaky.many')).length === 0, {
        what: 'no flaky.many left',
      });
      assert.equal((await listAll('&type=doomed')).length, doomedBefore, 'others stay dead');
      for (const [body, code] of [
        [{ typ: 'flaky.many' }, 'invalid_filter'],
        [{ max: 0 }, 'invalid_filter'],
        [{ up_to: 'bogus' }, 'invalid_cursor'],
      ] as const) {
        const res = await req('POST', '/admin/dlq/replay', body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.equal(res.json().error.code, code);
      }
    });

    it("bulk-replays a run driven by passing each answer's up_to and cursor back as is, nulls included", async () => {
      healed = false;
      await fail('flaky.verbatim', 3);
      healed = true;
      // A client that copies the answer's fields into the next request, starting from nulls.
      let progress: { up_to: unknown; cursor: unknown } = { up_to: null, cursor: null };
      let replayed = 0;
      for (let i = 0; i < 5; i++) {
        const res = await req('POST', '/admin/dlq/replay', {
          type: 'flaky.verbatim',
          max: 2,
          ...progress,
        });
        assert.equal(res.statusCode, 200, res.body);
        const r = res.json();
        replayed += r.replayed;
        progress = { up_to: r.up_to, cursor: r.cursor };
        if (r.done) break;
      }
      assert.equal(replayed, 3);
      assert.equal(progress.cursor, null);
      // The last answer passed back as is: `"cursor":null` means from the start; nothing is left.
      const again = await req('POST', '/admin/dlq/replay', { type: 'flaky.verbatim', ...progress });
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().replayed, 0);
      await waitFor(async () => (await listAll('&type=flaky.verbatim')).length === 0, {
        what: 'no flaky.verbatim left',
      });
    });

    it('deletes one entry, and purges a filter only with confirm=true', async () => {
      await fail('doomed.purge', 3);
      const [one, ...rest] = await listAll('&type=doomed.purge');
      assert.ok(one);
      const del = await req('DELETE', `/admin/dlq/${one.id}`);
      assert.equal(del.statusCode, 204);
      assert.equal((await req('DELETE', `/admin/dlq/${one.id}`)).statusCode, 404);
      const unconfirmed = await req('DELETE', '/admin/dlq?type=doomed.purge');
      assert.equal(unconfirmed.statusCode, 400);
      assert.equal(unconfirmed.json().error.code, 'confirmation_required');
      assert.equal((await listAll('&type=doomed.purge')).length, rest.length, 'nothing deleted');
      const typo = await req('DELETE', '/admin/dlq?typ=doomed.purge&confirm=true');
      assert.equal(typo.json().error.code, 'invalid_filter', 'a misspelt filter purges nothing');
      const doomed = (await listAll('&type=doomed')).length;
      const purged = await req('DELETE', '/admin/dlq?type=doomed.purge&confirm=true');
      assert.equal(purged.statusCode, 200);
      assert.equal(purged.json().purged, rest.length);
      assert.equal(purged.json().done, true);
      assert.equal((await listAll('&type=doomed.purge')).length, 0);
      assert.equal((await listAll('&type=doomed')).length, doomed, 'only the filter is purged');
    });
  });
}

for (const [storeName, storeEnv] of Object.entries(STORE_ENV)) {
  describe(`POST /admin/dlq/replay without a body: ${storeName}`, () => {
    it('takes no body, or an empty one, as {} (every field is optional)', async () => {
      await withService(
        { ...storeEnv(), WORKER_COUNT: '0', ADMIN_TOKEN: TOKEN },
        async (service) => {
          for (const headers of [
            {},
            { 'content-length': '0' },
            { 'content-type': 'application/json' },
            { 'content-type': 'application/json', 'content-length': '0' },
          ]) {
            const res = await service.app.inject({
              method: 'POST',
              url: '/admin/dlq/replay',
              headers: { ...auth, ...headers },
            });
            assert.equal(res.statusCode, 200, `${JSON.stringify(headers)}: ${res.body}`);
            assert.deepEqual(res.json(), {
              replayed: 0,
              skipped: 0,
              done: true,
              up_to: null,
              cursor: null,
            });
            // Its up_to and cursor passed back as is.
            const { up_to, cursor } = res.json();
            const verbatim = await service.app.inject({
              method: 'POST',
              url: '/admin/dlq/replay',
              headers: { ...auth, 'content-type': 'application/json' },
              payload: JSON.stringify({ up_to, cursor }),
            });
            assert.equal(verbatim.statusCode, 200, verbatim.body);
          }
          // An empty body is still refused where a body is required.
          const ingest = await service.app.inject({
            method: 'POST',
            url: '/webhooks',
            headers: { 'content-type': 'application/json' },
            payload: '',
          });
          assert.equal(ingest.json().error.code, 'empty_body');
          // And a body that is not JSON is still 415.
          const text = await service.app.inject({
            method: 'POST',
            url: '/admin/dlq/replay',
            headers: { ...auth, 'content-type': 'text/plain' },
            payload: 'x',
          });
          assert.equal(text.statusCode, 415);
        },
      );
    });
  });
}

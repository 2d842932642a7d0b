/**
 * POST /webhooks/:source against a real Redis: verified deliveries become jobs
 * named by the provider's event type and delivery id; every failure is one
 * generic 401 and queues nothing.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import type { JobRecord } from '../../src/store/store.js';
import { replyToOversizedAnnouncement } from '../helpers/http.js';
import { captureLogs } from '../helpers/logs.js';
import { serviceForSuite, withService } from '../helpers/service.js';
import {
  type Delivery,
  SECRETS,
  SIGNATURE_HEADERS,
  signedDelivery,
  sourcesEnv,
  TEST_SOURCES,
  type TestSource,
  TIMESTAMPED,
  writeSourcesFile,
} from '../helpers/sources.js';
import { waitFor } from '../helpers/wait.js';

function postSource(service: Service, source: string, d: Delivery) {
  return service.app.inject({
    method: 'POST',
    url: `/webhooks/${source}`,
    headers: d.headers,
    payload: d.body,
  });
}

const uid = () => Math.random().toString(36).slice(2, 10);

describe('POST /webhooks/:source', () => {
  const logs = captureLogs('debug');
  const suite = serviceForSuite(
    { ...sourcesEnv(), SOURCES_FILE: writeSourcesFile(), WORKER_COUNT: '0', BODY_LIMIT: '4KiB' },
    { log: logs.log },
  );
  const { config, redis } = suite;
  const streamLength = () => redis.xlen(config.queueName);
  const newestJob = async (): Promise<JobRecord> => {
    const [entry] = (await redis.xrevrange(config.queueName, '+', '-', 'COUNT', 1)) as [
      string,
      string[],
    ][];
    assert.ok(entry);
    return JSON.parse(entry[1][entry[1].indexOf('job') + 1] as string);
  };

  const expected: Record<TestSource, string> = {
    stripe: 'invoice.paid',
    github: 'push',
    shopify: 'orders/create',
    slack: 'app_mention',
    'standard-webhooks': 'user.created',
    svix: 'invoice.created',
    hmac: 'order.shipped',
    'hmac-hex': 'order.packed',
  };

  for (const source of TEST_SOURCES) {
    it(`${source}: queues a verified delivery under the provider's type and id, once`, async () => {
      const id = `dlv_${uid()}`;
      const d = await signedDelivery(source, { type: expected[source], id });
      const before = await streamLength();
      const first = await postSource(suite.service, source, d);
      assert.equal(first.statusCode, 202, first.body);
      assert.equal(first.json().status, 'queued');
      assert.equal(first.json().event, expected[source]);
      const job = await newestJob();
      assert.equal(job.id, first.json().id);
      assert.equal(job.source, source);
      assert.equal(job.type, expected[source]);
      assert.equal(job.idempotencyKey, id);
      assert.equal(job.payload, d.body, 'the body is stored exactly as received');

      // The provider retries the same delivery: one job, the original id.
      const again = await postSource(suite.service, source, d);
      assert.equal(again.statusCode, 202);
      assert.equal(again.json().status, 'duplicate');
      assert.equal(again.json().id, first.json().id);
      assert.equal(await streamLength(), before + 1);
    });
  }

  it('scopes delivery ids per source: the same id from two providers is two jobs', async () => {
    const id = `shared_${uid()}`;
    const before = await streamLength();
    const a = await postSource(
      suite.service,
      'github',
      await signedDelivery('github', { type: 'push', id }),
    );
    const b = await postSource(
      suite.service,
      'shopify',
      await signedDelivery('shopify', { type: 'orders/paid', id }),
    );
    assert.equal(a.json().status, 'queued');
    assert.equal(b.json().status, 'queued');
    assert.equal(await streamLength(), before + 2);
  });

  it('answers an unknown source 404 unknown_source before reading the body', async () => {
    const res = await suite.service.app.inject({
      method: 'POST',
      url: '/webhooks/paypal',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'unknown_source');
  });

  describe('every failure is the same 401 and queues nothing', () => {
    const failures: [string, (s: TestSource) => Promise<Delivery>][] = [
      [
        'a missing signature header',
        async (s) => {
          const d = await signedDelivery(s, { type: 'x.y', id: uid() });
          for (const h of SIGNATURE_HEADERS[s]) delete d.headers[h];
          return d;
        },
      ],
      [
        'a malformed signature header',
        async (s) => {
          const d = await signedDelivery(s, { type: 'x.y', id: uid() });
          d.headers[SIGNATURE_HEADERS[s].at(-1) as string] = 'not-a-signature';
          return d;
        },
      ],
      [
        'a wrong secret',
        (s) => signedDelivery(s, { type: 'x.y', id: uid(), secret: SECRETS[s].other }),
      ],
      [
        'a body changed by one byte',
        async (s) => {
          const d = await signedDelivery(s, { type: 'x.y', id: uid() });
          return { ...d, body: d.body.replace('{', '{ ') };
        },
      ],
      [
        'a stale timestamp',
        (s) =>
          signedDelivery(s, {
            type: 'x.y',
            id: uid(),
            timestamp: Math.floor(Date.now() / 1000) - 3600,
          }),
      ],
      [
        'a future timestamp',
        (s) =>
          signedDelivery(s, {
            type: 'x.y',
            id: uid(),
            timestamp: Math.floor(Date.now() / 1000) + 3600,
          }),
      ],
      [
        'a delivery signed for another source',
        async (s) => {
          const other: TestSource = s === 'github' ? 'shopify' : 'github';
          return signedDelivery(other, { type: 'x.y', id: uid() });
        },
      ],
    ];
    for (const [what, make] of failures) {
      it(what, async () => {
        const before = await streamLength();
        const bodies = new Set<string>();
        for (const source of TEST_SOURCES) {
          if (what.includes('timestamp') && !TIMESTAMPED.has(source)) continue;
          const res = await postSource(suite.service, source, await make(source));
          assert.equal(res.statusCode, 401, `${source}: ${res.body}`);
          assert.equal(res.json().error.code, 'invalid_signature');
          bodies.add(res.body);
        }
        assert.equal(bodies.size, 1, 'the response never says which part failed');
        assert.equal(await streamLength(), before);
      });
    }

    it('judges the signature before the body: an unsigned non-JSON body is 401, not 400/415', async () => {
      for (const [type, payload] of [
        ['application/json', '{"broken":'],
        ['text/plain', 'hello'],
        ['application/json', ''],
      ] as const) {
        const res = await suite.service.app.inject({
          method: 'POST',
          url: '/webhooks/github',
          headers: { 'content-type': type },
          payload,
        });
        assert.equal(res.statusCode, 401, `${type} ${payload}`);
      }
    });

    it('logs the reason at debug, without the secret or the signature', async () => {
      const d = await signedDelivery('stripe', {
        type: 'x.y',
        id: uid(),
        timestamp: Math.floor(Date.now() / 1000) - 3600,
      });
      await postSource(suite.service, 'stripe', d);
      const line = logs.lines.find(
        (l) => l.msg === 'webhook signature not verified' && l.reason === 'stale_timestamp',
      );
      assert.ok(line, 'a debug line with the reason');
      assert.equal(line.level, 20);
      assert.equal(line.source, 'stripe');
      assert.equal(line.header, 'stripe-signature');
      const text = logs.text();
      for (const s of TEST_SOURCES) {
        assert.ok(!text.includes(SECRETS[s].current));
        assert.ok(!text.includes(SECRETS[s].previous));
      }
      assert.ok(!text.includes(d.headers['stripe-signature'] as string));
    });

    it('counts failures per configured source in /metrics', async () => {
      const text = (await suite.service.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(text, /webhook_signature_failures_total\{source="stripe"\} [1-9]/);
      assert.match(text, /webhooks_rejected_total\{code="invalid_signature"\} [1-9]/);
    });
  });

  describe('once verified', () => {
    it('answers Slack url_verification with the challenge and queues nothing', async () => {
      const before = await streamLength();
      const d = await signedDelivery('slack', {
        type: '',
        id: '',
        body: JSON.stringify({ token: 't', challenge: 'c3po-r2d2', type: 'url_verification' }),
      });
      const res = await postSource(suite.service, 'slack', d);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { challenge: 'c3po-r2d2' });
      assert.equal(await streamLength(), before);
    });

    it('does not answer an unsigned url_verification', async () => {
      const res = await suite.service.app.inject({
        method: 'POST',
        url: '/webhooks/slack',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ challenge: 'x', type: 'url_verification' }),
      });
      assert.equal(res.statusCode, 401);
    });

    it('then judges content type and JSON: 415, 400', async () => {
      const text = await signedDelivery('github', { type: 'push', id: uid(), body: 'a=1' });
      text.headers['content-type'] = 'application/x-www-form-urlencoded';
      assert.equal(
        (await postSource(suite.service, 'github', text)).json().error.code,
        'unsupported_media_type',
      );
      const utf16 = await signedDelivery('github', { type: 'push', id: uid(), body: '{"a":1}' });
      utf16.headers['content-type'] = 'application/json; charset=utf-16';
      assert.equal(
        (await postSource(suite.service, 'github', utf16)).json().error.code,
        'unsupported_media_type',
      );
      const broken = await signedDelivery('github', { type: 'push', id: uid(), body: '{"a":' });
      assert.equal(
        (await postSource(suite.service, 'github', broken)).json().error.code,
        'invalid_json',
      );
      const array = await signedDelivery('github', { type: 'push', id: uid(), body: '[1]' });
      assert.equal(
        (await postSource(suite.service, 'github', array)).json().error.code,
        'invalid_body',
      );
    });

    it("refuses a provider's type or id that cannot name a job", async () => {
      const badType = await signedDelivery('github', { type: 'push event!', id: uid() });
      const r1 = await postSource(suite.service, 'github', badType);
      assert.equal(r1.statusCode, 400);
      assert.equal(r1.json().error.code, 'invalid_event_type');
      const badId = await signedDelivery('github', { type: 'push', id: 'x'.repeat(300) });
      const r2 = await postSource(suite.service, 'github', badId);
      assert.equal(r2.json().error.code, 'invalid_idempotency_key');
    });

    it('svix: queues a delivery signed by hand as Svix documents it, refuses a forged one', async () => {
      const id = `msg_${uid()}`;
      const ts = String(Math.floor(Date.now() / 1000));
      const body = JSON.stringify({ type: 'invoice.created', data: { id: 'in_1' } });
      const sign = (secret: string) => {
        const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
        const mac = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
        return `v1,${mac}`;
      };
      const headers = (signature: string) => ({
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': ts,
        'svix-signature': signature,
      });
      const before = await streamLength();
      const forged = await postSource(suite.service, 'svix', {
        body,
        headers: headers(sign(SECRETS.svix.other)),
      });
      assert.equal(forged.statusCode, 401);
      assert.equal(forged.json().error.code, 'invalid_signature');
      // Right signature, Standard Webhooks' header names: not what a svix source reads.
      const renamed = await postSource(suite.service, 'svix', {
        body,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': ts,
          'webhook-signature': sign(SECRETS.svix.current),
        },
      });
      assert.equal(renamed.statusCode, 401);
      assert.equal(await streamLength(), before);
      // Several signatures, as during a rotation: one matching is enough.
      const real = await postSource(suite.service, 'svix', {
        body,
        headers: headers(`${sign(SECRETS.svix.other)} ${sign(SECRETS.svix.previous)}`),
      });
      assert.equal(real.statusCode, 202, real.body);
      const job = await newestJob();
      assert.equal(job.source, 'svix');
      assert.equal(job.type, 'invoice.created');
      assert.equal(job.idempotencyKey, id);
      assert.equal(await streamLength(), before + 1);
    });

    it('generic hmac: without its headers, falls back to the payload type and id', async () => {
      const id = `p_${uid()}`;
      const d = await signedDelivery('hmac', { type: 'order.refunded', id });
      const res = await postSource(suite.service, 'hmac', d);
      assert.equal(res.statusCode, 202);
      const job = await newestJob();
      assert.equal(job.type, 'order.refunded');
      assert.equal(job.idempotencyKey, id);
    });

    it('keeps numeric payload ids past 2^53 apart when they are the delivery id', async () => {
      const base = 7_000_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e9)) * 10n;
      const post = async (id: bigint) =>
        postSource(
          suite.service,
          'hmac',
          await signedDelivery('hmac', {
            type: 'order.refunded',
            id: '',
            body: `{"type":"order.refunded","id":${id}}`,
          }),
        );
      const before = await streamLength();
      const a = await post(base);
      const b = await post(base + 1n);
      const again = await post(base);
      assert.equal(a.json().status, 'queued');
      assert.equal(b.json().status, 'queued');
      assert.equal(again.json().status, 'duplicate');
      assert.equal(again.json().id, a.json().id);
      assert.equal(await streamLength(), before + 2);
    });
  });

  it('decides 413 from Content-Length before reading the body', async () => {
    const reply = await replyToOversizedAnnouncement(suite.service.app, '/webhooks/github');
    assert.match(reply, /^HTTP\/1\.1 413 /);
    assert.match(reply, /"code":"payload_too_large"/);
  });
});

describe('sources end to end', () => {
  const env = () => ({ ...sourcesEnv(), SOURCES_FILE: writeSourcesFile() });

  it('runs the handler registered for (source, event type), with the job naming its source', async () => {
    const seen: { source: string; type: string }[] = [];
    const registry = new HandlerRegistry(async () => undefined).on(
      'push',
      async (job) => {
        seen.push({ source: job.source, type: job.type });
      },
      'github',
    );
    await withService(
      env(),
      async (service) => {
        const delivery = await signedDelivery('github', { type: 'push', id: uid() });
        assert.equal((await postSource(service, 'github', delivery)).statusCode, 202);
        await waitFor(() => seen.length === 1, { what: 'the github push handler' });
        assert.deepEqual(seen, [{ source: 'github', type: 'push' }]);
      },
      { handlers: registry },
    );
  });

  it('UNSIGNED_WEBHOOKS=false leaves only verified sources', async () => {
    await withService(
      { ...env(), WORKER_COUNT: '0', UNSIGNED_WEBHOOKS: 'false' },
      async (service) => {
        const unsigned = await service.app.inject({
          method: 'POST',
          url: '/webhooks',
          headers: { 'content-type': 'application/json' },
          payload: '{"type":"a.b"}',
        });
        assert.equal(unsigned.statusCode, 404);
        const delivery = await signedDelivery('stripe', { type: 'a.b', id: uid() });
        assert.equal((await postSource(service, 'stripe', delivery)).statusCode, 202);
      },
    );
  });
});

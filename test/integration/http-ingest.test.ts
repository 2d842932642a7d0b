/**
 * POST /webhooks against a real Redis: the 202 contract, deduplication and every
 * kind of bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { postWebhook, replyToOversizedAnnouncement } from '../helpers/http.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';

describe('POST /webhooks', () => {
  // Ingest-only, so jobs stay in the stream where the test can count them.
  const config = testConfig({ WORKER_COUNT: '0', BODY_LIMIT: '1KiB' });
  const redis = redisClient();
  let service: Service;
  const streamLength = () => redis.xlen(config.queueName);

  before(async () => {
    service = await startedService(config);
  });
  after(async () => {
    await service.stop(2_000);
    await dropQueue(redis, config.queueName);
    redis.disconnect();
  });

  it('answers 202 with the spec body once the job is in Redis', async () => {
    const before = await streamLength();
    const res = await postWebhook(
      service.app,
      { id: 'pay_1', amount: 1000, currency: 'USD' },
      { 'x-event-type': 'payment.succeeded' },
    );
    assert.equal(res.statusCode, 202);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['event', 'id', 'message', 'status']);
    assert.equal(body.message, 'Webhook accepted for processing');
    assert.equal(body.event, 'payment.succeeded');
    assert.equal(body.status, 'queued');
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(await streamLength(), before + 1);
    const [newest] = (await redis.xrevrange(config.queueName, '+', '-', 'COUNT', 1)) as [
      string,
      string[],
    ][];
    assert.ok(newest);
    const fields = newest[1];
    const job = JSON.parse(fields[fields.indexOf('job') + 1] as string);
    assert.equal(job.id, body.id);
    assert.equal(job.type, 'payment.succeeded');
    assert.equal(job.payload, JSON.stringify({ id: 'pay_1', amount: 1000, currency: 'USD' }));
  });

  it('infers the event type from the payload, then falls back to generic', async () => {
    assert.equal(
      (await postWebhook(service.app, { type: 'user.created', id: 'u-a' })).json().event,
      'user.created',
    );
    assert.equal(
      (await postWebhook(service.app, { event: 'message.sent', id: 'm-a' })).json().event,
      'message.sent',
    );
    assert.equal((await postWebhook(service.app, { hello: 1 })).json().event, 'generic');
  });

  it('turns a duplicate into exactly one job with the original id', async () => {
    const before = await streamLength();
    const first = await postWebhook(service.app, { id: 'evt_dup_1', type: 'user.created' });
    const second = await postWebhook(service.app, { id: 'evt_dup_1', type: 'user.created' });
    assert.equal(first.statusCode, 202);
    assert.equal(second.statusCode, 202);
    assert.equal(second.json().status, 'duplicate');
    assert.equal(second.json().id, first.json().id);
    assert.equal(await streamLength(), before + 1);
  });

  it('deduplicates on the Idempotency-Key header before the payload id', async () => {
    const before = await streamLength();
    const a = await postWebhook(service.app, { id: 'p-1' }, { 'idempotency-key': 'delivery-77' });
    const b = await postWebhook(service.app, { id: 'p-2' }, { 'idempotency-key': 'delivery-77' });
    const c = await postWebhook(service.app, { id: 'p-1' });
    assert.equal(b.json().id, a.json().id);
    assert.equal(b.json().status, 'duplicate');
    assert.equal(c.json().status, 'queued', 'the payload id alone is a different key');
    assert.equal(await streamLength(), before + 2);
  });

  it('keeps numeric ids past 2^53 apart: two distinct ids queue twice, a repeat is a duplicate', async () => {
    const before = await streamLength();
    // Both parse to the same double; the raw text keeps them apart.
    const a = await postWebhook(service.app, '{"id":1795916857141234567,"type":"order.paid"}');
    const b = await postWebhook(service.app, '{"id":1795916857141234568,"type":"order.paid"}');
    const again = await postWebhook(service.app, '{"type":"order.paid", "id":1795916857141234567}');
    assert.equal(a.json().status, 'queued');
    assert.equal(b.json().status, 'queued');
    assert.notEqual(b.json().id, a.json().id);
    assert.equal(again.json().status, 'duplicate');
    assert.equal(again.json().id, a.json().id);
    assert.equal(await streamLength(), before + 2);
  });

  it('accepts events with no key and no id as separate jobs', async () => {
    const before = await streamLength();
    await postWebhook(service.app, { hello: 'a' });
    await postWebhook(service.app, { hello: 'a' });
    assert.equal(await streamLength(), before + 2);
  });

  const badInputs: [string, () => ReturnType<typeof postWebhook>, number, string][] = [
    ['malformed JSON', () => postWebhook(service.app, '{"id": '), 400, 'invalid_json'],
    ['a JSON array', () => postWebhook(service.app, '[1,2]'), 400, 'invalid_body'],
    ['a JSON string', () => postWebhook(service.app, '"text"'), 400, 'invalid_body'],
    ['JSON null', () => postWebhook(service.app, 'null'), 400, 'invalid_body'],
    ['an empty body', () => postWebhook(service.app, ''), 400, 'empty_body'],
    [
      'invalid UTF-8',
      () =>
        service.app.inject({
          method: 'POST',
          url: '/webhooks',
          headers: { 'content-type': 'application/json' },
          payload: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
        }),
      400,
      'invalid_json',
    ],
    [
      'an over-long event type',
      () => postWebhook(service.app, {}, { 'x-event-type': 'x'.repeat(129) }),
      400,
      'invalid_event_type',
    ],
    [
      'an event type with spaces',
      () => postWebhook(service.app, { type: 'not a name' }),
      400,
      'invalid_event_type',
    ],
    [
      'a bad Idempotency-Key',
      () => postWebhook(service.app, {}, { 'idempotency-key': 'x'.repeat(300) }),
      400,
      'invalid_idempotency_key',
    ],
    [
      'text/plain',
      () =>
        service.app.inject({
          method: 'POST',
          url: '/webhooks',
          headers: { 'content-type': 'text/plain' },
          payload: '{}',
        }),
      415,
      'unsupported_media_type',
    ],
    [
      'form data',
      () =>
        service.app.inject({
          method: 'POST',
          url: '/webhooks',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'a=1',
        }),
      415,
      'unsupported_media_type',
    ],
    [
      'no Content-Type',
      () => service.app.inject({ method: 'POST', url: '/webhooks', payload: '{}' }),
      415,
      'unsupported_media_type',
    ],
    [
      'no Content-Type and no body',
      () => service.app.inject({ method: 'POST', url: '/webhooks' }),
      415,
      'unsupported_media_type',
    ],
    [
      'a body over BODY_LIMIT',
      () => postWebhook(service.app, { pad: 'x'.repeat(2_000) }),
      413,
      'payload_too_large',
    ],
    [
      'an unknown route',
      () => service.app.inject({ method: 'POST', url: '/webhookz', payload: '{}' }),
      404,
      'not_found',
    ],
  ];
  for (const [name, send, status, code] of badInputs) {
    it(`refuses ${name} with ${status} ${code} and queues nothing`, async () => {
      const before = await streamLength();
      const res = await send();
      assert.equal(res.statusCode, status);
      assert.deepEqual(Object.keys(res.json()), ['error']);
      assert.equal(res.json().error.code, code);
      assert.equal(typeof res.json().error.message, 'string');
      assert.equal(await streamLength(), before);
    });
  }

  it('accepts application/*+json and charset parameters', async () => {
    for (const type of [
      'application/json; charset=utf-8',
      'application/cloudevents+json',
      'Application/JSON',
      'application/json; charset=UTF-8',
      'application/json;charset="utf-8"',
      'application/json; Charset=Utf8',
      'application/cloudevents+json; charset=utf-8; foo=bar',
    ]) {
      const res = await service.app.inject({
        method: 'POST',
        url: '/webhooks',
        headers: { 'content-type': type },
        payload: '{"a":1}',
      });
      assert.equal(res.statusCode, 202, type);
    }
  });

  it('refuses a JSON body in any charset but UTF-8 with 415, and queues nothing', async () => {
    const before = await streamLength();
    for (const [type, payload] of [
      ['application/json; charset=utf-16', Buffer.from('{"a":1}', 'utf16le')],
      ['application/json; charset=utf-16', Buffer.from('{"a":1}')],
      ['application/json; charset=iso-8859-1', Buffer.from('{"a":"\u00e9"}')],
      ['application/json; charset=ISO-8859-1', Buffer.from('{"a":1}')],
      ['application/json; charset="latin1"', Buffer.from('{"a":1}')],
      ['application/cloudevents+json; charset=us-ascii', Buffer.from('{"a":1}')],
      ['application/json; charset=utf-8; charset=utf-16', Buffer.from('{"a":1}')],
      ['application/json; charset=', Buffer.from('{"a":1}')],
    ] as const) {
      const res = await service.app.inject({
        method: 'POST',
        url: '/webhooks',
        headers: { 'content-type': type },
        payload,
      });
      assert.equal(res.statusCode, 415, type);
      assert.equal(res.json().error.code, 'unsupported_media_type', type);
    }
    assert.equal(await streamLength(), before);
  });

  it('decides 413 from Content-Length before reading the body', async () => {
    // A real socket: announce a 10 MiB body and send none of it. The answer must come anyway.
    const reply = await replyToOversizedAnnouncement(service.app, '/webhooks');
    assert.match(reply, /^HTTP\/1\.1 413 /);
    assert.match(reply, /"code":"payload_too_large"/);
    assert.match(reply, /exceeds the 1 KiB limit \(BODY_LIMIT\)/);
  });

  it('states the limit and the setting in the 413 message', async () => {
    const res = await postWebhook(service.app, { pad: 'x'.repeat(2_000) });
    assert.equal(res.statusCode, 413);
    assert.deepEqual(res.json().error, {
      code: 'payload_too_large',
      message: 'The request body exceeds the 1 KiB limit (BODY_LIMIT).',
    });
  });

  it('counts outcomes in /metrics with bounded labels', async () => {
    for (let i = 0; i < 5; i++)
      await postWebhook(service.app, {}, { 'x-event-type': `random.type.${i}` });
    const text = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of [
      'webhooks_received_total{outcome="accepted"}',
      'webhooks_received_total{outcome="duplicate"}',
      'webhooks_received_total{outcome="rejected"}',
      'webhook_queue_backlog',
      'webhook_dlq_size',
    ]) {
      assert.ok(text.includes(name), name);
    }
    assert.ok(!text.includes('random.type'), 'client-chosen event types never become label values');
  });
});

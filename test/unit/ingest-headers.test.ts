/**
 * The headers a job keeps: credentials and signatures redacted before storage,
 * hop-by-hop headers dropped, sizes bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_HEADERS,
  MAX_TOTAL,
  MAX_VALUE,
  REDACTED,
  recordedHeaders,
  redactedHeaders,
} from '../../src/ingest/headers.js';

describe('recorded headers', () => {
  it('keeps delivery headers and redacts credentials and signatures by name', () => {
    const kept = recordedHeaders({
      'content-type': 'application/json',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'x-github-delivery': 'abc-123',
      'idempotency-key': 'evt_1',
      authorization: 'Bearer sk_live_secret',
      'proxy-authorization': 'Basic c2VjcmV0',
      cookie: 'session=secret',
      'stripe-signature': 't=1,v1=deadbeef',
      'x-hub-signature-256': 'sha256=deadbeef',
      'x-shopify-hmac-sha256': 'c2lnbmF0dXJl',
      'webhook-signature': 'v1,c2ln',
      'x-api-key': 'secret',
      'x-auth-token': 'secret',
      'x-webhook-secret': 'secret',
    });
    assert.deepEqual(kept, {
      'content-type': 'application/json',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'x-github-delivery': 'abc-123',
      'idempotency-key': 'evt_1',
      authorization: REDACTED,
      'proxy-authorization': REDACTED,
      cookie: REDACTED,
      'stripe-signature': REDACTED,
      'x-hub-signature-256': REDACTED,
      'x-shopify-hmac-sha256': REDACTED,
      'webhook-signature': REDACTED,
      'x-api-key': REDACTED,
      'x-auth-token': REDACTED,
      'x-webhook-secret': REDACTED,
    });
    assert.ok(!Object.values(kept).some((v) => /secret|deadbeef/.test(v)));
  });

  it("redacts the source scheme's own signature header, whatever its name", () => {
    const kept = recordedHeaders({ 'x-hook-sig': 'abcdef', 'x-hook-id': '1' }, ['x-hook-sig']);
    assert.deepEqual(kept, { 'x-hook-sig': REDACTED, 'x-hook-id': '1' });
  });

  it('drops hop-by-hop headers and joins repeated ones', () => {
    const kept = recordedHeaders({
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'x-forwarded-for': ['203.0.113.7', '10.0.0.1'],
      host: 'hooks.example.com',
    });
    assert.deepEqual(kept, {
      'x-forwarded-for': '203.0.113.7, 10.0.0.1',
      host: 'hooks.example.com',
    });
  });

  it('bounds the number of headers, each value and the total size', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-h${i}`, 'v']));
    assert.equal(Object.keys(recordedHeaders(many)).length, MAX_HEADERS);
    const long = recordedHeaders({ 'x-long': 'a'.repeat(MAX_VALUE * 3) });
    assert.equal(long['x-long']?.length, MAX_VALUE + 1);
    const big = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`x-big${i}`, 'b'.repeat(MAX_VALUE)]),
    );
    const kept = recordedHeaders(big);
    const size = Object.entries(kept).reduce((n, [k, v]) => n + k.length + v.length, 0);
    assert.ok(size <= MAX_TOTAL, `${size} characters kept`);
    assert.ok(Object.keys(kept).length >= 7);
  });

  it('redacts again on the way out, for headers stored before a rule existed', () => {
    assert.deepEqual(redactedHeaders({ 'X-Signature': 'abc', accept: '*/*' }), {
      'X-Signature': REDACTED,
      accept: '*/*',
    });
    assert.deepEqual(redactedHeaders(undefined), {});
  });
});

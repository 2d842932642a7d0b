/**
 * The admin routes (absent without ADMIN_TOKEN, bearer-guarded with it) and CORS
 * (none unless origins are listed).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { bearerMatches } from '../../src/http/admin-auth.js';
import { serviceForSuite, withService } from '../helpers/service.js';
import { SECRETS, sourcesEnv, TEST_SOURCES, writeSourcesFile } from '../helpers/sources.js';

const TOKEN = 'ADMINtokenVALUE-0123456789abcdef';

describe('admin routes without ADMIN_TOKEN', () => {
  it('do not exist: 404 whatever the credentials', async () => {
    await withService({}, async (service) => {
      for (const authorization of [undefined, 'Bearer ', `Bearer ${TOKEN}`, 'Bearer undefined']) {
        const res = await service.app.inject({
          method: 'GET',
          url: '/admin/config',
          headers: authorization === undefined ? {} : { authorization },
        });
        assert.equal(res.statusCode, 404, String(authorization));
        assert.equal(res.json().error.code, 'not_found');
      }
    });
  });
});

describe('admin routes with ADMIN_TOKEN', () => {
  const suite = serviceForSuite({
    WORKER_COUNT: '0',
    ADMIN_TOKEN: TOKEN,
    ...sourcesEnv(),
    SOURCES_FILE: writeSourcesFile(),
  });
  const { config } = suite;

  const get = (url: string, authorization?: string) =>
    suite.service.app.inject({
      method: 'GET',
      url,
      headers: authorization === undefined ? {} : { authorization },
    });

  it('refuse every request without the exact bearer token with 401', async () => {
    for (const authorization of [
      undefined,
      '',
      TOKEN,
      `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
      'Bearer',
      'Bearer ',
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN} extra`,
      `Bearer ${TOKEN.toUpperCase()}`,
    ]) {
      const res = await get('/admin/config', authorization);
      assert.equal(res.statusCode, 401, JSON.stringify(authorization));
      assert.equal(res.json().error.code, 'unauthorized');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="admin"');
      assert.ok(!res.body.includes(TOKEN));
    }
  });

  it('guard unknown paths under /admin too: 401 first, 404 only once authorized', async () => {
    assert.equal((await get('/admin/nothing-here')).statusCode, 401);
    assert.equal((await get('/admin/nothing-here', `Bearer ${TOKEN}`)).statusCode, 404);
  });

  it('GET /admin/config answers the configuration without a single secret', async () => {
    const res = await get('/admin/config', `Bearer ${TOKEN}`);
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.queueName, config.queueName);
    assert.equal(body.adminToken, '[redacted]');
    assert.deepEqual(
      body.sources.map((s: { name: string }) => s.name),
      [...TEST_SOURCES],
    );
    assert.deepEqual(body.sources[0].secretEnv, [
      'TEST_STRIPE_SECRET_CURRENT',
      'TEST_STRIPE_SECRET_PREVIOUS',
    ]);
    for (const s of TEST_SOURCES) {
      assert.ok(!res.body.includes(SECRETS[s].current));
      assert.ok(!res.body.includes(SECRETS[s].previous));
    }
    assert.ok(!res.body.includes(TOKEN));
  });

  it('accepts the scheme name in any case, as RFC 9110 allows', async () => {
    assert.equal((await get('/admin/config', `bearer ${TOKEN}`)).statusCode, 200);
  });

  it('leave /health, /metrics and ingest without a token', async () => {
    assert.equal((await get('/health')).statusCode, 200);
    assert.equal((await get('/metrics')).statusCode, 200);
  });
});

describe('bearerMatches', () => {
  const expected = createHash('sha256').update('s3cret-token-value').digest();
  it('matches only the exact token', () => {
    assert.equal(bearerMatches(expected, 'Bearer s3cret-token-value'), true);
    assert.equal(bearerMatches(expected, 'Bearer s3cret-token-valu'), false);
    assert.equal(bearerMatches(expected, undefined), false);
    assert.equal(bearerMatches(expected, 'Bearer'), false);
  });
  it('does not accept the hash of an empty token for a missing header', () => {
    const emptyDigest = createHash('sha256').update('').digest();
    assert.equal(bearerMatches(emptyDigest, undefined), false);
    assert.equal(bearerMatches(emptyDigest, 'Basic x'), false);
  });
});

describe('CORS', () => {
  const preflight = (service: Service, origin: string) =>
    service.app.inject({
      method: 'OPTIONS',
      url: '/webhooks',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
  const simple = (service: Service, origin: string) =>
    service.app.inject({ method: 'GET', url: '/health', headers: { origin } });

  it('sends no CORS headers by default, to any origin', async () => {
    await withService({}, async (service) => {
      const pre = await preflight(service, 'https://evil.example');
      assert.equal(pre.headers['access-control-allow-origin'], undefined);
      // No OPTIONS route without CORS: the path exists, the method does not.
      assert.equal(pre.statusCode, 405);
      assert.equal(pre.json().error.code, 'method_not_allowed');
      const get = await simple(service, 'https://evil.example');
      assert.equal(get.headers['access-control-allow-origin'], undefined);
    });
  });

  it('allows exactly the listed origins when CORS_ALLOWED_ORIGINS is set', async () => {
    await withService(
      { CORS_ALLOWED_ORIGINS: 'https://ops.example.com,http://localhost:3000' },
      async (service) => {
        const ok = await preflight(service, 'https://ops.example.com');
        assert.equal(ok.statusCode, 204);
        assert.equal(ok.headers['access-control-allow-origin'], 'https://ops.example.com');
        const get = await simple(service, 'http://localhost:3000');
        assert.equal(get.headers['access-control-allow-origin'], 'http://localhost:3000');
        for (const origin of ['https://evil.example', 'https://ops.example.com.evil.example']) {
          const bad = await simple(service, origin);
          assert.equal(bad.headers['access-control-allow-origin'], undefined, origin);
          const badPre = await preflight(service, origin);
          assert.equal(badPre.headers['access-control-allow-origin'], undefined, origin);
        }
      },
    );
  });
});

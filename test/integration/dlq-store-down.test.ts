/**
 * The DLQ admin routes while the store cannot be reached: every one answers
 * 503 store_unavailable with Retry-After, as ingest does; never a 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startedService, testConfig } from '../helpers/service.js';

const TOKEN = 'ADMINtokenVALUE-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

const ROUTES: [method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown][] = [
  ['GET', '/admin/dlq'],
  ['GET', '/admin/dlq?type=invoice.paid&limit=10'],
  ['GET', '/admin/dlq/1732841234567-0'],
  ['POST', '/admin/dlq/1732841234567-0/replay'],
  ['POST', '/admin/dlq/replay', {}],
  ['POST', '/admin/dlq/replay', { source: 'stripe', max: 10 }],
  ['DELETE', '/admin/dlq/1732841234567-0'],
  ['DELETE', '/admin/dlq?type=invoice.paid&confirm=true'],
];

describe('DLQ admin routes with Redis down', () => {
  let server: RedisServer;
  let service: Service;
  before(async () => {
    server = await RedisServer.start();
    service = await startedService(
      testConfig({
        REDIS_ADDR: server.addr,
        ADMIN_TOKEN: TOKEN,
        WORKER_COUNT: '0',
        REDIS_COMMAND_TIMEOUT: '500ms',
      }),
    );
  });
  after(async () => {
    await service.stop(2_000);
    await server.stop();
  });

  const send = ([method, url, body]: (typeof ROUTES)[number]) =>
    service.app.inject({
      method,
      url,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  it('answer normally while Redis is up', async () => {
    for (const route of ROUTES) {
      const res = await send(route);
      assert.ok(res.statusCode < 500, `${route[0]} ${route[1]}: ${res.statusCode} ${res.body}`);
    }
  });

  it('answer 503 store_unavailable with Retry-After once it is gone', async () => {
    await server.kill();
    for (const route of ROUTES) {
      const res = await send(route);
      const what = `${route[0]} ${route[1]}: ${res.body}`;
      assert.equal(res.statusCode, 503, what);
      assert.equal(res.json().error.code, 'store_unavailable', what);
      assert.equal(res.headers['retry-after'], '5', what);
    }
  });
});

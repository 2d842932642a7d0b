/**
 * The destination admin routes while the store cannot be reached: 503
 * store_unavailable with Retry-After, as the DLQ routes and ingest answer;
 * never a 500.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startedService, testConfig } from '../helpers/service.js';

const TOKEN = 'ADMINtokenVALUE-0123456789abcdef';
const ROUTES: [method: 'GET' | 'POST', url: string][] = [
  ['GET', '/admin/destinations'],
  ['POST', '/admin/destinations/billing/pause'],
  ['POST', '/admin/destinations/billing/resume'],
];

describe('destination admin routes with Redis down', () => {
  let server: RedisServer;
  let service: Service;
  const dir = mkdtempSync(join(tmpdir(), 'wp-dest-down-'));
  before(async () => {
    server = await RedisServer.start();
    writeFileSync(
      join(dir, 'config.yaml'),
      'destinations:\n  billing: { url: http://127.0.0.1:9/hooks }\nroutes:\n  - { source: "*", to: [billing] }\n',
    );
    service = await startedService(
      testConfig({
        REDIS_ADDR: server.addr,
        ADMIN_TOKEN: TOKEN,
        WORKER_COUNT: '0',
        REDIS_COMMAND_TIMEOUT: '500ms',
        CONFIG_FILE: join(dir, 'config.yaml'),
      }),
    );
  });
  after(async () => {
    await service.stop(2_000);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = ([method, url]: (typeof ROUTES)[number]) =>
    service.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` } });

  it('answer normally while Redis is up', async () => {
    for (const route of ROUTES) {
      const res = await send(route);
      assert.equal(res.statusCode, 200, `${route[0]} ${route[1]}: ${res.body}`);
    }
  });

  it('answer 503 store_unavailable with Retry-After once it is gone', async () => {
    await server.kill();
    for (const route of ROUTES) {
      const res = await send(route);
      const what = `${route[0]} ${route[1]}: ${res.statusCode} ${res.body}`;
      assert.equal(res.statusCode, 503, what);
      assert.equal(res.json().error.code, 'store_unavailable', what);
      assert.equal(res.headers['retry-after'], '5', what);
    }
  });
});

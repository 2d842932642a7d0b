/**
 * GET /openapi.json: a valid OpenAPI 3 document describing every route, with the
 * one error shape and the bearer scheme on the admin routes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { serviceForSuite } from '../helpers/service.js';
import { sourcesEnv, writeSourcesFile } from '../helpers/sources.js';

type Operation = {
  security?: unknown;
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

const EXPECTED = [
  'POST /webhooks',
  'POST /webhooks/{source}',
  'GET /health',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'GET /openapi.json',
  'GET /admin/config',
  'GET /admin/dlq',
  'DELETE /admin/dlq',
  'GET /admin/dlq/{id}',
  'DELETE /admin/dlq/{id}',
  'POST /admin/dlq/{id}/replay',
  'POST /admin/dlq/replay',
  'GET /admin/destinations',
  'POST /admin/destinations/{name}/pause',
  'POST /admin/destinations/{name}/resume',
  'GET /admin/events',
  'GET /admin/events/{eventId}',
  'POST /admin/events/{eventId}/replay',
  'POST /admin/events/replay',
  'GET /admin/stats/history',
  'GET /admin/stats/signatures',
];

describe('GET /openapi.json', () => {
  const suite = serviceForSuite({
    WORKER_COUNT: '0',
    ADMIN_TOKEN: 'ADMINtokenVALUE-0123456789abcdef',
    ...sourcesEnv(),
    SOURCES_FILE: writeSourcesFile(),
  });

  async function doc(): Promise<Doc> {
    const res = await suite.service.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    return res.json() as Doc;
  }

  it('validates against the OpenAPI 3.0 schema', async () => {
    const d = await doc();
    assert.match(d.openapi, /^3\.0\./);
    const result = await new Validator().validate(d as unknown as Record<string, unknown>);
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
    // The validator does reject a broken document (so the check above can fail).
    const broken = structuredClone(d) as unknown as Record<string, unknown>;
    delete broken.info;
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  it('describes every route, and only routes that exist', async () => {
    const d = await doc();
    const ops = Object.entries(d.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.deepEqual(ops.sort(), [...EXPECTED].sort());
    for (const op of ops) {
      const [method, path] = op.split(' ') as [string, string];
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      assert.ok(
        suite.service.app.hasRoute({ method: method as 'GET', url }),
        `${op} is a route of the app`,
      );
    }
  });

  it('gives every operation a success response, and every error the one Error schema', async () => {
    const d = await doc();
    for (const [path, methods] of Object.entries(d.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const statuses = Object.keys(op.responses);
        assert.ok(
          statuses.some((s) => s.startsWith('2')),
          `${method} ${path} has a 2xx response`,
        );
        for (const [status, response] of Object.entries(op.responses)) {
          assert.notEqual(response.description, 'Default Response');
          if (Number(status) >= 400 && path !== '/health' && path !== '/health/ready') {
            assert.deepEqual(
              response.content?.['application/json']?.schema,
              { $ref: '#/components/schemas/Error' },
              `${method} ${path} ${status}`,
            );
          }
        }
      }
    }
  });

  it('marks exactly the admin routes as needing the bearer token, and describes their 401', async () => {
    const d = await doc();
    const full = d as unknown as { components: { securitySchemes: Record<string, unknown> } };
    assert.deepEqual(full.components.securitySchemes.adminToken, {
      type: 'http',
      scheme: 'bearer',
      description: 'ADMIN_TOKEN, as `Authorization: Bearer <token>`.',
    });
    for (const [path, methods] of Object.entries(d.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const admin = path.startsWith('/admin/');
        assert.deepEqual(
          op.security,
          admin ? [{ adminToken: [] }] : undefined,
          `${method} ${path}`,
        );
        if (admin) assert.ok(op.responses['401'], `${method} ${path} 401`);
      }
    }
  });

  it('describes the 503 of every route that needs the store, the DLQ and destination routes included', async () => {
    const d = await doc();
    const needsStore = ['/admin/dlq', '/admin/destinations', '/webhooks'];
    for (const [path, methods] of Object.entries(d.paths)) {
      if (!needsStore.some((prefix) => path.startsWith(prefix))) continue;
      for (const [method, op] of Object.entries(methods)) {
        assert.ok(op.responses['503'], `${method} ${path} 503`);
      }
    }
  });
});

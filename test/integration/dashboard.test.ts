/**
 * The dashboard's files at /admin/ui/: absent without ADMIN_TOKEN; with it,
 * served without the token (they hold no data) under headers that confine the
 * page to this origin, while every API call the page makes needs the token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { loadDashboardAssets } from '../../src/http/dashboard-assets.js';
import { dashboardRoutes } from '../../src/http/routes/dashboard.js';
import { dashboardBuilt } from '../helpers/dashboard.js';
import { serviceForSuite, withService } from '../helpers/service.js';

const TOKEN = 'dashboard-test-admin-token-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'wp-dashboard-'));
const sqlite = { STORE: 'sqlite', DATA_DIR: dataDir, WORKER_COUNT: '0' };
after(() => rmSync(dataDir, { recursive: true, force: true }));
let built: string;
before(async () => {
  built = await dashboardBuilt();
});

/** Every call the dashboard's pages make, with a parameter where one is needed. */
const DASHBOARD_CALLS = [
  ['GET', '/admin/config'],
  ['GET', '/admin/destinations'],
  ['POST', '/admin/destinations/default/pause'],
  ['POST', '/admin/destinations/default/resume'],
  ['GET', '/admin/dlq?limit=50'],
  ['GET', '/admin/dlq/1-0'],
  ['POST', '/admin/dlq/1-0/replay'],
  ['POST', '/admin/dlq/replay'],
  ['DELETE', '/admin/dlq/1-0'],
  ['DELETE', '/admin/dlq?confirm=true&max=500'],
  ['GET', '/admin/events?limit=50'],
  ['GET', '/admin/events/evt_1'],
  ['POST', '/admin/events/evt_1/replay'],
  ['POST', '/admin/events/replay'],
  ['GET', '/admin/stats/history?window=1h'],
  ['GET', '/admin/stats/signatures'],
] as const;

/** XML namespace names: identifiers in the DOM's and SVG's code, never fetched. */
const NAMESPACES = new Set([
  'http://www.w3.org/2000/svg',
  'http://www.w3.org/1999/xhtml',
  'http://www.w3.org/1998/Math/MathML',
  'http://www.w3.org/1999/xlink',
  'http://www.w3.org/XML/1998/namespace',
]);

describe('the dashboard without ADMIN_TOKEN', () => {
  it('is not there: 404 for the page and its files', async () => {
    await withService(sqlite, async (service) => {
      for (const url of ['/admin/ui/', '/admin/ui', '/admin/ui/app.js', '/admin/ui/index.html']) {
        const res = await service.app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 404, url);
        assert.equal(res.json().error.code, 'not_found', url);
      }
    });
  });
});

describe('the dashboard with ADMIN_TOKEN', () => {
  const suite = serviceForSuite({ ...sqlite, ADMIN_TOKEN: TOKEN });
  const get = (url: string, headers: Record<string, string> = {}) =>
    suite.service.app.inject({ method: 'GET', url, headers });

  it('serves the page and its files without the token, with the confining headers', async () => {
    for (const [url, type] of [
      ['/admin/ui/', 'text/html'],
      ['/admin/ui/index.html', 'text/html'],
      ['/admin/ui/app.js', 'text/javascript'],
      ['/admin/ui/app.css', 'text/css'],
      ['/admin/ui/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      assert.ok(String(res.headers['content-type']).startsWith(type), url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['set-cookie'], undefined, url);
      const csp = new Map(
        String(res.headers['content-security-policy'])
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values]),
      );
      assert.deepEqual(csp.get('default-src'), ["'self'"], url);
      assert.deepEqual(csp.get('script-src'), ["'self'"], url);
      assert.deepEqual(csp.get('style-src'), ["'self'"], url);
      assert.deepEqual(csp.get('connect-src'), ["'self'"], url);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], url);
      assert.deepEqual(csp.get('object-src'), ["'none'"], url);
      assert.deepEqual(csp.get('require-trusted-types-for'), ["'script'"], url);
    }
  });

  it('has no inline script, style or event handler in its page', async () => {
    const html = (await get('/admin/ui/')).body;
    assert.match(html, /<script type="module" src="app\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="app\.css">/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'every script is a file');
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  });

  it('refers to no other origin in any of its files', () => {
    const files = readdirSync(built).filter((f) => /\.(html|js|css|svg)$/.test(f));
    assert.deepEqual(
      files.filter((f) => !f.endsWith('.svg')).sort(),
      ['app.css', 'app.js', 'index.html'],
      'the bundle is these files',
    );
    for (const file of files) {
      const text = readFileSync(join(built, file), 'utf8');
      const urls = [...text.matchAll(/https?:\/\/[^\s"'`)<>]*/gi)].map((m) => m[0]);
      assert.deepEqual(
        urls.filter((u) => !NAMESPACES.has(u)),
        [],
        `${file} names no URL but XML namespaces`,
      );
      assert.doesNotMatch(text, /(?:src|href)=["']?\/\//i, `${file}: no protocol-relative link`);
      if (file.endsWith('.css')) {
        assert.doesNotMatch(text, /@import/i, `${file} imports nothing`);
        for (const m of text.matchAll(/url\(\s*["']?([^"')]*)/gi)) {
          assert.match(m[1] ?? '', /^(?:data:|[^:/]+$)/, `${file}: url(${m[1]}) stays local`);
        }
      }
    }
  });

  it('answers every API call the dashboard makes with 401 and no data without the token', async () => {
    for (const authorization of [undefined, 'Bearer not-the-token', `Bearer ${TOKEN}x`]) {
      for (const [method, url] of DASHBOARD_CALLS) {
        const res = await suite.service.app.inject({
          method,
          url,
          headers: authorization ? { authorization } : {},
          ...(method === 'POST' ? { payload: {} } : {}),
        });
        assert.equal(res.statusCode, 401, `${method} ${url} with ${authorization}`);
        assert.deepEqual(Object.keys(res.json()), ['error']);
        assert.equal(res.json().error.code, 'unauthorized');
      }
    }
    // With the token the same calls get past the guard (the event log and the
    // history may not exist yet: 404 then, which the pages show as such).
    const ok = await get('/admin/destinations', { authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.statusCode, 200);
  });

  it('sends the page from /admin/ui to /admin/ui/, where its relative links work', async () => {
    const res = await get('/admin/ui');
    assert.equal(res.statusCode, 308);
    assert.equal(res.headers.location, 'ui/');
  });

  it('serves only the built files: anything else under /admin/ui/ is 404', async () => {
    for (const url of [
      '/admin/ui/nothing.js',
      '/admin/ui/%2e%2e%2fpackage.json',
      '/admin/ui/..%2f..%2fpackage.json',
      '/admin/ui/app.js.LEGAL.txt.tmp',
    ]) {
      const res = await get(url);
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'not_found', url);
    }
  });

  it('answers 304 to a request that has the current version', async () => {
    const first = await get('/admin/ui/app.js');
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[\w-]+"$/);
    assert.equal(first.headers['cache-control'], 'no-cache');
    const again = await get('/admin/ui/app.js', { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  it('is not part of the API description', async () => {
    const doc = (await get('/openapi.json')).json() as { paths: Record<string, unknown> };
    assert.deepEqual(
      Object.keys(doc.paths).filter((p) => p.startsWith('/admin/ui')),
      [],
    );
  });
});

describe('the dashboard when its files were not built', () => {
  it('finds nothing in a directory without a page, and answers 503 dashboard_not_built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'wp-dashboard-empty-'));
    try {
      assert.equal(loadDashboardAssets(empty), undefined);
      assert.equal(loadDashboardAssets(join(empty, 'missing')), undefined);
      const app = Fastify();
      dashboardRoutes(app, { assets: loadDashboardAssets(empty) });
      const res = await app.inject({ method: 'GET', url: '/admin/ui/' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().code, 'dashboard_not_built');
      await app.close();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

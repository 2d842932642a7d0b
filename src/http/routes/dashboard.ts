/**
 * The dashboard at /admin/ui/, registered only when ADMIN_TOKEN is set.
 *
 * Its files carry no data, so they are served without the token (a browser
 * cannot send a bearer header when it loads a page). The page asks for the
 * token and sends it with every call it makes to the guarded /admin API; it
 * keeps it in sessionStorage, never in a cookie, so no request carries it
 * on its own and there is nothing to forge across sites.
 *
 * The headers confine the page: scripts, styles and calls only from this
 * origin, no inline script or style, no string-to-HTML sinks, no framing, and
 * no Referer to leak the admin URL.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiError } from '../../errors.js';
import type { DashboardAssets } from '../dashboard-assets.js';

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Revalidate every time (the ETag makes that a 304): a new version shows at once.
  'cache-control': 'no-cache',
};

export interface DashboardDeps {
  /** The built files; undefined when they are missing (the service was not built). */
  assets: DashboardAssets | undefined;
}

export function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const hide = { hide: true };

  // The page's links are relative, so it must be loaded from the directory itself.
  app.get('/admin/ui', { schema: hide }, async (_request, reply) =>
    reply.headers(DASHBOARD_HEADERS).redirect('ui/', 308),
  );

  app.get('/admin/ui/*', { schema: hide }, async (request: FastifyRequest, reply: FastifyReply) => {
    if (!deps.assets) throw apiError('dashboard_not_built');
    const name = (request.params as { '*': string })['*'] || 'index.html';
    const asset = deps.assets.get(name);
    if (!asset) throw apiError('not_found');
    reply.headers(DASHBOARD_HEADERS).header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.contentType).send(asset.body);
  });
}

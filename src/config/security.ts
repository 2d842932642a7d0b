/**
 * The security settings of the configuration: the admin token, CORS, proxy trust
 * and rate limits. (Sources and their secrets come from the config file.)
 *
 * Secrets are wrapped in `Secret` as soon as they are read, and no problem
 * message ever repeats a secret's value.
 */
import { isIP } from 'node:net';
import type { Reader } from './reader.js';
import { Secret } from './secret.js';

export interface RateLimitConfig {
  /** Length of one counting window. */
  windowMs: number;
  /** Requests per window per source; 0 = no limit. A source may override it. */
  perSource: number;
  /** Requests per window per client IP; 0 = no limit. */
  perIp: number;
}

export interface SecurityConfig {
  /** false = POST /webhooks (no signature) is not served; only verified sources are. */
  unsignedWebhooks: boolean;
  /** Bearer token for /admin; undefined = admin routes are not served at all. */
  adminToken: Secret | undefined;
  /** Origins allowed by CORS; empty = no CORS headers at all. */
  corsOrigins: string[];
  /** Which proxies' X-Forwarded-For to believe for the client IP (Fastify `trustProxy`). */
  trustProxy: boolean | number | string[];
  rateLimit: RateLimitConfig;
}

const MIN_ADMIN_TOKEN = 16;

export function readSecurity(r: Reader): SecurityConfig {
  return {
    unsignedWebhooks: r.bool('UNSIGNED_WEBHOOKS', true),
    adminToken: adminToken(r, r.exact('ADMIN_TOKEN')),
    corsOrigins: corsOrigins(r),
    trustProxy: trustProxy(r),
    rateLimit: {
      windowMs: r.duration('RATE_LIMIT_WINDOW', 60_000),
      perSource: r.int('RATE_LIMIT_PER_SOURCE', 0, 0),
      perIp: r.int('RATE_LIMIT_PER_IP', 0, 0),
    },
  };
}

function adminToken(r: Reader, value: string | undefined): Secret | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_ADMIN_TOKEN || /\s/.test(value)) {
    r.problems.push(
      `ADMIN_TOKEN: expected at least ${MIN_ADMIN_TOKEN} characters without spaces, e.g. from \`openssl rand -hex 32\` (the value is not shown)`,
    );
    return undefined;
  }
  return new Secret(value);
}

function corsOrigins(r: Reader): string[] {
  const v = r.raw('CORS_ALLOWED_ORIGINS', {
    set: 'a comma-separated list of origins',
    unset: 'for no CORS headers (the default)',
  });
  if (v === undefined) return [];
  const origins = v
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const o of origins) {
    let ok = false;
    try {
      const u = new URL(o);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o;
    } catch {
      ok = false;
    }
    if (!ok) {
      r.problems.push(
        `CORS_ALLOWED_ORIGINS: ${JSON.stringify(o)} is not an origin; list exact origins such as https://dashboard.example.com (no wildcard, path or trailing slash)`,
      );
    }
  }
  return origins;
}

function trustProxy(r: Reader): boolean | number | string[] {
  const v = r.raw('TRUST_PROXY', {
    set: 'false, true, a hop count or a list of proxy IPs/CIDRs',
    unset: 'to trust no proxy (the default)',
  });
  if (v === undefined) return false;
  const lower = v.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const entries = v.split(',').map((e) => e.trim());
  const valid = entries.every((e) => {
    const [ip, bits, extra] = e.split('/');
    return (
      ip !== undefined &&
      isIP(ip) !== 0 &&
      extra === undefined &&
      (bits === undefined || /^\d{1,3}$/.test(bits))
    );
  });
  if (!valid) {
    r.problems.push(
      `TRUST_PROXY=${JSON.stringify(v)}: expected false, true, a hop count, or a comma-separated list of proxy IPs/CIDRs such as 10.0.0.0/8`,
    );
    return false;
  }
  return entries;
}

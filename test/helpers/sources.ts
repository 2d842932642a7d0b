/**
 * Test sources: one per scheme of src/sources/schemes.ts, their secrets, and
 * deliveries signed the way each provider signs them, with the provider's own
 * library where one exists (Stripe, GitHub, Standard Webhooks, whose algorithm
 * Svix shares). Shopify and Slack have no signing library among our
 * dependencies; their signatures are computed here and pinned to the providers'
 * published vectors in the unit tests. A new scheme needs its secrets and its
 * case in `signedDelivery`; the compiler asks for both.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { parseConfigFile } from '../../src/config/config-file.js';
import { SourceRegistry } from '../../src/sources/registry.js';
import type { Scheme } from '../../src/sources/scheme.js';
import { SCHEME_NAMES, type SchemeName, schemeDefinition } from '../../src/sources/schemes.js';

const stripe = new Stripe('sk_test_not_used');

/** The name of each test source: the scheme's name (two for the generic one). */
export type TestSource = SchemeName | 'hmac-hex';
export const TEST_SOURCES: readonly TestSource[] = [...SCHEME_NAMES, 'hmac-hex'];

const whsec = (text: string) => `whsec_${Buffer.from(text).toString('base64')}`;

/** Distinctive secret values, so a test can search logs and responses for them. */
export const SECRETS: Record<TestSource, { current: string; previous: string; other: string }> = {
  stripe: {
    current: 'whsec_STRIPEcurrentSECRETvalue01',
    previous: 'whsec_STRIPEpreviousSECRETvalue02',
    other: 'whsec_STRIPEotherSECRETvalue03',
  },
  github: {
    current: 'GITHUBcurrentSECRETvalue01',
    previous: 'GITHUBpreviousSECRETvalue02',
    other: 'GITHUBotherSECRETvalue03',
  },
  shopify: {
    current: 'SHOPIFYcurrentSECRETvalue01',
    previous: 'SHOPIFYpreviousSECRETvalue02',
    other: 'SHOPIFYotherSECRETvalue03',
  },
  slack: {
    current: 'SLACKcurrentSECRETvalue01',
    previous: 'SLACKpreviousSECRETvalue02',
    other: 'SLACKotherSECRETvalue03',
  },
  'standard-webhooks': {
    current: whsec('STDWHcurrentSECRETvalue01-32bytes'),
    previous: whsec('STDWHpreviousSECRETvalue02-32byte'),
    other: whsec('STDWHotherSECRETvalue03-32bytes!!'),
  },
  svix: {
    current: whsec('SVIXcurrentSECRETvalue01-32bytes!'),
    previous: whsec('SVIXpreviousSECRETvalue02-32byte'),
    other: whsec('SVIXotherSECRETvalue03-32bytes!!!'),
  },
  hmac: {
    current: 'HMACcurrentSECRETvalue01',
    previous: 'HMACpreviousSECRETvalue02',
    other: 'HMACotherSECRETvalue03',
  },
  'hmac-hex': {
    current: 'HMAChexCurrentSECRETvalue01',
    previous: 'HMAChexPreviousSECRETvalue02',
    other: 'HMAChexOtherSECRETvalue03',
  },
};

const envName = (source: TestSource, which: 'current' | 'previous') =>
  `TEST_${source.replace(/-/g, '_').toUpperCase()}_SECRET_${which.toUpperCase()}`;

/** The environment holding every test source's current and previous secret. */
export function sourcesEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of TEST_SOURCES) {
    env[envName(s, 'current')] = SECRETS[s].current;
    env[envName(s, 'previous')] = SECRETS[s].previous;
  }
  return env;
}

/** A SOURCES_FILE (YAML) configuring every test source with both secrets. */
export function sourcesYaml(extra: Partial<Record<TestSource, string>> = {}): string {
  const lines = ['sources:'];
  for (const s of TEST_SOURCES) {
    const scheme = s === 'hmac-hex' ? 'hmac' : s;
    lines.push(`  ${s}:`, `    scheme: ${scheme}`);
    lines.push(`    secret_env: [${envName(s, 'current')}, ${envName(s, 'previous')}]`);
    if (s === 'hmac') {
      lines.push(
        '    header: X-Signature',
        '    algorithm: sha512',
        '    encoding: base64',
        '    prefix: "sha512="',
      );
    }
    if (s === 'hmac-hex') {
      lines.push(
        '    header: X-Hook-Signature',
        '    event_type_header: X-Hook-Event',
        '    delivery_id_header: X-Hook-Id',
      );
    }
    if (extra[s]) lines.push(`    ${extra[s]}`);
  }
  return `${lines.join('\n')}\n`;
}

let registry: SourceRegistry | undefined;

/** The scheme of a test source, configured from `sourcesYaml()` as the service would. */
export function testScheme(source: TestSource): Scheme {
  if (!registry) {
    const { sources, problems } = parseConfigFile(sourcesYaml(), sourcesEnv());
    if (problems.length > 0) throw new Error(`test sources: ${problems.join('; ')}`);
    registry = new SourceRegistry(sources);
  }
  const s = registry.get(source);
  if (!s) throw new Error(`no test source ${source}`);
  return s.scheme;
}

/** Writes `sourcesYaml()` to a temporary file and returns its path. */
export function writeSourcesFile(text = sourcesYaml()): string {
  const path = join(mkdtempSync(join(tmpdir(), 'wp-sources-')), 'sources.yaml');
  writeFileSync(path, text);
  return path;
}

export interface Delivery {
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryOptions {
  /** The provider's event type and delivery id. */
  type: string;
  id: string;
  /** Signing time in Unix seconds (default now). */
  timestamp?: number;
  /** Signing secret (default the source's current one). */
  secret?: string;
  /** Overrides the provider-shaped body. */
  body?: string;
}

const hmacOf = (alg: 'sha256' | 'sha512', secret: string, ...parts: string[]) => {
  const mac = createHmac(alg, secret);
  for (const p of parts) mac.update(p);
  return mac;
};

/** A delivery from `source`, signed as the provider signs it. */
export async function signedDelivery(source: TestSource, opts: DeliveryOptions): Promise<Delivery> {
  const secret = opts.secret ?? SECRETS[source].current;
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const json = { 'content-type': 'application/json' };
  switch (source) {
    case 'stripe': {
      const body = opts.body ?? JSON.stringify({ id: opts.id, object: 'event', type: opts.type });
      const header = stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret,
        timestamp: ts,
      });
      return { body, headers: { ...json, 'stripe-signature': header } };
    }
    case 'github': {
      const body = opts.body ?? JSON.stringify({ action: 'opened', number: 1 });
      return {
        body,
        headers: {
          ...json,
          'x-hub-signature-256': await githubSign(secret, body),
          'x-github-event': opts.type,
          'x-github-delivery': opts.id,
        },
      };
    }
    case 'shopify': {
      const body = opts.body ?? JSON.stringify({ id: 820982911946154500, email: 'a@example.com' });
      return {
        body,
        headers: {
          ...json,
          'x-shopify-hmac-sha256': hmacOf('sha256', secret, body).digest('base64'),
          'x-shopify-topic': opts.type,
          'x-shopify-webhook-id': opts.id,
        },
      };
    }
    case 'slack': {
      const body =
        opts.body ??
        JSON.stringify({ type: 'event_callback', event_id: opts.id, event: { type: opts.type } });
      const sig = hmacOf('sha256', secret, `v0:${ts}:`, body).digest('hex');
      return {
        body,
        headers: {
          ...json,
          'x-slack-signature': `v0=${sig}`,
          'x-slack-request-timestamp': String(ts),
        },
      };
    }
    case 'standard-webhooks': {
      const body = opts.body ?? JSON.stringify({ type: opts.type, data: { n: 1 } });
      const signature = new Webhook(secret).sign(opts.id, new Date(ts * 1000), body);
      return {
        body,
        headers: {
          ...json,
          'webhook-id': opts.id,
          'webhook-timestamp': String(ts),
          'webhook-signature': signature,
        },
      };
    }
    case 'svix': {
      // Svix signs as Standard Webhooks does, under svix- header names.
      const body = opts.body ?? JSON.stringify({ type: opts.type, data: { n: 2 } });
      const signature = new Webhook(secret).sign(opts.id, new Date(ts * 1000), body);
      return {
        body,
        headers: {
          ...json,
          'svix-id': opts.id,
          'svix-timestamp': String(ts),
          'svix-signature': signature,
        },
      };
    }
    case 'hmac': {
      const body = opts.body ?? JSON.stringify({ type: opts.type, id: opts.id });
      const sig = hmacOf('sha512', secret, body).digest('base64');
      return { body, headers: { ...json, 'x-signature': `sha512=${sig}` } };
    }
    case 'hmac-hex': {
      const body = opts.body ?? JSON.stringify({ n: 1 });
      const sig = hmacOf('sha256', secret, body).digest('hex');
      return {
        body,
        headers: {
          ...json,
          'x-hook-signature': sig,
          'x-hook-event': opts.type,
          'x-hook-id': opts.id,
        },
      };
    }
  }
}

/**
 * The headers each source's verdict depends on (signature, signed timestamp and
 * id), the signature last, as its scheme reports them; for failure tests.
 */
export const SIGNATURE_HEADERS: Record<TestSource, readonly string[]> = Object.fromEntries(
  TEST_SOURCES.map((s) => [s, testScheme(s).signedHeaders]),
) as Record<TestSource, readonly string[]>;

/** Sources whose scheme signs a timestamp (and so rejects stale and future ones). */
export const TIMESTAMPED: ReadonlySet<TestSource> = new Set(
  TEST_SOURCES.filter((s) =>
    Object.values(schemeDefinition(s === 'hmac-hex' ? 'hmac' : s)?.settings ?? {}).some(
      (setting) => setting.key === 'tolerance',
    ),
  ),
);

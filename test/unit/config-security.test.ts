/**
 * The security variables: sources, admin token, CORS, proxy trust, rate limits
 * and Redis TLS files; and that no secret survives printing the configuration.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { loadConfig, redactedConfig } from '../../src/config/config.js';
import { Secret } from '../../src/config/secret.js';
import { problemsOf, redisOf } from '../helpers/config.js';
import { captureLogs } from '../helpers/logs.js';
import { SECRETS, sourcesEnv, TEST_SOURCES, writeSourcesFile } from '../helpers/sources.js';

const ADMIN_TOKEN = 'ADMINtokenVALUE-0123456789abcdef';

describe('security configuration', () => {
  it('is closed by default: no sources, no admin, no CORS, no proxy trust, no limits', () => {
    const c = loadConfig({});
    assert.deepEqual(c.sources, []);
    assert.equal(c.adminToken, undefined);
    assert.deepEqual(c.corsOrigins, []);
    assert.equal(c.trustProxy, false);
    assert.deepEqual(c.rateLimit, { windowMs: 60_000, perSource: 0, perIp: 0 });
    assert.equal(c.unsignedWebhooks, true, 'POST /webhooks stays as the spec describes');
  });

  it('reads every variable it documents', () => {
    const c = loadConfig({
      ...sourcesEnv(),
      SOURCES_FILE: writeSourcesFile(),
      ADMIN_TOKEN,
      CORS_ALLOWED_ORIGINS: 'https://ops.example.com, http://localhost:3000',
      TRUST_PROXY: '10.0.0.0/8,192.168.1.1',
      RATE_LIMIT_WINDOW: '10s',
      RATE_LIMIT_PER_SOURCE: '500',
      RATE_LIMIT_PER_IP: '50',
      UNSIGNED_WEBHOOKS: 'false',
    });
    assert.deepEqual(
      c.sources.map((s) => s.name),
      [...TEST_SOURCES],
    );
    assert.equal(c.adminToken?.reveal(), ADMIN_TOKEN);
    assert.deepEqual(c.corsOrigins, ['https://ops.example.com', 'http://localhost:3000']);
    assert.deepEqual(c.trustProxy, ['10.0.0.0/8', '192.168.1.1']);
    assert.deepEqual(c.rateLimit, { windowMs: 10_000, perSource: 500, perIp: 50 });
    assert.equal(c.unsignedWebhooks, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  });

  it('refuses bad values, naming the variable and never echoing a token', () => {
    const problems = problemsOf({
      ADMIN_TOKEN: 'SHORTtoken',
      CORS_ALLOWED_ORIGINS: '*,https://ok.example.com/path',
      TRUST_PROXY: 'some-proxy',
      RATE_LIMIT_PER_IP: '-5',
      RATE_LIMIT_WINDOW: 'soon',
    });
    const text = problems.join('\n');
    assert.match(text, /ADMIN_TOKEN: expected at least 16 characters/);
    assert.ok(!text.includes('SHORTtoken'));
    assert.match(text, /CORS_ALLOWED_ORIGINS: "\*" is not an origin/);
    assert.match(text, /CORS_ALLOWED_ORIGINS: "https:\/\/ok.example.com\/path" is not an origin/);
    assert.match(text, /TRUST_PROXY="some-proxy"/);
    assert.match(text, /RATE_LIMIT_PER_IP/);
    assert.match(text, /RATE_LIMIT_WINDOW/);
  });

  it('stops start-up on a bad SOURCES_FILE, with the source and field', () => {
    const path = writeSourcesFile(
      'sources:\n  shop:\n    scheme: shopify\n    secret_env: UNSET\n',
    );
    const problems = problemsOf({ SOURCES_FILE: path });
    assert.match(problems.join('\n'), /source "shop": "secret_env" names UNSET, which is not set/);
  });

  it('Redis TLS files need rediss://, a readable path, and cert with key', () => {
    const pem = writeSourcesFile('not really a pem');
    assert.match(
      problemsOf({ REDIS_ADDR: 'localhost:6379', REDIS_TLS_CA: pem }).join('\n'),
      /need REDIS_URL=rediss:/,
    );
    assert.match(
      problemsOf({ REDIS_URL: 'rediss://localhost:6380', REDIS_TLS_CERT: pem }).join('\n'),
      /REDIS_TLS_CERT and REDIS_TLS_KEY .* must be set together/,
    );
    assert.match(
      problemsOf({ REDIS_URL: 'rediss://localhost:6380', REDIS_TLS_CA: '/nope/ca.pem' }).join('\n'),
      /REDIS_TLS_CA=\/nope\/ca.pem: cannot read the file \(ENOENT\)/,
    );
    const c = loadConfig({
      REDIS_URL: 'rediss://app:pw@localhost:6380/1',
      REDIS_TLS_CA: pem,
      REDIS_TLS_CERT: pem,
      REDIS_TLS_KEY: pem,
    });
    assert.equal(redisOf(c).tls, true);
    assert.equal(redisOf(c).username, 'app');
    assert.deepEqual(redisOf(c).tlsFiles, { ca: pem, cert: pem, key: pem });
  });

  it('prints no secret: redacted config, JSON, inspect, or a logger given the raw config', () => {
    const redisPassword = 'REDISpasswordVALUE123';
    const c = loadConfig({
      ...sourcesEnv(),
      SOURCES_FILE: writeSourcesFile(),
      ADMIN_TOKEN,
      REDIS_URL: `redis://:${redisPassword}@localhost:6379/0`,
    });
    const secrets = [
      ADMIN_TOKEN,
      redisPassword,
      ...TEST_SOURCES.flatMap((s) => [SECRETS[s].current, SECRETS[s].previous]),
    ];
    const logs = captureLogs('trace');
    logs.log.info({ config: redactedConfig(c) }, 'redacted');
    // Even a careless log line of the raw config keeps the Secret-wrapped values out.
    logs.log.info({ sources: c.sources, adminToken: c.adminToken }, 'raw');
    const printed = [
      JSON.stringify(redactedConfig(c)),
      inspect(redactedConfig(c), { depth: 10 }),
      inspect(c.sources, { depth: 10 }),
      JSON.stringify(c.sources),
      logs.text(),
    ].join('\n');
    for (const s of secrets) assert.ok(!printed.includes(s), `leaked ${s.slice(0, 8)}…`);
    assert.match(printed, /TEST_STRIPE_SECRET_CURRENT/, 'the variable names are shown');
  });

  it('a Secret only gives its value through reveal()', () => {
    const s = new Secret('hunter2hunter2');
    assert.equal(`${s}`, '[redacted]');
    assert.equal(JSON.stringify({ s }), '{"s":"[redacted]"}');
    assert.equal(inspect(s), '[redacted]');
    assert.equal(s.reveal(), 'hunter2hunter2');
  });
});

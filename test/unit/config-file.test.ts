/**
 * The config file as a whole: CONFIG_FILE and its older name SOURCES_FILE, which
 * sections a file may hold, FORWARD_URL alone and with a file, start-up
 * warnings, and that printing the configuration shows no destination secret.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { loadConfig, redactedConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { problemsOf } from '../helpers/config.js';
import { captureLogs } from '../helpers/logs.js';
import { writeSourcesFile } from '../helpers/sources.js';

const write = (text: string) => writeSourcesFile(text);
const whsec = (text: string) => `whsec_${Buffer.from(text).toString('base64')}`;

const SIGNING = whsec('SIGNINGsecretBYTES-0123456789abcdef');
const API_KEY = 'APIkeyVALUE-0123456789';
const env = {
  STRIPE_WEBHOOK_SECRET: 'whsec_STRIPEsecretVALUE',
  GITHUB_WEBHOOK_SECRET: 'GITHUBsecretVALUE',
  BILLING_SIGNING_SECRET: SIGNING,
  BILLING_API_KEY: API_KEY,
};

const EXAMPLE = `
sources:
  stripe: { scheme: stripe, secret_env: STRIPE_WEBHOOK_SECRET }
  github: { scheme: github, secret_env: GITHUB_WEBHOOK_SECRET }

destinations:
  billing:
    url: http://svc:URLpasswordVALUE@billing.internal:3000/hooks
    timeout: 10s
    max_retries: 8
    retry_base_delay: 1s
    concurrency: 10
    rate_limit: 50/s
    signing_secret_env: BILLING_SIGNING_SECRET
    headers:
      X-Api-Key: { env: BILLING_API_KEY }
      X-Team: payments
  ci:
    url: http://ci.internal/github

routes:
  - source: stripe
    event_types: ["invoice.*", "customer.subscription.*"]
    filter: { "data.object.livemode": true }
    to: [billing]
  - source: github
    event_types: [push, pull_request]
    to: [ci, billing]
`;

describe('config file', () => {
  it('reads the three sections into Config', () => {
    const c = loadConfig({ ...env, CONFIG_FILE: write(EXAMPLE) });
    assert.deepEqual(
      c.sources.map((s) => s.name),
      ['stripe', 'github'],
    );
    assert.deepEqual(
      c.destinations.map((d) => d.name),
      ['billing', 'ci'],
    );
    assert.deepEqual(c.routes, [
      {
        sources: ['stripe'],
        eventTypes: ['invoice.*', 'customer.subscription.*'],
        filter: { 'data.object.livemode': true },
        to: ['billing'],
      },
      {
        sources: ['github'],
        eventTypes: ['push', 'pull_request'],
        filter: undefined,
        to: ['ci', 'billing'],
      },
    ]);
    assert.deepEqual(c.warnings, []);
  });

  it('needs no file: no sources, destinations or routes', () => {
    const c = loadConfig({});
    assert.equal(c.configFile, undefined);
    assert.deepEqual([c.sources, c.destinations, c.routes, c.warnings], [[], [], [], []]);
  });

  it('takes CONFIG_FILE, and SOURCES_FILE as its older name', () => {
    const path = write(EXAMPLE);
    assert.equal(loadConfig({ ...env, CONFIG_FILE: path }).configFile, path);
    assert.equal(loadConfig({ ...env, SOURCES_FILE: path }).configFile, path);
    assert.equal(loadConfig({ ...env, SOURCES_FILE: path, CONFIG_FILE: path }).configFile, path);
  });

  it('refuses CONFIG_FILE and SOURCES_FILE naming different files, naming both', () => {
    const a = write(EXAMPLE);
    const b = write(EXAMPLE);
    const text = problemsOf({ ...env, CONFIG_FILE: a, SOURCES_FILE: b }).join('\n');
    assert.match(text, /CONFIG_FILE \(.+\) and SOURCES_FILE \(.+\) name different files/);
    assert.ok(text.includes(a) && text.includes(b), text);
  });

  it('names the variable that was used in every problem', () => {
    const path = write('routes:\n  - source: nope\n    to: [handlers]\n');
    assert.match(problemsOf({ CONFIG_FILE: path }).join('\n'), /^CONFIG_FILE \(.+\): routes\[0\]/);
    assert.match(
      problemsOf({ SOURCES_FILE: path }).join('\n'),
      /^SOURCES_FILE \(.+\): routes\[0\]/,
    );
  });

  it('accepts a file with only destinations and routes; default and "*" need no source', () => {
    const c = loadConfig({
      CONFIG_FILE: write(
        'destinations:\n  a: { url: "http://a.internal/" }\n  b: { url: "http://b.internal/" }\nroutes:\n  - source: default\n    to: [a]\n  - source: "*"\n    to: [b, handlers]\n',
      ),
    });
    assert.deepEqual(c.sources, []);
    assert.deepEqual(
      c.routes.map((r) => [r.sources, r.to]),
      [
        [['default'], ['a']],
        ['*', ['b', 'handlers']],
      ],
    );
  });

  it('accepts routes alone, to the handlers', () => {
    const { problems, routes } = parseConfigFile(
      'routes:\n  - source: "*"\n    to: [handlers]\n',
      {},
    );
    assert.deepEqual(problems, []);
    assert.equal(routes.length, 1);
  });

  const bad: [string, string, RegExp][] = [
    [
      'an empty file',
      '',
      /CONFIG_FILE: the file is empty; expected a map with any of sources, destinations, routes/,
    ],
    [
      'an empty map',
      '{}\n',
      /CONFIG_FILE: expected a map with any of sources, destinations, routes/,
    ],
    ['a list', '- a\n', /CONFIG_FILE: expected a map with any of/],
    ['an unknown section', 'destination: {}\n', /unknown top-level field "destination"/],
    ['destinations that are a list', 'destinations: [a]\n', /"destinations" must be a map/],
    ['routes that are a map', 'routes: { a: 1 }\n', /"routes" must be a list/],
  ];
  for (const [what, text, pattern] of bad) {
    it(`refuses ${what}`, () => {
      const got = parseConfigFile(text, {}).problems;
      assert.ok(
        got.some((p) => pattern.test(p)),
        JSON.stringify(got),
      );
    });
  }

  it('warns about a destination no route sends to, without stopping start-up', () => {
    const c = loadConfig({
      CONFIG_FILE: write(
        'destinations:\n  used: { url: "http://a/" }\n  idle: { url: "http://b/" }\nroutes:\n  - { source: "*", to: [used] }\n',
      ),
    });
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0] ?? '', /destination "idle" is not named in any route's "to"/);
  });

  it('does not repeat a secret or the text around a YAML error', () => {
    const got = parseConfigFile(
      'destinations:\n  a:\n    url: "http://u:PASTEDsecret@h/\n',
      {},
    ).problems;
    assert.match(got[0] ?? '', /not valid YAML or JSON at line \d+, column \d+/);
    assert.ok(!got.join('\n').includes('PASTED'));
  });
});

describe('FORWARD_URL', () => {
  it('alone: every event from every source to the default destination, default policy', () => {
    const c = loadConfig({ FORWARD_URL: 'http://localhost:3000/hooks' });
    assert.equal(c.destinations.length, 1);
    const [d] = c.destinations;
    assert.deepEqual(d, {
      name: 'default',
      url: 'http://localhost:3000/hooks',
      timeoutMs: 30_000,
      maxRetries: 3,
      retryBaseDelayMs: 1_000,
      retryMaxDelayMs: 300_000,
      concurrency: 10,
      rateLimit: undefined,
      signingKeys: [],
      headers: {},
      retry4xx: false,
      breakerFailures: 10,
      breakerCooldownMs: 30_000,
      breakerMaxCooldownMs: 600_000,
    });
    assert.deepEqual(c.routes, [
      { sources: '*', eventTypes: undefined, filter: undefined, to: ['default'] },
    ]);
    assert.deepEqual(c.warnings, []);
  });

  it('takes its retry policy from MAX_RETRIES and RETRY_*_DELAY', () => {
    const [d] = loadConfig({
      FORWARD_URL: 'https://example.com/in',
      MAX_RETRIES: '7',
      RETRY_BASE_DELAY: '2s',
      RETRY_MAX_DELAY: '1h',
    }).destinations;
    assert.deepEqual(
      [d?.maxRetries, d?.retryBaseDelayMs, d?.retryMaxDelayMs],
      [7, 2_000, 3_600_000],
    );
  });

  it('with a file: adds default and a catch-all route after the file routes', () => {
    const c = loadConfig({
      ...env,
      CONFIG_FILE: write(EXAMPLE),
      FORWARD_URL: 'http://fw.internal/',
    });
    assert.deepEqual(
      c.destinations.map((d) => d.name),
      ['billing', 'ci', 'default'],
    );
    assert.equal(c.routes.length, 3);
    assert.deepEqual(c.routes[2], {
      sources: '*',
      eventTypes: undefined,
      filter: undefined,
      to: ['default'],
    });
  });

  it("with a file: the file's routes may name default", () => {
    const { problems, routes } = parseConfigFile(
      'routes:\n  - { source: "*", event_types: ["a.*"], to: [default] }\n',
      {},
      { forwardUrl: 'http://fw/' },
    );
    assert.deepEqual(problems, []);
    assert.equal(routes.length, 2);
  });

  it('refuses a file that defines default too, naming both', () => {
    const text = problemsOf({
      CONFIG_FILE: write(
        'destinations:\n  default: { url: "http://a/" }\nroutes:\n  - { source: "*", to: [default] }\n',
      ),
      FORWARD_URL: 'http://b/',
    }).join('\n');
    assert.match(text, /FORWARD_URL and CONFIG_FILE \(.+\) both define the destination "default"/);
  });

  it('refuses a bad URL without showing it', () => {
    for (const url of ['not a url with PASSWORDvalue', 'ftp://u:PASSWORDvalue@host/']) {
      const text = problemsOf({ FORWARD_URL: url }).join('\n');
      assert.match(text, /FORWARD_URL: destination "default": "url"/);
      assert.ok(!text.includes('PASSWORDvalue'), text);
    }
  });
});

describe('printing the configuration', () => {
  it('shows destinations with the URL redacted and header names only', () => {
    const c = loadConfig({ ...env, CONFIG_FILE: write(EXAMPLE) });
    const printed = redactedConfig(c);
    const [billing] = printed.destinations as Record<string, unknown>[];
    assert.equal(billing?.url, 'http://redacted:redacted@billing.internal:3000/hooks');
    assert.deepEqual(billing?.headers, ['x-api-key', 'x-team']);
    assert.equal(billing?.signingKeyCount, 1);
    assert.equal('signingKeys' in (billing ?? {}), false);
  });

  it('leaks no secret: JSON, inspect, or a logger', () => {
    const c = loadConfig({ ...env, CONFIG_FILE: write(EXAMPLE) });
    const logs = captureLogs('trace');
    logs.log.info({ config: redactedConfig(c) }, 'configuration');
    const key = Buffer.from(SIGNING.slice('whsec_'.length), 'base64');
    const printed = [
      JSON.stringify(redactedConfig(c)),
      inspect(redactedConfig(c), { depth: 20 }),
      logs.text(),
    ].join('\n');
    for (const secret of [
      API_KEY,
      SIGNING,
      SIGNING.slice('whsec_'.length),
      key.toString('hex'),
      'URLpasswordVALUE',
      env.STRIPE_WEBHOOK_SECRET,
      env.GITHUB_WEBHOOK_SECRET,
    ]) {
      assert.ok(!printed.includes(secret), `leaked ${secret.slice(0, 10)}…`);
    }
    // The bytes of a key, as a logger would print a Buffer.
    assert.ok(!printed.includes(JSON.stringify([...key]).slice(1, -1)));
  });
});

/**
 * The config file's destinations: defaults, every field, and one test per way a
 * destination is refused, each naming the destination and the field and never
 * a secret (signing secrets, header values, URL credentials).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigFile } from '../../src/config/config-file.js';
import { MAX_TIMER_MS } from '../../src/config/duration.js';
import type { DestinationDefaults } from '../../src/delivery/destinations-file.js';

const whsec = (text: string) => `whsec_${Buffer.from(text).toString('base64')}`;
const CURRENT = whsec('CURRENTsigningKEY-0123456789abcdef');
const PREVIOUS = whsec('PREVIOUSsigningKEY-0123456789abcde');
const env: Record<string, string> = {
  SIGN_CURRENT: CURRENT,
  SIGN_PREVIOUS: PREVIOUS,
  API_KEY: 'APIkeySECRETvalue',
  EMPTY: '',
  PADDED: ' APIkeySECRETpadded ',
  NOT_WHSEC: Buffer.from('BAREbase64SECRET').toString('base64'),
  BAD_BASE64: 'whsec_NOT*base64*SECRET',
  URL_WITH_CREDS: 'https://svc:URLpasswordSECRET@hooks.example.com/in',
};
const defaults: DestinationDefaults = {
  maxRetries: 5,
  retryBaseDelayMs: 2_000,
  retryMaxDelayMs: 60_000,
};

/** One destination `d` with `settings` (YAML flow map body), routed so it draws no warning. */
function parse(settings: string, opts: { defaults?: DestinationDefaults } = {}) {
  const text = `destinations:\n  d: { ${settings} }\nroutes:\n  - { source: "*", to: [d] }\n`;
  return parseConfigFile(text, env, { defaults: opts.defaults ?? defaults });
}

function problems(settings: string, opts: { defaults?: DestinationDefaults } = {}): string[] {
  return parse(settings, opts).problems;
}

describe('config file: destinations', () => {
  it('applies every default to a destination with only a URL', () => {
    const { destinations, problems } = parse('url: "http://billing.internal:3000/hooks"');
    assert.deepEqual(problems, []);
    assert.deepEqual(destinations, [
      {
        name: 'd',
        url: 'http://billing.internal:3000/hooks',
        timeoutMs: 30_000,
        maxRetries: 5,
        retryBaseDelayMs: 2_000,
        retryMaxDelayMs: 60_000,
        concurrency: 10,
        rateLimit: undefined,
        signingKeys: [],
        headers: {},
        retry4xx: false,
        breakerFailures: 10,
        breakerCooldownMs: 30_000,
        breakerMaxCooldownMs: 600_000,
      },
    ]);
  });

  it('reads every field', () => {
    const { destinations, problems } = parse(
      [
        'url: "https://hooks.example.com/in?team=a"',
        'timeout: 10s',
        'max_retries: 8',
        'retry_base_delay: 500ms',
        'retry_max_delay: 1h',
        'concurrency: 50',
        'rate_limit: 600/m',
        'signing_secret_env: [SIGN_CURRENT, SIGN_PREVIOUS]',
        'headers: { X-Api-Key: { env: API_KEY }, X-Team: payments, X-Version: 2 }',
        'retry_4xx: true',
        'breaker_failures: 3',
        'breaker_cooldown: 5s',
        'breaker_max_cooldown: 2m',
      ].join(', '),
    );
    assert.deepEqual(problems, []);
    const [d] = destinations;
    assert.ok(d);
    assert.equal(d.url, 'https://hooks.example.com/in?team=a');
    assert.equal(d.timeoutMs, 10_000);
    assert.equal(d.maxRetries, 8);
    assert.equal(d.retryBaseDelayMs, 500);
    assert.equal(d.retryMaxDelayMs, 3_600_000);
    assert.equal(d.concurrency, 50);
    assert.deepEqual(d.rateLimit, { count: 600, perMs: 60_000 });
    assert.deepEqual(
      d.signingKeys.map((k) => k.toString()),
      ['CURRENTsigningKEY-0123456789abcdef', 'PREVIOUSsigningKEY-0123456789abcde'],
      'the decoded key bytes, current first',
    );
    assert.deepEqual(d.headers, {
      'x-api-key': 'APIkeySECRETvalue',
      'x-team': 'payments',
      'x-version': '2',
    });
    assert.equal(d.retry4xx, true);
    assert.equal(d.breakerFailures, 3);
    assert.equal(d.breakerCooldownMs, 5_000);
    assert.equal(d.breakerMaxCooldownMs, 120_000);
  });

  it('reads N/s rates, a single signing secret, and a URL from the environment', () => {
    const { destinations, problems } = parse(
      'url: { env: URL_WITH_CREDS }, rate_limit: 50/s, signing_secret_env: SIGN_CURRENT',
    );
    assert.deepEqual(problems, []);
    assert.equal(destinations[0]?.url, 'https://svc:URLpasswordSECRET@hooks.example.com/in');
    assert.deepEqual(destinations[0]?.rateLimit, { count: 50, perMs: 1_000 });
    assert.equal(destinations[0]?.signingKeys.length, 1);
  });

  it('raises the default breaker_max_cooldown to a longer breaker_cooldown', () => {
    const { destinations } = parse('url: "http://a/", breaker_cooldown: 1h');
    assert.equal(destinations[0]?.breakerMaxCooldownMs, 3_600_000);
  });

  const URL = 'url: "http://a.internal/"';
  const bad: [string, string, RegExp][] = [
    ['a missing url', 'timeout: 1s', /destination "d": "url" is required/],
    ['a relative url', 'url: /hooks', /"url" is not an absolute URL/],
    [
      'an ftp url',
      'url: "ftp://files.example.com/"',
      /"url" must be an http:\/\/ or https:\/\/ URL, not ftp:/,
    ],
    ['a url from an unset variable', 'url: { env: NOPE }', /"url" names NOPE, which is not set/],
    [
      'a url from an empty variable',
      'url: { env: EMPTY }',
      /"url" names EMPTY, which is set but empty/,
    ],
    ['a url env that is not a name', 'url: { env: "http://x/" }', /"url" must be \{ env: NAME \}/],
    [
      'a misspelt field',
      `${URL}, time_out: 10s`,
      /"time_out" is not a destination setting \(known: url, timeout/,
    ],
    [
      'a timeout without a unit',
      `${URL}, timeout: 10`,
      /"timeout" must be a duration from 1ms to 10m/,
    ],
    [
      'a timeout over 10 minutes',
      `${URL}, timeout: 11m`,
      /"timeout" must be a duration from 1ms to 10m/,
    ],
    ['a zero timeout', `${URL}, timeout: 0s`, /"timeout" must be a duration/],
    [
      'a negative max_retries',
      `${URL}, max_retries: -1`,
      /"max_retries" must be a whole number from 0 to 1000/,
    ],
    [
      'a fractional max_retries',
      `${URL}, max_retries: 1.5`,
      /"max_retries" must be a whole number/,
    ],
    ['max_retries as a string', `${URL}, max_retries: "8"`, /"max_retries" must be a whole number/],
    [
      'zero concurrency',
      `${URL}, concurrency: 0`,
      /"concurrency" must be a whole number from 1 to 1000/,
    ],
    [
      'a rate per hour',
      `${URL}, rate_limit: 50/h`,
      /"rate_limit" must be requests per second or minute/,
    ],
    [
      'a zero rate',
      `${URL}, rate_limit: 0/s`,
      /"rate_limit" must be requests per second or minute/,
    ],
    ['a bare-number rate', `${URL}, rate_limit: 50`, /"rate_limit" must be/],
    ['retry_4xx as a word', `${URL}, retry_4xx: "yes"`, /"retry_4xx" must be true or false/],
    [
      'zero breaker_failures',
      `${URL}, breaker_failures: 0`,
      /"breaker_failures" must be a whole number from 1/,
    ],
    [
      'a breaker_cooldown over a day',
      `${URL}, breaker_cooldown: 25h`,
      /"breaker_cooldown" must be a duration from 1ms to 24h/,
    ],
    [
      'a breaker_max_cooldown below breaker_cooldown',
      `${URL}, breaker_cooldown: 1m, breaker_max_cooldown: 30s`,
      /"breaker_max_cooldown" must be a duration from 1m0s \(breaker_cooldown\)/,
    ],
    [
      'a retry_max_delay below retry_base_delay',
      `${URL}, retry_base_delay: 10s, retry_max_delay: 5s`,
      /"retry_max_delay" must be a duration from 10s \(retry_base_delay\)/,
    ],
    [
      'a retry_base_delay over the default retry_max_delay',
      `${URL}, retry_base_delay: 5m`,
      /"retry_max_delay" is not set, and its default \(RETRY_MAX_DELAY, 1m0s\) is out of range .*or change RETRY_MAX_DELAY/,
    ],
    [
      'a signing variable that is not set',
      `${URL}, signing_secret_env: NOPE`,
      /"signing_secret_env" names NOPE, which is not set/,
    ],
    [
      'a signing variable that is empty',
      `${URL}, signing_secret_env: EMPTY`,
      /"signing_secret_env" names EMPTY, which is set but empty/,
    ],
    [
      'a signing secret without whsec_',
      `${URL}, signing_secret_env: NOT_WHSEC`,
      /"signing_secret_env" names NOT_WHSEC, whose value is not a Standard Webhooks secret/,
    ],
    [
      'a signing secret that is not base64',
      `${URL}, signing_secret_env: BAD_BASE64`,
      /names BAD_BASE64, whose value is not a Standard Webhooks secret/,
    ],
    [
      'an empty signing list',
      `${URL}, signing_secret_env: []`,
      /"signing_secret_env" must name the environment variable/,
    ],
    [
      'a signing secret pasted in place of a name',
      `${URL}, signing_secret_env: "whsec_PASTEDsecret+value=="`,
      /"signing_secret_env" entries must be environment variable names/,
    ],
    [
      'a header name with a space',
      `${URL}, headers: { "X Team": a }`,
      /"headers.X Team" is not a valid header name/,
    ],
    [
      'Content-Type',
      `${URL}, headers: { Content-Type: text/plain }`,
      /"headers.Content-Type" is set by the HTTP client .* cannot be configured/,
    ],
    ['Host', `${URL}, headers: { Host: other }`, /"headers.Host" is set by the HTTP client/],
    [
      'Content-Length',
      `${URL}, headers: { content-length: 5 }`,
      /"headers.content-length" is set by the HTTP client/,
    ],
    [
      'Transfer-Encoding',
      `${URL}, headers: { Transfer-Encoding: chunked }`,
      /"headers.Transfer-Encoding" is set by the HTTP client/,
    ],
    [
      'Connection',
      `${URL}, headers: { Connection: close }`,
      /"headers.Connection" is set by the HTTP client/,
    ],
    [
      'Webhook-Signature',
      `${URL}, headers: { Webhook-Signature: x }`,
      /"headers.Webhook-Signature" is set by the sender to identify and sign/,
    ],
    [
      'Webhook-Id',
      `${URL}, headers: { webhook-id: x }`,
      /"headers.webhook-id" is set by the sender/,
    ],
    [
      'Webhook-Timestamp',
      `${URL}, headers: { Webhook-Timestamp: x }`,
      /"headers.Webhook-Timestamp" is set by the sender/,
    ],
    [
      'an X-Webhook- header',
      `${URL}, headers: { X-Webhook-Source: x }`,
      /"headers.X-Webhook-Source" is set by the sender/,
    ],
    [
      'User-Agent',
      `${URL}, headers: { User-Agent: x }`,
      /"headers.User-Agent" is set by the sender/,
    ],
    [
      'a header given twice',
      `${URL}, headers: { X-Team: a, x-team: b }`,
      /"headers.x-team" is given twice/,
    ],
    [
      'a header from an unset variable',
      `${URL}, headers: { X-Key: { env: NOPE } }`,
      /"headers.X-Key" names NOPE, which is not set/,
    ],
    [
      'a header from an empty variable',
      `${URL}, headers: { X-Key: { env: EMPTY } }`,
      /"headers.X-Key" names EMPTY, which is set but empty/,
    ],
    [
      'a header from a padded variable',
      `${URL}, headers: { X-Key: { env: PADDED } }`,
      /"headers.X-Key" names PADDED, whose value has leading or trailing spaces/,
    ],
    [
      'a header value with a line break',
      `${URL}, headers: { X-Key: "a\\r\\nX-Evil: 1" }`,
      /"headers.X-Key" has a value that is not a valid header value/,
    ],
    [
      'a header value that is a list',
      `${URL}, headers: { X-Key: [a, b] }`,
      /"headers.X-Key" must be a string, a number, or \{ env: NAME \}/,
    ],
    ['headers that are a list', `${URL}, headers: [a]`, /"headers" must be a map/],
  ];
  for (const [what, settings, pattern] of bad) {
    it(`refuses ${what}, naming the destination and field`, () => {
      const got = problems(settings);
      assert.ok(
        got.some((p) => p.startsWith('CONFIG_FILE: destination "d": ') && pattern.test(p)),
        `no problem matched ${pattern}: ${JSON.stringify(got)}`,
      );
    });
  }

  it('refuses a bad name, the reserved name handlers, and settings that are not a map', () => {
    const got = parseConfigFile(
      'destinations:\n  Billing: { url: "http://a/" }\n  handlers: { url: "http://a/" }\n  bare: http://a/\n',
      {},
    ).problems;
    assert.ok(
      got.some((p) => /destination "Billing": the name must be 1-63 lower-case/.test(p)),
      JSON.stringify(got),
    );
    assert.ok(
      got.some((p) => /destination "handlers": "handlers" is reserved/.test(p)),
      JSON.stringify(got),
    );
    assert.ok(
      got.some((p) => /destination "bare": expected a map of settings/.test(p)),
      JSON.stringify(got),
    );
  });

  it('refuses a default retry policy a destination cannot hold, naming the variable', () => {
    const got = problems(URL, { defaults: { ...defaults, retryMaxDelayMs: MAX_TIMER_MS + 1 } });
    assert.match(
      got.join('\n'),
      /"retry_max_delay" is not set, and its default \(RETRY_MAX_DELAY, /,
    );
  });

  it('reports every problem of a destination at once', () => {
    const got = problems('url: ftp://x/, timeout: 1y, concurrency: 0, rate_limit: fast');
    for (const field of ['url', 'timeout', 'concurrency', 'rate_limit']) {
      assert.ok(
        got.some((p) => p.includes(`"${field}"`)),
        `${field}: ${JSON.stringify(got)}`,
      );
    }
  });

  it('never repeats a secret: not from the environment, the URL, or a literal header', () => {
    const got = [
      ...problems('url: "https://svc:URLpasswordSECRET@"'),
      ...problems('url: "ftp://svc:URLpasswordSECRET@x/"'),
      ...problems('url: "not a URL URLpasswordSECRET"'),
      ...problems(`${URL}, signing_secret_env: "whsec_PASTEDsecret+value=="`),
      ...problems(`${URL}, signing_secret_env: NOT_WHSEC`),
      ...problems(`${URL}, signing_secret_env: BAD_BASE64`),
      ...problems(`${URL}, headers: { X-Key: { env: PADDED } }`),
      ...problems(`${URL}, headers: { X-Key: "LITERALsecret\\n" }`),
      ...problems(`${URL}, headers: { Authorization: [LITERALsecret] }`),
      ...problems(`${URL}, headers: { X-Key: { env: "APIkeySECRETvalue!" } }`),
    ];
    assert.ok(got.length >= 10, JSON.stringify(got));
    for (const p of got) {
      for (const secret of ['SECRET', 'PASTED', 'LITERALsecret', 'BAREbase64']) {
        assert.ok(!p.includes(secret), p);
      }
    }
  });
});

/**
 * The config file's sources: YAML or JSON, every problem named by source and
 * field, and no message that repeats a secret.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { problemsOf } from '../helpers/config.js';
import { sourcesEnv, TEST_SOURCES, writeSourcesFile } from '../helpers/sources.js';

const env = { STRIPE_SECRET: 'whsec_abc', GH_SECRET: 'gh-secret', GH_OLD: 'gh-old', EMPTY: '' };

function problems(text: string, e: Record<string, string> = env): string[] {
  return parseConfigFile(text, e).problems;
}

describe('config file: sources', () => {
  it('reads YAML with secrets resolved from the environment', () => {
    const { sources, problems } = parseConfigFile(
      'sources:\n  stripe:\n    scheme: stripe\n    secret_env: STRIPE_SECRET\n    tolerance: 10m\n  gh:\n    scheme: github\n    secret_env: [GH_SECRET, GH_OLD]\n    rate_limit: 50\n',
      env,
    );
    assert.deepEqual(problems, []);
    assert.equal(sources.length, 2);
    const [stripe, gh] = sources;
    assert.equal(stripe?.scheme, 'stripe');
    assert.equal(stripe && 'toleranceMs' in stripe ? stripe.toleranceMs : 0, 600_000);
    assert.deepEqual(stripe?.secretEnv, ['STRIPE_SECRET']);
    assert.equal(stripe?.secrets[0]?.reveal(), 'whsec_abc');
    assert.deepEqual(
      gh?.secrets.map((s) => s.reveal()),
      ['gh-secret', 'gh-old'],
    );
    assert.equal(gh?.rateLimit, 50);
  });

  it('reads the same settings from JSON', () => {
    const { sources, problems } = parseConfigFile(
      JSON.stringify({
        sources: { stripe: { scheme: 'stripe', secret_env: 'STRIPE_SECRET', tolerance: 120 } },
      }),
      env,
    );
    assert.deepEqual(problems, []);
    const [stripe] = sources;
    assert.equal(stripe && 'toleranceMs' in stripe ? stripe.toleranceMs : 0, 120_000);
  });

  it('defaults: 5 minute tolerance; hmac sha256, hex, no prefix, X-Event-Type and Idempotency-Key', () => {
    const { sources } = parseConfigFile(
      'sources:\n  s:\n    scheme: slack\n    secret_env: GH_SECRET\n  h:\n    scheme: hmac\n    secret_env: GH_SECRET\n    header: X-Sig\n',
      env,
    );
    const [slack, hmac] = sources;
    assert.equal(slack && 'toleranceMs' in slack ? slack.toleranceMs : 0, 300_000);
    assert.deepEqual(hmac?.scheme === 'hmac' && hmac, {
      ...hmac,
      header: 'x-sig',
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: '',
      eventTypeHeader: 'x-event-type',
      deliveryIdHeader: 'idempotency-key',
    });
  });

  it('accepts the test helper file with every scheme', () => {
    const config = loadConfig({ ...sourcesEnv(), CONFIG_FILE: writeSourcesFile() });
    assert.equal(config.sources.length, TEST_SOURCES.length);
  });

  const bad: [string, string, RegExp][] = [
    [
      'an unknown scheme',
      'sources:\n  a:\n    scheme: paypal\n    secret_env: GH_SECRET\n',
      /source "a": "scheme" must be one of stripe, github/,
    ],
    [
      'a missing secret_env',
      'sources:\n  a:\n    scheme: github\n',
      /source "a": "secret_env" must name/,
    ],
    [
      'an unset variable',
      'sources:\n  a:\n    scheme: github\n    secret_env: NOPE\n',
      /source "a": "secret_env" names NOPE, which is not set/,
    ],
    [
      'a misspelt field',
      'sources:\n  a:\n    scheme: stripe\n    secret_env: STRIPE_SECRET\n    tolerence: 5m\n',
      /source "a": "tolerence" is not a setting of the stripe scheme/,
    ],
    [
      'a field of another scheme',
      'sources:\n  a:\n    scheme: github\n    secret_env: GH_SECRET\n    tolerance: 5m\n',
      /source "a": "tolerance" is not a setting of the github scheme/,
    ],
    [
      'a bad tolerance',
      'sources:\n  a:\n    scheme: slack\n    secret_env: GH_SECRET\n    tolerance: 2d\n',
      /source "a": "tolerance" must be a duration/,
    ],
    [
      'a tolerance over an hour',
      'sources:\n  a:\n    scheme: slack\n    secret_env: GH_SECRET\n    tolerance: 2h\n',
      /"tolerance" must be a duration from 1s to 1h/,
    ],
    [
      'a negative rate limit',
      'sources:\n  a:\n    scheme: github\n    secret_env: GH_SECRET\n    rate_limit: -1\n',
      /source "a": "rate_limit" must be a whole number/,
    ],
    [
      'an hmac without a header',
      'sources:\n  a:\n    scheme: hmac\n    secret_env: GH_SECRET\n',
      /source "a": "header" must be an HTTP header name/,
    ],
    [
      'an hmac with md5',
      'sources:\n  a:\n    scheme: hmac\n    secret_env: GH_SECRET\n    header: X-S\n    algorithm: md5\n',
      /"algorithm" must be one of sha256, sha512/,
    ],
    [
      'an hmac with base32',
      'sources:\n  a:\n    scheme: hmac\n    secret_env: GH_SECRET\n    header: X-S\n    encoding: base32\n',
      /"encoding" must be one of hex, base64/,
    ],
    [
      'a bad name',
      'sources:\n  "Bad Name":\n    scheme: github\n    secret_env: GH_SECRET\n',
      /source "Bad Name": the name must be/,
    ],
    [
      'the reserved name default',
      'sources:\n  default:\n    scheme: github\n    secret_env: GH_SECRET\n',
      /"default" is reserved/,
    ],
    [
      'a duplicate source',
      'sources:\n  a:\n    scheme: github\n    secret_env: GH_SECRET\n  a:\n    scheme: github\n    secret_env: GH_SECRET\n',
      /not valid YAML or JSON at line 5, column 3 \(DUPLICATE_KEY\)/,
    ],
    [
      'a source outside the sources map',
      'stripe:\n  scheme: stripe\n',
      /unknown top-level field "stripe" \(expected a map with any of sources, destinations, routes\)/,
    ],
    ['an unknown top-level field', 'sources: {}\nextra: 1\n', /unknown top-level field "extra"/],
    ['sources that are not a map', 'sources: [stripe]\n', /"sources" must be a map/],
    [
      'a variable that is set but empty',
      'sources:\n  a:\n    scheme: github\n    secret_env: EMPTY\n',
      /source "a": "secret_env" names EMPTY, which is set but empty/,
    ],
    [
      'a Standard Webhooks secret that is not base64',
      'sources:\n  a:\n    scheme: standard-webhooks\n    secret_env: GH_SECRET\n',
      /names GH_SECRET, whose value is not a Standard Webhooks secret/,
    ],
    [
      'a Svix secret that is not base64',
      'sources:\n  a:\n    scheme: svix\n    secret_env: GH_SECRET\n',
      /names GH_SECRET, whose value is not a Svix secret \(whsec_ followed by base64\)/,
    ],
    [
      'an hmac setting on a svix source',
      'sources:\n  a:\n    scheme: svix\n    secret_env: STRIPE_SECRET\n    header: X-S\n',
      /"header" is not a setting of the svix scheme \(known: scheme, secret_env, rate_limit, tolerance\)/,
    ],
  ];
  for (const [what, text, pattern] of bad) {
    it(`reports ${what}, naming the source and field`, () => {
      const got = problems(text);
      assert.ok(
        got.some((p) => pattern.test(p)),
        `no problem matched ${pattern}: ${JSON.stringify(got)}`,
      );
    });
  }

  it('reports every problem of every source at once', () => {
    const got = problems(
      'sources:\n  a:\n    scheme: github\n  b:\n    scheme: nope\n  c:\n    scheme: slack\n    secret_env: X\n    tolerance: 0s\n',
    );
    assert.ok(got.some((p) => p.includes('source "a"')));
    assert.ok(got.some((p) => p.includes('source "b"')));
    assert.equal(got.filter((p) => p.includes('source "c"')).length, 2, JSON.stringify(got));
  });

  it('never repeats a secret pasted into the file, nor one read from the environment', () => {
    const pasted = 'whsec_PASTEDsecretVALUE123';
    const got = [
      ...problems(`sources:\n  a:\n    scheme: stripe\n    secret_env: ${pasted}-x\n`),
      ...problems(`sources:\n  a:\n    scheme: stripe\n    secret_env: "${pasted}"\n  "x: y": [\n`),
      ...problems('sources:\n  a:\n    scheme: standard-webhooks\n    secret_env: GH_SECRET\n'),
      ...problems('sources:\n  a:\n    scheme: github\n    secret_env: WS\n', { WS: ' padded ' }),
    ];
    assert.ok(got.length >= 4, JSON.stringify(got));
    for (const p of got) {
      assert.ok(!p.includes('PASTED'), p);
      assert.ok(!p.includes('gh-secret'), p);
      assert.ok(!p.includes('padded'), p);
    }
  });

  it('rejects a secret with surrounding whitespace (a stray newline from a secrets file)', () => {
    assert.match(
      problems('sources:\n  a:\n    scheme: github\n    secret_env: WS\n', { WS: 'abc\n' })[0] ??
        '',
      /names WS, whose value has leading or trailing spaces/,
    );
  });

  it('reports a file that cannot be read, by variable and path', () => {
    assert.match(
      problemsOf({ SOURCES_FILE: '/nonexistent/sources.yaml' }).join('\n'),
      /SOURCES_FILE=\/nonexistent\/sources.yaml: cannot read the file \(ENOENT\)/,
    );
    assert.match(
      problemsOf({ CONFIG_FILE: '/nonexistent/config.yaml' }).join('\n'),
      /CONFIG_FILE=\/nonexistent\/config.yaml: cannot read the file \(ENOENT\)/,
    );
  });

  it('refuses YAML aliases (no entity expansion)', () => {
    const got = problems(
      'base: &b\n  scheme: github\n  secret_env: GH_SECRET\nsources:\n  a: *b\n',
    );
    assert.ok(got.length > 0);
  });
});

/**
 * Every verification scheme: the providers' published vectors, signatures made by
 * the providers' own libraries, and one test per way verification can fail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { githubScheme } from '../../src/sources/github.js';
import type { Verdict } from '../../src/sources/scheme.js';
import { shopifyScheme } from '../../src/sources/shopify.js';
import { slackScheme } from '../../src/sources/slack.js';
import {
  standardWebhooksKey,
  standardWebhooksScheme,
} from '../../src/sources/standard-webhooks.js';
import { svix } from '../../src/sources/svix.js';
import {
  type Delivery,
  SECRETS,
  SIGNATURE_HEADERS,
  signedDelivery,
  TEST_SOURCES,
  type TestSource,
  TIMESTAMPED,
  testScheme,
} from '../helpers/sources.js';

const schemeOf = testScheme;

function verify(source: TestSource, d: Delivery, nowMs = Date.now()): Verdict {
  return schemeOf(source).verify(
    { headers: d.headers, rawBody: Buffer.from(d.body, 'utf8') },
    nowMs,
  );
}

const failure = (v: Verdict) => (v.ok ? 'ok' : v.reason);
const key = (text: string) => [Buffer.from(text, 'utf8')];

describe('published vectors', () => {
  it("Slack: the example from Slack's 'Verifying requests from Slack'", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const scheme = slackScheme({
      keys: key('8f742231b10e8888abcd99yyyzzz85a5'),
      toleranceMs: 300_000,
    });
    const headers = {
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    };
    const rawBody = Buffer.from(body);
    assert.deepEqual(scheme.verify({ headers, rawBody }, 1531420618_000), { ok: true });
    assert.equal(
      failure(scheme.verify({ headers, rawBody: Buffer.from(`${body}x`) }, 1531420618_000)),
      'no_matching_signature',
    );
  });

  it("Shopify: the vector of Shopify's own library (shopify-api-js webhook validation test)", () => {
    const scheme = shopifyScheme({ keys: key('test_secret_key') });
    const headers = { 'x-shopify-hmac-sha256': 'B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=' };
    assert.deepEqual(scheme.verify({ headers, rawBody: Buffer.from('{"foo": "bar"}') }, 0), {
      ok: true,
    });
    assert.equal(
      failure(scheme.verify({ headers, rawBody: Buffer.from('{"foo": "baz"}') }, 0)),
      'no_matching_signature',
    );
  });

  it("GitHub: the example from GitHub's 'Validating webhook deliveries'", () => {
    const scheme = githubScheme({ keys: key("It's a Secret to Everybody") });
    const headers = {
      'x-hub-signature-256':
        'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    };
    assert.deepEqual(scheme.verify({ headers, rawBody: Buffer.from('Hello, World!') }, 0), {
      ok: true,
    });
  });

  it('Standard Webhooks: the reference vector of the specification', () => {
    const k = standardWebhooksKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    assert.ok(k);
    const scheme = standardWebhooksScheme({ keys: [k], toleranceMs: 300_000 });
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const rawBody = Buffer.from('{"test": 2432232314}');
    assert.deepEqual(scheme.verify({ headers, rawBody }, 1614265330_000), { ok: true });
  });

  it("Svix: the example of Svix's 'Verifying payloads manually', under svix- headers only", () => {
    const scheme = svix.create(
      { toleranceMs: 300_000 },
      [standardWebhooksKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')].flatMap((k) => k ?? []),
    );
    const rawBody = Buffer.from('{"test": 2432232314}');
    const values = {
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: '1614265330',
      signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const headers = (prefix: string) =>
      Object.fromEntries(Object.entries(values).map(([k, v]) => [`${prefix}-${k}`, v]));
    assert.deepEqual(scheme.verify({ headers: headers('svix'), rawBody }, 1614265330_000), {
      ok: true,
    });
    assert.equal(
      failure(scheme.verify({ headers: headers('webhook'), rawBody }, 1614265330_000)),
      'missing_header',
    );
  });
});

const T0 = Math.floor(Date.now() / 1000);
const opts = { type: 'thing.happened', id: 'evt_1' };

for (const source of TEST_SOURCES) {
  describe(`${source} scheme`, () => {
    it("verifies a delivery signed by the provider's method", async () => {
      assert.deepEqual(verify(source, await signedDelivery(source, opts)), { ok: true });
    });

    it('verifies with the previous secret and with the new one (rotation)', async () => {
      for (const secret of [SECRETS[source].previous, SECRETS[source].current]) {
        assert.deepEqual(verify(source, await signedDelivery(source, { ...opts, secret })), {
          ok: true,
        });
      }
    });

    it('rejects a signature made with a secret it does not hold', async () => {
      const d = await signedDelivery(source, { ...opts, secret: SECRETS[source].other });
      assert.equal(failure(verify(source, d)), 'no_matching_signature');
    });

    it('rejects a body changed by one byte', async () => {
      const d = await signedDelivery(source, opts);
      const bytes = Buffer.from(d.body);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at] as number) ^ 0x01;
      const verdict = schemeOf(source).verify({ headers: d.headers, rawBody: bytes }, Date.now());
      assert.equal(failure(verdict), 'no_matching_signature');
    });

    it('rejects an empty body signed for a different one', async () => {
      const d = await signedDelivery(source, opts);
      const verdict = schemeOf(source).verify(
        { headers: d.headers, rawBody: Buffer.alloc(0) },
        Date.now(),
      );
      assert.equal(failure(verdict), 'no_matching_signature');
    });

    for (const header of SIGNATURE_HEADERS[source]) {
      it(`rejects a request without ${header}`, async () => {
        const d = await signedDelivery(source, opts);
        delete d.headers[header];
        assert.equal(failure(verify(source, d)), 'missing_header');
      });
    }

    it('rejects malformed signature headers', async () => {
      const malformed = [
        'garbage',
        '',
        ' ',
        'sha256=',
        'v0=',
        't=,v1=',
        'v1,',
        'sha256=zz',
        '=',
        ',',
      ];
      for (const header of SIGNATURE_HEADERS[source]) {
        // Any non-empty id (webhook-id, svix-id) is well-formed.
        if (header.endsWith('-id')) continue;
        for (const value of malformed) {
          const d = await signedDelivery(source, opts);
          d.headers[header] = value;
          const got = failure(verify(source, d));
          assert.ok(
            got === 'malformed_header' || got === 'missing_header',
            `${header}=${JSON.stringify(value)} gave ${got}`,
          );
        }
      }
    });

    it('rejects the signature under another scheme prefix or encoding', async () => {
      const d = await signedDelivery(source, opts);
      for (const header of SIGNATURE_HEADERS[source]) {
        const value = d.headers[header] as string;
        const mangled = Buffer.from(value).toString('base64');
        const v = failure(verify(source, { ...d, headers: { ...d.headers, [header]: mangled } }));
        assert.notEqual(v, 'ok', header);
      }
    });

    if (TIMESTAMPED.has(source)) {
      it('accepts a timestamp inside the tolerance, either way', async () => {
        for (const delta of [-299, 299]) {
          const d = await signedDelivery(source, { ...opts, timestamp: T0 + delta });
          assert.deepEqual(verify(source, d, T0 * 1000), { ok: true }, String(delta));
        }
      });

      it('rejects a stale timestamp', async () => {
        const d = await signedDelivery(source, { ...opts, timestamp: T0 - 301 });
        assert.equal(failure(verify(source, d, T0 * 1000)), 'stale_timestamp');
      });

      it('rejects a future timestamp', async () => {
        const d = await signedDelivery(source, { ...opts, timestamp: T0 + 301 });
        assert.equal(failure(verify(source, d, T0 * 1000)), 'future_timestamp');
      });
    }
  });
}

describe('scheme details', () => {
  it('stripe: any v1 of several may match, and unknown schemes are ignored', async () => {
    const d = await signedDelivery('stripe', opts);
    const good = d.headers['stripe-signature'] as string;
    const t = /t=(\d+)/.exec(good)?.[1];
    const v1 = /v1=([0-9a-f]+)/.exec(good)?.[1];
    d.headers['stripe-signature'] = `t=${t},v1=${'0'.repeat(64)},v0=abc,v1=${v1},x=1`;
    assert.deepEqual(verify('stripe', d), { ok: true });
  });

  it('stripe: two t= values are malformed, not a choice', async () => {
    const d = await signedDelivery('stripe', opts);
    d.headers['stripe-signature'] = `t=1,${d.headers['stripe-signature']}`;
    assert.equal(failure(verify('stripe', d)), 'malformed_header');
  });

  it('standard-webhooks: any v1 entry may match; v1a entries are skipped', async () => {
    const d = await signedDelivery('standard-webhooks', opts);
    const good = d.headers['webhook-signature'] as string;
    d.headers['webhook-signature'] = `v1a,abc v1,${Buffer.alloc(32).toString('base64')} ${good}`;
    assert.deepEqual(verify('standard-webhooks', d), { ok: true });
  });

  it('standard-webhooks: the id is signed, so another id does not verify', async () => {
    const d = await signedDelivery('standard-webhooks', opts);
    d.headers['webhook-id'] = 'msg_other';
    assert.equal(failure(verify('standard-webhooks', d)), 'no_matching_signature');
  });

  it('svix: the id is signed, so another id does not verify', async () => {
    const d = await signedDelivery('svix', opts);
    d.headers['svix-id'] = 'msg_other';
    assert.equal(failure(verify('svix', d)), 'no_matching_signature');
  });

  it('slack: the timestamp is signed, so another one inside the tolerance does not verify', async () => {
    const d = await signedDelivery('slack', { ...opts, timestamp: T0 });
    d.headers['x-slack-request-timestamp'] = String(T0 - 1);
    assert.equal(failure(verify('slack', d, T0 * 1000)), 'no_matching_signature');
  });

  it('hmac: the prefix is required', async () => {
    const d = await signedDelivery('hmac', opts);
    d.headers['x-signature'] = (d.headers['x-signature'] as string).replace('sha512=', '');
    assert.equal(failure(verify('hmac', d)), 'malformed_header');
  });

  it('hex digests are accepted in either case', async () => {
    const d = await signedDelivery('github', opts);
    d.headers['x-hub-signature-256'] = (d.headers['x-hub-signature-256'] as string)
      .toUpperCase()
      .replace('SHA256=', 'sha256=');
    assert.deepEqual(verify('github', d), { ok: true });
  });

  it('a header sent twice (an array) counts as missing', async () => {
    const d = await signedDelivery('github', opts);
    const value = d.headers['x-hub-signature-256'] as string;
    const verdict = schemeOf('github').verify(
      {
        headers: { ...d.headers, 'x-hub-signature-256': [value, value] as unknown as string },
        rawBody: Buffer.from(d.body),
      },
      Date.now(),
    );
    assert.equal(failure(verdict), 'missing_header');
  });
});

describe("the provider's event type and delivery id", () => {
  const cases: [TestSource, string, string][] = [
    ['stripe', 'payment_intent.succeeded', 'evt_1NG8Du2eZvKYlo2CUI79vXWy'],
    ['github', 'pull_request', '72d3162e-cc78-11e3-81ab-4c9367dc0958'],
    ['shopify', 'orders/create', 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043'],
    ['slack', 'app_mention', 'Ev08MFMKH6'],
    ['standard-webhooks', 'invoice.paid', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'],
    ['svix', 'invoice.paid', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'],
    ['hmac-hex', 'order.packed', 'pack-42'],
  ];
  for (const [source, type, id] of cases) {
    it(`${source}: ${type} / ${id}`, async () => {
      const d = await signedDelivery(source, { type, id });
      assert.deepEqual(schemeOf(source).identify(d.headers, JSON.parse(d.body)), {
        eventType: type,
        deliveryId: id,
      });
    });
  }

  it('hmac: reads X-Event-Type and Idempotency-Key by default, else leaves them to the payload', async () => {
    const d = await signedDelivery('hmac', { type: 'order.shipped', id: 'ship-42' });
    const scheme = schemeOf('hmac');
    assert.deepEqual(scheme.identify(d.headers, JSON.parse(d.body)), {
      eventType: undefined,
      deliveryId: undefined,
    });
    const headers = { ...d.headers, 'x-event-type': 'order.shipped', 'idempotency-key': 'ship-42' };
    assert.deepEqual(scheme.identify(headers, {}), {
      eventType: 'order.shipped',
      deliveryId: 'ship-42',
    });
  });

  it('slack: a non-callback payload is named by its own type', () => {
    const id = schemeOf('slack').identify({}, { type: 'app_rate_limited' });
    assert.equal(id.eventType, 'app_rate_limited');
  });

  it('slack: answers url_verification with its challenge', () => {
    const scheme = schemeOf('slack');
    assert.deepEqual(scheme.inlineReply?.({ type: 'url_verification', challenge: 'abc123' }), {
      status: 200,
      body: { challenge: 'abc123' },
    });
    assert.equal(scheme.inlineReply?.({ type: 'event_callback' }), undefined);
    assert.throws(
      () => scheme.inlineReply?.({ type: 'url_verification' }),
      (err: Error & { reason?: string }) => err.reason === 'payload',
    );
  });
});

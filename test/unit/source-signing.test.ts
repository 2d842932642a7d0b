/**
 * Signing outgoing deliveries (`webhook-processor send`): every scheme's
 * signature verifies with the same scheme, and, where a provider publishes a
 * library, with the provider's own code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verify as githubVerify } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { SECRETS, TEST_SOURCES, testScheme } from '../helpers/sources.js';

const schemeOf = testScheme;

const body = Buffer.from(JSON.stringify({ id: 'evt_1', type: 'invoice.paid', n: 1 }));
const delivery = { rawBody: body, eventType: 'invoice.paid', deliveryId: 'msg_1' };

describe('signing outgoing deliveries', () => {
  for (const source of TEST_SOURCES) {
    it(`${source}: the signature verifies, and a changed body does not`, () => {
      const scheme = schemeOf(source);
      const now = Date.now();
      const headers = scheme.sign(delivery, now);
      assert.deepEqual(scheme.verify({ headers, rawBody: body }, now), { ok: true });
      const tampered = Buffer.from(body.toString().replace('1}', '2}'));
      assert.equal(scheme.verify({ headers, rawBody: tampered }, now).ok, false);
      for (const name of scheme.signatureHeaders) assert.ok(name in headers, name);
    });
  }

  it('puts the type and id where the provider does, for header-based schemes', () => {
    for (const source of ['github', 'shopify', 'hmac-hex', 'standard-webhooks', 'svix'] as const) {
      const scheme = schemeOf(source);
      const headers = scheme.sign(delivery, Date.now());
      const identity = scheme.identify(headers, { type: 'invoice.paid' });
      assert.deepEqual(identity, { eventType: 'invoice.paid', deliveryId: 'msg_1' }, source);
    }
  });

  it("verifies with the providers' own libraries", async () => {
    const now = Date.now();
    const stripe = schemeOf('stripe').sign(delivery, now);
    const event = new Stripe('sk_test_not_used').webhooks.constructEvent(
      body,
      stripe['stripe-signature'] as string,
      SECRETS.stripe.current,
    );
    assert.equal(event.id, 'evt_1');
    const github = schemeOf('github').sign(delivery, now);
    assert.equal(
      await githubVerify(
        SECRETS.github.current,
        body.toString(),
        github['x-hub-signature-256'] as string,
      ),
      true,
    );
    const std = schemeOf('standard-webhooks').sign(delivery, now);
    assert.deepEqual(
      new Webhook(SECRETS['standard-webhooks'].current).verify(body.toString(), std),
      JSON.parse(body.toString()),
    );
    // Svix's headers are Standard Webhooks' under other names.
    const svix = schemeOf('svix').sign(delivery, now);
    const renamed = Object.fromEntries(
      Object.entries(svix).map(([name, value]) => [name.replace(/^svix-/, 'webhook-'), value]),
    );
    assert.deepEqual(
      new Webhook(SECRETS.svix.current).verify(body.toString(), renamed),
      JSON.parse(body.toString()),
    );
  });
});

/**
 * Example deliveries for `webhook-processor send`, shaped as each provider
 * shapes its own, so that they exercise the same identification rules.
 */
import type { SchemeName } from '../sources/scheme.js';

/** The body a provider of `scheme` would send for an event (`undefined`: POST /webhooks). */
export function exampleBody(
  scheme: SchemeName | undefined,
  eventType: string,
  deliveryId: string,
): Record<string, unknown> {
  const created = Math.floor(Date.now() / 1000);
  switch (scheme) {
    case 'stripe':
      return {
        id: deliveryId,
        object: 'event',
        type: eventType,
        created,
        data: {
          object: { id: 'pi_example', object: 'payment_intent', amount: 1000, currency: 'usd' },
        },
      };
    case 'slack':
      return {
        type: 'event_callback',
        event_id: deliveryId,
        event_time: created,
        event: { type: eventType, text: 'hello from webhook-processor send' },
      };
    case 'github':
      return {
        action: 'opened',
        repository: { full_name: 'octo-org/example' },
        sender: { login: 'octocat' },
      };
    case 'shopify':
      return {
        id: 820982911946154500,
        email: 'jon@example.com',
        total_price: '10.00',
        currency: 'USD',
      };
    case 'standard-webhooks':
      return {
        type: eventType,
        timestamp: new Date().toISOString(),
        data: { id: 'example', amount: 1000 },
      };
    default:
      // Valid for the built-in payment handlers too.
      return { id: deliveryId, type: eventType, amount: 1000, currency: 'USD' };
  }
}

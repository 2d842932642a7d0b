/**
 * Example deliveries for `webhook-processor send`: each scheme's own (its
 * definition's `example`, shaped as its provider shapes deliveries), or, for
 * POST /webhooks, one the built-in payment handler processes.
 */
import type { SchemeDefinition } from '../sources/scheme-definition.js';

/** The event type `send` uses without `--event`. */
export function exampleEventType(scheme: SchemeDefinition | undefined): string {
  return scheme?.example.eventType ?? 'payment.succeeded';
}

/** The body a provider of `scheme` would send for an event (`undefined`: POST /webhooks). */
export function exampleBody(
  scheme: SchemeDefinition | undefined,
  eventType: string,
  deliveryId: string,
  nowMs = Date.now(),
): Record<string, unknown> {
  if (scheme) return scheme.example.body(eventType, deliveryId, nowMs);
  return { id: deliveryId, type: eventType, amount: 1000, currency: 'USD' };
}

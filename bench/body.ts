/**
 * The request every load generator sends: a realistic webhook (a payment event
 * shaped like a provider's), about 300 bytes, with a unique `id` per request so
 * that idempotency keys never collide and every request is a real enqueue.
 */

const BEFORE_ID = '{"id":"evt_';
const AFTER_ID =
  '","type":"payment.succeeded","created":1718000000,"livemode":false,"data":{"object":' +
  '{"id":"pi_3PXkZb2eZvKYlo2C","object":"payment_intent","amount":2000,"currency":"usd",' +
  '"customer":"cus_QkR2mN8xYz1A","status":"succeeded","metadata":{"order_id":"ord_10482"}}}}';

/** For autocannon's idReplacement: `[<id>]` becomes a fresh id on every request. */
export const AUTOCANNON_BODY = `${BEFORE_ID}[<id>]${AFTER_ID}`;

/** The same body with a given id (the paced generator numbers its requests). */
export function bodyWithId(id: string): string {
  return BEFORE_ID + id + AFTER_ID;
}

export const HEADERS = { 'content-type': 'application/json' } as const;

/**
 * The tally of the delivery fault scenarios, counted from what the destinations'
 * receivers got, never from the service's own view. A pair is one accepted event
 * and one destination its route names; every pair must arrive at least once.
 *
 * accepted = distinct job ids answered 202; pairs = accepted × destinations;
 * delivered pairs = pairs received at least once; lost = pairs never received;
 * duplicate pairs = pairs received more than once; extra receipts = receipts
 * beyond the first, summed; max receipts = the most receipts of one pair.
 */
import assert from 'node:assert/strict';
import type { Received, Receiver } from './recording-receiver.js';

/** Every scenario's faults allow at most this many receipts of one pair. */
export const MAX_RECEIPTS_PER_PAIR = 4;

export interface DeliveryTally {
  accepted: number;
  pairs: number;
  deliveredPairs: number;
  lost: number;
  duplicatePairs: number;
  extraReceipts: number;
  maxReceipts: number;
  /**
   * Pairs (as in `duplicates`) whose first receipt was not attempt 1: an earlier
   * attempt was counted without reaching the receiver.
   */
  firstOnLaterAttempt: Set<string>;
  /** Receipts of an event whose 202 the sender never saw (the answer was lost in a crash). */
  deliveredWithoutSeen202: number;
  /** Receipts whose webhook-id is not `<event id>:<destination>`, or differs from the pair's first. */
  webhookIdMismatches: string[];
  /** Receipts whose body is not the event named by x-webhook-event-id. */
  bodyMismatches: string[];
  /** A few lost pairs (`<event id> -> <destination>`), for the failure message. */
  lostSample: string[];
  /** Duplicate pairs as `<destination> <event id>`. */
  duplicates: Set<string>;
}

/** A pair's key in `duplicates` and in the scenarios' sets of explained pairs. */
export const pairKey = (destination: string, eventId: string) => `${destination} ${eventId}`;

/**
 * Tallies `accepted` against what each destination's receiver got. `idOfEvent`
 * maps the sender's event number (the body's `n`) to the job id its 202 named.
 */
export function deliveryTallyOf(
  accepted: ReadonlySet<string>,
  idOfEvent: ReadonlyMap<number, string>,
  receivers: ReadonlyMap<string, Receiver>,
): DeliveryTally {
  const t: DeliveryTally = {
    accepted: accepted.size,
    pairs: accepted.size * receivers.size,
    deliveredPairs: 0,
    lost: 0,
    duplicatePairs: 0,
    extraReceipts: 0,
    maxReceipts: 0,
    firstOnLaterAttempt: new Set(),
    deliveredWithoutSeen202: 0,
    webhookIdMismatches: [],
    bodyMismatches: [],
    lostSample: [],
    duplicates: new Set(),
  };
  for (const [destination, receiver] of receivers) {
    const byEvent = new Map<string, Received[]>();
    for (const r of receiver.received) {
      const id = String(r.headers['x-webhook-event-id']);
      const list = byEvent.get(id) ?? [];
      list.push(r);
      byEvent.set(id, list);
      const n = (JSON.parse(r.body.toString('utf8')) as { n?: number }).n;
      const named = n === undefined ? undefined : idOfEvent.get(n);
      if (named !== undefined && named !== id) t.bodyMismatches.push(`${destination} ${id}`);
    }
    for (const id of accepted) {
      if (!byEvent.has(id)) {
        t.lost++;
        if (t.lostSample.length < 10) t.lostSample.push(`${id} -> ${destination}`);
      }
    }
    for (const [id, receipts] of byEvent) {
      if (accepted.has(id)) t.deliveredPairs++;
      else t.deliveredWithoutSeen202++;
      t.maxReceipts = Math.max(t.maxReceipts, receipts.length);
      if (receipts[0]?.headers['x-webhook-attempt'] !== '1') {
        t.firstOnLaterAttempt.add(pairKey(destination, id));
      }
      if (receipts.length > 1) {
        t.duplicatePairs++;
        t.extraReceipts += receipts.length - 1;
        t.duplicates.add(pairKey(destination, id));
      }
      const expected = `${id}:${destination}`;
      for (const r of receipts) {
        if (r.headers['webhook-id'] !== expected) {
          t.webhookIdMismatches.push(`${destination} ${id}: ${String(r.headers['webhook-id'])}`);
        }
      }
    }
  }
  return t;
}

/** Prints the scenario's tally line; the suite's figures are these lines. */
export function printDeliveryTally(
  scenario: string,
  t: DeliveryTally,
  extra: Record<string, string | number> = {},
): void {
  const more = Object.entries(extra)
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  console.log(
    `TALLY ${scenario}: accepted=${t.accepted} pairs=${t.pairs} delivered_pairs=${t.deliveredPairs} lost=${t.lost} duplicate_pairs=${t.duplicatePairs} extra_receipts=${t.extraReceipts} max_receipts=${t.maxReceipts}${more}`,
  );
}

/** No pair lost, none received over and over, and every receipt names its delivery. */
export function assertEveryPairDelivered(t: DeliveryTally): void {
  assert.ok(t.accepted > 0, 'the scenario accepted nothing, so it proved nothing');
  assert.equal(
    t.lost,
    0,
    `${t.lost} (event, destination) pairs were never delivered (e.g. ${t.lostSample.join(', ')})`,
  );
  assert.ok(
    t.maxReceipts <= MAX_RECEIPTS_PER_PAIR,
    `a pair was received ${t.maxReceipts} times (at most ${MAX_RECEIPTS_PER_PAIR}): re-sends must not loop`,
  );
  assert.deepEqual(
    t.webhookIdMismatches.slice(0, 10),
    [],
    'every receipt, first or repeated, carries the webhook-id <event id>:<destination>',
  );
  assert.deepEqual(t.bodyMismatches.slice(0, 10), [], 'every receipt carries its own event');
}

/**
 * A pair received twice, or first received on a later attempt (an attempt spent
 * without reaching the receiver), is allowed only where `explained` says why:
 * `because` names that reason in the failure message.
 */
export function assertRepeatsExplained(
  t: DeliveryTally,
  explained: (pair: string) => boolean,
  because: string,
): void {
  assert.deepEqual(
    [...t.duplicates].filter((pair) => !explained(pair)),
    [],
    `a pair arrives twice only if ${because}`,
  );
  assert.deepEqual(
    [...t.firstOnLaterAttempt].filter((pair) => !explained(pair)),
    [],
    `an attempt is spent without reaching the receiver only if ${because}`,
  );
}

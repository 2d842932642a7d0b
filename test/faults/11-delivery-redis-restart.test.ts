/**
 * Fault 11: Redis is SIGKILLed while the service forwards events to two
 * destinations (one fast, one slower), webhooks keep coming, and Redis restarts
 * on the same port and data directory (AOF, appendfsync always). The same
 * service process carries on, and every accepted event reaches every
 * destination. A pair may arrive twice only if the service logged that it could
 * not record the delivery's outcome (or an attempt failed), and a repeat carries
 * the same webhook-id as the first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServiceProcess } from '../helpers/child.js';
import { deliveryRig, loggedPairs } from '../helpers/delivery-rig.js';
import {
  assertEveryPairDelivered,
  assertRepeatsExplained,
  printDeliveryTally,
} from '../helpers/delivery-tally.js';
import { rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 1_200;
/** The outage lasts until this many requests were refused (16 senders, 100 ms apart). */
const OUTAGE_REFUSALS = 400;
/** A request unanswered after this long counts as a hang. */
const ANSWER_BOUND_MS = 5_000;
const BOOKKEEPING_FAILED = 'delivery bookkeeping failed; it is reclaimed after RECLAIM_IDLE';

describe('fault 11: Redis restarts mid-delivery', () => {
  const newRig = rigs('dredis');

  it('delivers every accepted event to every destination across a Redis SIGKILL and restart', {
    timeout: 120_000,
  }, async (tc) => {
    const r = await newRig();
    const d = await deliveryRig({
      fast: { delayMs: 0, concurrency: 8 },
      slow: { delayMs: 30, concurrency: 8 },
    });
    const fast = d.receivers.get('fast');
    const slow = d.receivers.get('slow');
    assert.ok(fast && slow);
    const service = await startServiceProcess(
      r.env({
        WORKER_COUNT: '2',
        TIMEOUT: '2s',
        RECLAIM_IDLE: '3s',
        QUEUE_SIZE: '100000',
        REDIS_COMMAND_TIMEOUT: '1s',
        REDIS_CONNECT_TIMEOUT: '1s',
        ...d.env,
      }),
    );
    const load = new Load({
      target: () => service.url,
      concurrency: 16,
      requestTimeoutMs: ANSWER_BOUND_MS,
      retryPauseMs: 100,
    }).start(EVENTS);
    // A failed step must not leave the sender resending forever.
    tc.after(() => load.stop());

    await waitFor(
      () => load.accepted.size >= EVENTS * 0.4 && fast.received.length > 0 && slow.open > 0,
      { what: 'deliveries under way', timeoutMs: 30_000, intervalMs: 5 },
    );
    const openAtSlow = slow.open;
    await r.server.kill();
    const acceptedAtKill = load.accepted.size;
    const receivedAtKill = fast.received.length + slow.received.length;
    await waitFor(() => load.count('503 store_unavailable') >= OUTAGE_REFUSALS, {
      what: 'refusals during the outage',
      timeoutMs: 20_000,
    });
    const receivedDuringOutage = fast.received.length + slow.received.length - receivedAtKill;
    await r.server.restart();

    await load.done();
    const t = await d.settle(load, () => service.url, 50_000);
    const notRecorded = loggedPairs(service.lines, BOOKKEEPING_FAILED);
    const failedAttempts = loggedPairs(service.lines, 'delivery attempt failed');
    printDeliveryTally('11 delivery Redis restart', t, {
      sent: load.started,
      accepted_at_kill: acceptedAtKill,
      open_at_slow_receiver: openAtSlow,
      received_during_outage: receivedDuringOutage,
      outcomes_not_recorded: notRecorded.size,
      failed_attempts: failedAttempts.size,
      first_on_later_attempt: t.firstOnLaterAttempt.size,
      refused_503: load.countPrefix('503'),
      webhook_id_mismatches: t.webhookIdMismatches.length,
    });

    assertEveryPairDelivered(t);
    assert.equal(
      load.accepted.size,
      EVENTS,
      `every event is accepted in the end: ${load.summary()}`,
    );
    assert.equal(load.count('hang'), 0, `no request went unanswered: ${load.summary()}`);
    assert.equal(service.proc.exitCode, null, 'the same process carried on');
    const explained = (pair: string) => notRecorded.has(pair) || failedAttempts.has(pair);
    assertRepeatsExplained(
      t,
      explained,
      'the service logged that its outcome was not recorded, or an attempt of it failed',
    );
    assert.deepEqual(load.dedupeMismatches, [], 'a resent event gets its original job id');
    assert.equal(await r.direct.xlen(r.dlq), 0, 'no delivery was dead-lettered');
  });
});

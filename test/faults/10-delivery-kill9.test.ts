/**
 * Fault 10: the service is SIGKILLed while it forwards events to two
 * destinations (one fast, one slower), webhooks keep arriving, and it is
 * restarted. Every accepted event reaches every destination; a pair may arrive
 * twice only if its delivery was in flight at the kill (or an attempt failed),
 * and a repeat carries the same webhook-id as the first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServiceProcess } from '../helpers/child.js';
import { deliveryRig, loggedPairs } from '../helpers/delivery-rig.js';
import {
  assertEveryPairDelivered,
  assertRepeatsExplained,
  pairKey,
  printDeliveryTally,
} from '../helpers/delivery-tally.js';
import { rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 1_200;

describe('fault 10: kill -9 mid-delivery', () => {
  const newRig = rigs('dkill9');

  it('delivers every accepted event to every destination after a SIGKILL and a restart', {
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
    const env = r.env({
      PORT: String(await freePort()),
      WORKER_COUNT: '2',
      TIMEOUT: '2s',
      RECLAIM_IDLE: '3s',
      QUEUE_SIZE: '100000',
      ...d.env,
    });
    const first = await startServiceProcess(env);
    let service = first;
    const load = new Load({ target: () => service.url, concurrency: 16 }).start(EVENTS);
    // A failed step must not leave the sender resending forever.
    tc.after(() => load.stop());

    // Partway through, with requests open at the slow receiver: kill.
    await waitFor(
      () => load.accepted.size >= EVENTS * 0.4 && fast.received.length > 0 && slow.open > 0,
      { what: 'deliveries under way', timeoutMs: 30_000, intervalMs: 5 },
    );
    const openAtSlow = slow.open;
    first.proc.kill('SIGKILL');
    await first.exited;
    const acceptedAtKill = load.accepted.size;
    const receivedAtKill = fast.received.length + slow.received.length;
    const inFlight = new Set<string>();
    for (const name of d.receivers.keys()) {
      for (const id of await r.pendingJobIds(undefined, r.laneStream(name))) {
        inFlight.add(pairKey(name, id));
      }
    }

    service = await startServiceProcess(env);
    await load.done();
    const t = await d.settle(load, () => service.url, 50_000);
    const lines = [...first.lines, ...service.lines];
    const failedAttempts = loggedPairs(lines, 'delivery attempt failed');
    const tookBack = service.lines
      .filter((l) => l.msg === 'took back deliveries from an instance that stopped')
      .reduce((n, l) => n + Number(l.requeued), 0);
    printDeliveryTally('10 delivery kill -9', t, {
      sent: load.started,
      accepted_at_kill: acceptedAtKill,
      received_at_kill: receivedAtKill,
      in_flight_at_kill: inFlight.size,
      open_at_slow_receiver: openAtSlow,
      taken_back: tookBack,
      failed_attempts: failedAttempts.size,
      first_on_later_attempt: t.firstOnLaterAttempt.size,
      delivered_without_seen_202: t.deliveredWithoutSeen202,
      webhook_id_mismatches: t.webhookIdMismatches.length,
    });

    assertEveryPairDelivered(t);
    assert.equal(
      load.accepted.size,
      EVENTS,
      `every event is accepted in the end: ${load.summary()}`,
    );
    assert.ok(inFlight.size > 0, 'the kill hit while deliveries were in flight');
    const explained = (pair: string) => inFlight.has(pair) || failedAttempts.has(pair);
    assertRepeatsExplained(t, explained, 'it was in flight at the kill or an attempt of it failed');
    assert.deepEqual(load.dedupeMismatches, [], 'a resent event gets its original job id');
    assert.equal(await r.direct.xlen(r.dlq), 0, 'no delivery was dead-lettered');
  });
});

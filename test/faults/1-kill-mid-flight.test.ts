/**
 * Fault 1: the service is SIGKILLed while its workers are busy and webhooks keep
 * arriving, then restarted. Every accepted event is processed; an event may be
 * processed twice only if it was in flight (pending) at the kill.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServiceProcess } from '../helpers/child.js';
import { assertNoneLost, printTally, rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 5_000;

describe('fault 1: kill -9 mid-flight', () => {
  const newRig = rigs('kill9');

  it('processes every accepted event after a SIGKILL and a restart; duplicates only among jobs in flight', async () => {
    const r = await newRig();
    const env = r.env({
      PORT: String(await freePort()),
      WORKER_COUNT: '16',
      FIXTURE_HANDLER_MS: '5',
      TIMEOUT: '2s',
      RECLAIM_IDLE: '3s',
      QUEUE_SIZE: '100000',
    });
    let service = await startServiceProcess(env);
    const load = new Load({ target: () => service.url, concurrency: 32 }).start(EVENTS);

    // Partway through, with jobs running: kill.
    await waitFor(
      async () => load.accepted.size >= EVENTS * 0.4 && (await r.record.hlen(r.recordKey)) > 0,
      { what: 'load under way', timeoutMs: 60_000, intervalMs: 10 },
    );
    service.proc.kill('SIGKILL');
    await service.exited;
    const acceptedAtKill = load.accepted.size;
    const inFlight = await r.pendingJobIds();

    service = await startServiceProcess(env);
    await load.done();
    const t = await r.settle(load.accepted, 60_000);
    printTally('1 kill -9 mid-flight', t, {
      sent: load.started,
      accepted_at_kill: acceptedAtKill,
      in_flight_at_kill: inFlight.size,
      processed_without_seen_202: t.processedUnconfirmed,
    });

    assertNoneLost(t);
    assert.equal(
      load.accepted.size,
      EVENTS,
      `every event is accepted in the end: ${load.summary()}`,
    );
    assert.ok(inFlight.size > 0, 'the kill hit while jobs were in flight');
    const outside = t.duplicateIds.filter((id) => !inFlight.has(id));
    assert.deepEqual(outside, [], 'only jobs in flight at the kill may run twice');
    assert.deepEqual(load.dedupeMismatches, [], 'a resent event gets its original job id');
    assert.equal(await r.direct.xlen(r.dlq), 0, 'no healthy job was dead-lettered');
  });
});

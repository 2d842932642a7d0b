/**
 * Fault 2: Redis is SIGKILLed under load, webhooks keep coming for a while, and
 * Redis restarts on the same port and data directory (AOF, appendfsync always).
 * During the outage POST answers 503 in bounded time and /health is unhealthy;
 * afterwards the same service process recovers, and every 202 is processed.
 * The completion record lives on another Redis, so it survives the kill.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServiceProcess } from '../helpers/child.js';
import { assertNoneLost, completionsNotRecorded, printTally, rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 2_000;
/** The outage lasts until this many requests were refused. */
const OUTAGE_REFUSALS = 600;
/** A request unanswered after this long counts as a hang. */
const ANSWER_BOUND_MS = 5_000;

async function health(url: string): Promise<number> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
  await res.arrayBuffer();
  return res.status;
}

describe('fault 2: Redis dies and returns', () => {
  const newRig = rigs('redisdies');

  it('answers 503 during the outage, recovers without a restart, and processes every 202', async () => {
    const r = await newRig();
    const service = await startServiceProcess(
      r.env({
        WORKER_COUNT: '8',
        FIXTURE_HANDLER_MS: '5',
        TIMEOUT: '2s',
        RECLAIM_IDLE: '3s',
        QUEUE_SIZE: '100000',
        REDIS_COMMAND_TIMEOUT: '1s',
        REDIS_CONNECT_TIMEOUT: '1s',
        BACKLOG_SAMPLE_INTERVAL: '100ms',
      }),
    );
    const load = new Load({
      target: () => service.url,
      concurrency: 16,
      requestTimeoutMs: ANSWER_BOUND_MS,
      retryPauseMs: 100,
    }).start(EVENTS);

    await waitFor(async () => load.accepted.size >= 600 && (await r.record.hlen(r.recordKey)) > 0, {
      what: 'load under way',
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    await r.server.kill();
    const acceptedBeforeOutage = load.accepted.size;

    // Keep sending through the outage: refusals must be quick 503s. (Answers to
    // writes Redis made just before it died may still arrive: count from the first 503.)
    await waitFor(() => load.count('503 store_unavailable') >= 1, {
      what: 'the first 503 of the outage',
      timeoutMs: 20_000,
    });
    const acceptedAtFirst503 = load.accepted.size;
    // A few seconds of outage: each of the 16 senders retries every 100ms or so.
    await waitFor(() => load.count('503 store_unavailable') >= OUTAGE_REFUSALS, {
      what: 'refusals during the outage',
      timeoutMs: 20_000,
    });
    const healthDuringOutage = await health(service.url);
    const acceptedDuringOutage = load.accepted.size - acceptedAtFirst503;

    await r.server.restart();
    await load.done();
    const t = await r.settle(load.accepted, 60_000);
    const healthAfter = await health(service.url);
    const notRecorded = completionsNotRecorded(service.lines);
    printTally('2 Redis dies and returns', t, {
      completions_not_recorded: notRecorded,
      sent: load.started,
      accepted_before_outage: acceptedBeforeOutage,
      accepted_after_outage: load.accepted.size - acceptedAtFirst503,
      refused_503: load.countPrefix('503'),
      slowest_503_ms: Math.round(load.slowest.get('503 store_unavailable') ?? 0),
    });

    assertNoneLost(t);
    assert.ok(
      t.extraRuns <= notRecorded,
      'a job ran twice only if the service logged that its completion was not recorded',
    );
    assert.equal(
      load.accepted.size,
      EVENTS,
      `every event is accepted in the end: ${load.summary()}`,
    );
    assert.equal(load.count('hang'), 0, `no request went unanswered: ${load.summary()}`);
    for (const outcome of load.outcomes.keys()) {
      assert.ok(
        outcome === '202' || outcome.startsWith('503 '),
        `only 202 or 503 (never a 500 or a dropped connection): ${load.summary()}`,
      );
    }
    assert.equal(acceptedDuringOutage, 0, 'nothing is accepted while Redis is down');
    assert.equal(healthDuringOutage, 503, '/health is unhealthy during the outage');
    assert.equal(service.proc.exitCode, null, 'the same process carried on');
    assert.ok(
      load.accepted.size > acceptedAtFirst503,
      'webhooks are accepted again after the return',
    );
    assert.equal(healthAfter, 200, '/health is healthy again');
    assert.deepEqual(load.dedupeMismatches, [], 'a resent event gets its original job id');
    assert.equal(await r.direct.xlen(r.dlq), 0, 'no healthy job was dead-lettered');
  });
});

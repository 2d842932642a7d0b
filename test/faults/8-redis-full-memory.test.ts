/**
 * Fault 8: Redis runs out of memory. A backlog of accepted webhooks waits (no
 * worker runs yet); then Redis's memory is filled with other keys and held past
 * maxmemory (noeviction) for the rest of the scenario, so Redis refuses every
 * command that needs memory. Ingest must refuse with 503 store_unavailable, never
 * a 500. A fresh worker instance must start and drain; every client connection
 * is then killed (CLIENT KILL TYPE normal), and both instances must reconnect,
 * and the backlog drain to the last job, with memory still past the limit.
 * Finally the operator raises maxmemory: ingest resumes, and every webhook sent
 * meanwhile is accepted and processed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServiceProcess } from '../helpers/child.js';
import { assertNoneLost, completionsNotRecorded, printTally, rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { fillPastLimit, refusesWrites } from '../helpers/redis-memory.js';
import { waitFor } from '../helpers/wait.js';

const MAXMEMORY = 32 * 1024 * 1024;
/** Past the limit by more than the whole backlog frees when it is done. */
const OVER_LIMIT = 8 * 1024 * 1024;
const BACKLOG = 2_000;
/** Webhooks sent while memory is full; they are accepted once it is raised. */
const DURING = 200;

describe('fault 8: Redis at maxmemory', () => {
  const newRig = rigs('fullmemory', [
    '--maxmemory',
    String(MAXMEMORY),
    '--maxmemory-policy',
    'noeviction',
  ]);

  it('keeps draining past the limit, through a fresh start and killed connections', async () => {
    const r = await newRig();
    const env = r.env({
      FIXTURE_HANDLER_MS: '5',
      TIMEOUT: '2s',
      RECLAIM_IDLE: '3s',
      QUEUE_SIZE: '100000',
      BACKLOG_SAMPLE_INTERVAL: '100ms',
    });
    const ingest = await startServiceProcess({ ...env, WORKER_COUNT: '0' });
    const backlog = new Load({
      target: () => ingest.url,
      concurrency: 16,
      payload: () => ({ pad: 'p'.repeat(500) }),
    }).start(BACKLOG);
    await backlog.done();
    assert.equal(backlog.accepted.size, BACKLOG, `the backlog is accepted: ${backlog.summary()}`);

    const memory = await fillPastLimit(r.direct, OVER_LIMIT);
    assert.ok(await refusesWrites(r.direct), 'Redis refuses writes that need memory');
    const during = new Load({
      target: () => ingest.url,
      concurrency: 4,
      retryPauseMs: 100,
    }).start(DURING);

    // Without a consumer group operation that needs memory, a fresh instance comes up.
    const worker = await startServiceProcess({ ...env, WORKER_COUNT: '4' });
    await waitFor(async () => (await r.record.hlen(r.recordKey)) >= BACKLOG / 3, {
      what: 'the fresh instance to drain part of the backlog',
      timeoutMs: 30_000,
      intervalMs: 10,
    }).catch(() => undefined); // the tally below fails with the figures
    const health = (await (await fetch(`${worker.url}/health`)).json()) as Record<string, unknown>;
    assert.ok(await refusesWrites(r.direct), 'still past the limit when connections drop');
    const killed = Number(await r.direct.client('KILL', 'TYPE', 'normal'));

    const drained = await waitFor(async () => (await r.tally(backlog.accepted)).lost === 0, {
      what: 'the backlog to drain after the connections dropped',
      timeoutMs: 60_000,
    }).then(
      () => true,
      () => false,
    );
    const pastLimitWhileDraining = await refusesWrites(r.direct);
    const acceptedWhileFull = during.accepted.size;
    const outcomesWhileFull = during.summary();

    await r.direct.config('SET', 'maxmemory', '0');
    await during.done();
    const accepted = new Set([...backlog.accepted, ...during.accepted]);
    const t = await r.settle(accepted, 60_000);
    const notRecorded = completionsNotRecorded([...worker.lines, ...ingest.lines]);
    printTally('8 Redis at maxmemory', t, {
      completions_not_recorded: notRecorded,
      backlog: backlog.accepted.size,
      over_limit_bytes: memory.used - memory.max,
      killed_connections: killed,
      drained_past_limit: drained && pastLimitWhileDraining ? 'yes' : 'no',
      refused_503_while_full: during.count('503 store_unavailable'),
      accepted_after_raise: during.accepted.size - acceptedWhileFull,
    });

    assertNoneLost(t);
    assert.ok(drained, 'the backlog drained after the connections dropped');
    assert.ok(pastLimitWhileDraining, 'memory was past the limit all the while');
    assert.ok(
      t.extraRuns <= notRecorded,
      'a job ran twice only if the service logged that its completion was not recorded',
    );
    // The ingest instance's command connection, the worker's command and reader connections.
    assert.ok(killed >= 3, `both instances' connections were killed (${killed})`);
    assert.equal(acceptedWhileFull, 0, 'nothing is accepted while memory is full');
    assert.ok(during.count('503 store_unavailable') > 0, 'ingest refused while full');
    for (const outcome of during.outcomes.keys()) {
      assert.ok(
        outcome === '202' || outcome === '503 store_unavailable',
        `only 503 store_unavailable while full, then 202: ${outcomesWhileFull}; ${during.summary()}`,
      );
    }
    assert.equal(health.status, 'healthy', 'a full Redis does not make the instance unhealthy');
    assert.match(String(health.warning), /^Redis memory is at \d+% of maxmemory/);
    assert.equal(during.accepted.size, DURING, 'ingest resumed once maxmemory was raised');
    assert.equal(worker.proc.exitCode, null, 'the worker instance carried on');
    assert.equal(ingest.proc.exitCode, null, 'the ingest instance carried on');
    assert.deepEqual(backlog.dedupeMismatches, [], 'a resent event gets its original job id');
  });
});

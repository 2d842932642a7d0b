/**
 * Fault 3: SIGTERM while webhooks keep arriving and jobs run, some of them longer
 * than the shutdown budget. The service stops accepting, finishes what it can,
 * hands back the rest, and exits 0 within SHUTDOWN_TIMEOUT; the restarted
 * instance processes everything that was accepted, and nothing runs twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServiceProcess } from '../helpers/child.js';
import { assertNoneLost, printTally, rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 1_500;
const SHUTDOWN_TIMEOUT_MS = 3_000;
/** The signal comes once this many events were accepted. */
const SIGNAL_AT = 600;
/** A few jobs, sent shortly before the signal, outlive the shutdown budget and must be handed back. */
const LONG_JOB_MS = 4_000;
const isLong = (n: number) => n < SIGNAL_AT && n % 150 === 75;

describe('fault 3: SIGTERM under sustained load', () => {
  const newRig = rigs('sigterm');

  it('stops accepting, finishes or hands back its jobs, exits 0 in time, and loses nothing', async () => {
    const r = await newRig();
    const env = r.env({
      PORT: String(await freePort()),
      WORKER_COUNT: '8',
      TIMEOUT: '10s',
      SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
      QUEUE_SIZE: '100000',
    });
    let service = await startServiceProcess(env);
    const first = service;
    const load = new Load({
      target: () => service.url,
      concurrency: 16,
      payload: (n) => ({ sleep_ms: isLong(n) ? LONG_JOB_MS : 5 }),
    }).start(EVENTS);

    await waitFor(
      async () =>
        load.accepted.size >= SIGNAL_AT &&
        (await r.record.hlen(r.recordKey)) > 0 &&
        (await r.pendingCount()) > 0,
      { what: 'load under way with jobs running', timeoutMs: 60_000, intervalMs: 10 },
    );
    first.proc.kill('SIGTERM');
    const exit = await first.exited;
    const lineTime = (msg: string) =>
      Date.parse(String(first.lines.find((l) => l.msg === msg)?.time));
    const stopMs = lineTime('stopped') - lineTime('shutting down');
    const stopped = first.lines.find((l) => l.msg === 'stopped') ?? {};
    const pendingAfterStop = await r.pendingCount();

    service = await startServiceProcess(env);
    await load.done();
    const t = await r.settle(load.accepted, 60_000);
    printTally('3 SIGTERM under sustained load', t, {
      sent: load.started,
      finished_in_shutdown: String(stopped.jobs_finished),
      handed_back: String(stopped.jobs_handed_back),
      refused_while_stopping: load.count('503 shutting_down'),
      shutdown_ms: stopMs,
    });

    assertNoneLost(t);
    assert.equal(
      load.accepted.size,
      EVENTS,
      `every event is accepted in the end: ${load.summary()}`,
    );
    assert.deepEqual(exit, { code: 0, signal: null }, first.stderr.join(''));
    assert.ok(stopMs <= SHUTDOWN_TIMEOUT_MS, `stopped within SHUTDOWN_TIMEOUT (${stopMs}ms)`);
    assert.ok(
      Number(stopped.jobs_finished) + Number(stopped.jobs_handed_back) > 0,
      'jobs were running at the signal',
    );
    assert.ok((stopped.jobs_handed_back as number) > 0, 'the long jobs were handed back');
    assert.equal(pendingAfterStop, 0, 'nothing left pending on the stopped instance');
    assert.equal(t.processedMoreThanOnce, 0, 'a graceful stop makes no duplicates');
    assert.equal(load.count('hang'), 0, `no request went unanswered: ${load.summary()}`);
    for (const outcome of load.outcomes.keys()) {
      assert.ok(
        outcome === '202' || outcome === '503 shutting_down' || outcome.startsWith('error '),
        `while stopping: 202, 503 shutting_down or a closed connection, nothing else: ${load.summary()}`,
      );
    }
  });
});

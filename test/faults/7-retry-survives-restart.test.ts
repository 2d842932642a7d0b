/**
 * Fault 7: jobs wait for their next retry when the service is SIGKILLed. After a
 * restart each is retried at its due time: not lost, not early, not all at once,
 * and not much after it fell due.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServiceProcess } from '../helpers/child.js';
import { assertNoneLost, printTally, rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const JOBS = 40;
/** Full jitter: the first retry is due at a random time within this. */
const RETRY_DELAY_MS = 8_000;
/** A due retry is promoted every 250ms and then claimed; the rest is room for a busy machine. */
const LATE_MARGIN_MS = 2_000;

describe('fault 7: a retry survives a restart', () => {
  const newRig = rigs('retryrestart');

  it('retries each waiting job at its due time after a SIGKILL and a restart', async () => {
    const r = await newRig();
    const env = r.env({
      PORT: String(await freePort()),
      WORKER_COUNT: '4',
      TIMEOUT: '2s',
      RECLAIM_IDLE: '3s',
      RETRY_BASE_DELAY: `${RETRY_DELAY_MS}ms`,
      RETRY_MAX_DELAY: `${RETRY_DELAY_MS}ms`,
      FIXTURE_ATTEMPTS: '1',
    });
    const first = await startServiceProcess(env);
    const load = new Load({
      target: () => first.url,
      concurrency: 4,
      eventType: () => 'flaky.once',
    }).start(JOBS);
    await load.done();
    const attemptLog = async () =>
      (await r.record.lrange(`${r.recordKey}:attempts`, 0, -1)).map((line) => {
        const [id, attempt, at] = line.split(' ');
        return { id: id as string, attempt: Number(attempt), at: Number(at) };
      });
    await waitFor(async () => (await attemptLog()).filter((a) => a.attempt === 1).length === JOBS, {
      what: 'every first attempt to fail',
      timeoutMs: 20_000,
    });
    await waitFor(async () => (await r.pendingCount()) === 0, {
      what: 'every failure to be recorded',
    });

    first.proc.kill('SIGKILL');
    await first.exited;
    // What was waiting for a retry at the kill, and when each retry is due (Redis clock, ms).
    const scheduled = await r.direct.zrange(r.delayed, 0, -1, 'WITHSCORES');
    const due = new Map<string, number>();
    for (let i = 0; i + 1 < scheduled.length; i += 2) {
      due.set(scheduled[i] as string, Number(scheduled[i + 1]));
    }
    await startServiceProcess(env);
    const restartedAt = Date.now();

    const t = await r.settle(load.accepted, 30_000);
    const log = await attemptLog();
    const early: string[] = [];
    const late: string[] = [];
    let worstLateMs = 0;
    for (const [id, dueAt] of due) {
      const second = log.find((a) => a.id === id && a.attempt === 2);
      if (!second) continue;
      if (second.at < dueAt) early.push(`${id} ${dueAt - second.at}ms early`);
      const lateMs = second.at - Math.max(dueAt, restartedAt);
      worstLateMs = Math.max(worstLateMs, lateMs);
      if (lateMs > LATE_MARGIN_MS) late.push(`${id} ${lateMs}ms late`);
    }
    const dueAfterRestart = [...due.values()].filter((d) => d > restartedAt).length;
    printTally('7 retry survives restart', t, {
      waiting_at_kill: due.size,
      due_after_restart: dueAfterRestart,
      retried_early: early.length,
      worst_late_ms: worstLateMs,
    });

    assertNoneLost(t);
    assert.ok(due.size > 0, 'jobs were waiting for a retry at the kill');
    assert.ok(dueAfterRestart > 0, 'some retries fell due after the restart');
    assert.deepEqual(early, [], 'no retry runs before its due time');
    assert.deepEqual(late, [], `each retry runs within ${LATE_MARGIN_MS}ms of when it could`);
    for (const id of due.keys()) {
      const tries = log.filter((a) => a.id === id).map((a) => a.attempt);
      assert.deepEqual(tries, [1, 2], `${id}: failed once, retried once`);
    }
    assert.equal(await r.direct.xlen(r.dlq), 0, 'nothing was dead-lettered');
  });
});

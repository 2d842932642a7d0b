/**
 * Fault 4: three instances share one stream; one is SIGKILLed while it holds
 * pending jobs. The survivors reclaim its jobs once they have been idle for
 * RECLAIM_IDLE and complete them, within that idle time plus a small margin.
 *
 * The load is paced below what the two survivors can process: a reclaimed job
 * goes back to the end of the stream, so behind a standing backlog it would
 * wait for that backlog too, and the margin would measure the backlog instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ServiceProcess, startServiceProcess } from '../helpers/child.js';
import { assertNoneLost, printTally, rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 600;
const RECLAIM_IDLE_MS = 3_000;
/** Reclaim runs every max(1s, RECLAIM_IDLE / 4); the rest is room for a busy machine. */
const MARGIN_MS = 4_000;

describe('fault 4: dead consumer among three instances', () => {
  const newRig = rigs('deadconsumer');

  it("the survivors reclaim and complete a killed instance's pending jobs in time", async () => {
    const r = await newRig();
    const env = r.env({
      WORKER_COUNT: '4',
      FIXTURE_HANDLER_MS: '50',
      TIMEOUT: '2s',
      RECLAIM_IDLE: `${RECLAIM_IDLE_MS}ms`,
      QUEUE_SIZE: '100000',
    });
    const instances: ServiceProcess[] = await Promise.all([
      startServiceProcess(env),
      startServiceProcess(env),
      startServiceProcess(env),
    ]);
    const consumerOf = (s: ServiceProcess) =>
      String(s.lines.find((l) => typeof l.consumer === 'string')?.consumer);
    let live = [...instances];
    let turn = 0;
    const load = new Load({
      target: () => (live[turn++ % live.length] as ServiceProcess).url,
      concurrency: 5,
      paceMs: 40,
    }).start(EVENTS);

    const victim = instances[2] as ServiceProcess;
    await waitFor(
      async () =>
        load.accepted.size >= EVENTS * 0.4 &&
        (await r.direct.xpending(r.stream, 'workers', '-', '+', 100, consumerOf(victim))).length >
          0,
      { what: 'the victim holding pending jobs', timeoutMs: 60_000, intervalMs: 10 },
    );
    live = instances.slice(0, 2);
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const orphans = await r.pendingJobIds(consumerOf(victim));

    await waitFor(
      async () => {
        const done = await r.record.hmget(r.recordKey, ...orphans);
        return done.every((n) => Number(n) > 0);
      },
      { what: "the victim's jobs to be completed", timeoutMs: 30_000, intervalMs: 50 },
    ).catch(() => undefined); // the bound below fails with the figure
    const orphansDoneMs = Date.now() - killedAt;
    await load.done();
    const t = await r.settle(load.accepted, 60_000);
    const reclaimLines = instances
      .slice(0, 2)
      .flatMap((s) =>
        s.lines.filter((l) => l.msg === 'took back jobs from a consumer that stopped'),
      );
    printTally('4 dead consumer among three instances', t, {
      sent: load.started,
      pending_on_killed: orphans.size,
      reclaimed: reclaimLines.reduce((n, l) => n + Number(l.requeued) + Number(l.dead_lettered), 0),
      orphans_done_ms: orphansDoneMs,
    });

    assertNoneLost(t);
    assert.ok(orphans.size > 0, 'the killed instance held pending jobs');
    assert.ok(reclaimLines.length > 0, 'a survivor logged the reclaim');
    assert.ok(
      orphansDoneMs <= RECLAIM_IDLE_MS + MARGIN_MS,
      `reclaimed and completed within RECLAIM_IDLE + ${MARGIN_MS}ms (took ${orphansDoneMs}ms)`,
    );
    const outside = t.duplicateIds.filter((id) => !orphans.has(id));
    assert.deepEqual(outside, [], 'only jobs pending on the killed instance may run twice');
    assert.equal(
      (await r.direct.xpending(r.stream, 'workers', '-', '+', 100, consumerOf(victim))).length,
      0,
      'nothing is left pending on the dead consumer',
    );
    assert.equal(await r.direct.xlen(r.dlq), 0, 'no healthy job was dead-lettered');
  });
});

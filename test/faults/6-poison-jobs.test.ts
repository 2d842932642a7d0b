/**
 * Fault 6: poison jobs (a handler that throws, throws null, throws a string, or
 * hangs past TIMEOUT ignoring its signal) mixed into a steady flow of healthy
 * jobs. Each poison job ends in the DLQ after MAX_RETRIES with its attempts and
 * last error; every worker stays usable; healthy jobs keep flowing, their p99
 * (acceptance to completion) within one TIMEOUT.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServiceProcess } from '../helpers/child.js';
import { assertNoneLost, printTally, rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { waitFor } from '../helpers/wait.js';

const WORKERS = 8;
const TIMEOUT_MS = 1_000;
const MAX_RETRIES = 2;
const EVENTS = 900;

/** The poison kinds, the event numbers that carry them, and the error each leaves. */
const POISON: { type: string; every: number; offset: number; error: RegExp }[] = [
  { type: 'poison.throw', every: 100, offset: 10, error: /^Error: poison: always throws$/ },
  { type: 'poison.null', every: 100, offset: 35, error: /^non-Error thrown: null$/ },
  { type: 'poison.string', every: 100, offset: 60, error: /^non-Error thrown: poison: a string$/ },
  // Few hanging ones: each holds a worker for TIMEOUT on every attempt, and its job
  // until the reclaim after RECLAIM_IDLE (it must not run twice at once).
  { type: 'poison.hang', every: 300, offset: 85, error: /^worker lost: / },
];
const HANG = POISON[3] as (typeof POISON)[number];
const poisonOf = (n: number) => POISON.find((p) => n % p.every === p.offset);

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

describe('fault 6: poison jobs', () => {
  const newRig = rigs('poison');

  it('dead-letters each poison job after MAX_RETRIES while healthy jobs keep flowing', async () => {
    const r = await newRig();
    const service = await startServiceProcess(
      r.env({
        WORKER_COUNT: String(WORKERS),
        TIMEOUT: `${TIMEOUT_MS}ms`,
        RECLAIM_IDLE: '5s',
        MAX_RETRIES: String(MAX_RETRIES),
        RETRY_BASE_DELAY: '100ms',
        RETRY_MAX_DELAY: '500ms',
        QUEUE_SIZE: '100000',
        FIXTURE_HANDLER_MS: '10',
        FIXTURE_LATENCY: '1',
        FIXTURE_ATTEMPTS: '1',
      }),
    );
    const load = new Load({
      target: () => service.url,
      concurrency: 4,
      paceMs: 15,
      eventType: (n) => poisonOf(n)?.type ?? 'healthy.test',
    }).start(EVENTS);
    await load.done();

    const poisonIds = new Map<string, RegExp>();
    const healthyIds = new Set<string>();
    for (const [n, id] of load.idOfEvent) {
      const p = poisonOf(n);
      if (p) poisonIds.set(id, p.error);
      else healthyIds.add(id);
    }
    const healthy = await r.settle(healthyIds, 60_000);
    let dlq = new Map<string, Record<string, string>>();
    await waitFor(
      async () => {
        dlq = await r.deadLetters();
        return [...poisonIds.keys()].every((id) => dlq.has(id));
      },
      { what: 'every poison job in the DLQ', timeoutMs: 30_000, intervalMs: 200 },
    ).catch(() => undefined);

    const attempts = new Map<string, number>();
    for (const line of await r.record.lrange(`${r.recordKey}:attempts`, 0, -1)) {
      const id = line.split(' ')[0] as string;
      attempts.set(id, (attempts.get(id) ?? 0) + 1);
    }
    const latencies = Object.values(await r.record.hgetall(`${r.recordKey}:latency`))
      .map(Number)
      .sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const poisonDead = [...poisonIds.keys()].filter((id) => dlq.has(id)).length;
    const health = (await (await fetch(`${service.url}/health`)).json()) as Record<string, unknown>;
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const abandoned = Number(/^webhook_handlers_abandoned (\S+)$/m.exec(metrics)?.[1]);
    const hangAttempts =
      [...poisonIds.values()].filter((e) => e === HANG.error).length * (MAX_RETRIES + 1);

    // All WORKER_COUNT workers usable: as many slow jobs as workers run at once,
    // even though every hung handler is still stuck in memory.
    const burst = new Load({
      target: () => service.url,
      concurrency: WORKERS,
      payload: () => ({ sleep_ms: 800 }),
      eventType: () => 'healthy.burst',
    }).start(WORKERS);
    await burst.done();
    let mostAtOnce = 0;
    await waitFor(
      async () => {
        mostAtOnce = Math.max(mostAtOnce, await r.pendingCount());
        return mostAtOnce === WORKERS;
      },
      { what: 'every worker busy at once', timeoutMs: 10_000, intervalMs: 20 },
    ).catch(() => undefined);
    const burstDone = await r.settle(burst.accepted, 20_000);

    // A poison job's outcome is its DLQ entry: it counts as processed once there.
    const t = {
      ...healthy,
      accepted: load.accepted.size,
      processed: healthy.processed + poisonDead,
      lost: healthy.lost + poisonIds.size - poisonDead,
    };
    printTally('6 poison jobs', t, {
      healthy_completed: healthy.processed,
      poison_dead_lettered: `${poisonDead}/${poisonIds.size}`,
      hung_handlers_abandoned: abandoned,
      healthy_p50_ms: p50,
      healthy_p99_ms: p99,
      timeout_ms: TIMEOUT_MS,
    });

    assertNoneLost(t);
    assert.equal(t.accepted, EVENTS, `every event is accepted: ${load.summary()}`);
    assert.equal(healthy.processedMoreThanOnce, 0, 'healthy jobs run once');
    for (const [id, error] of poisonIds) {
      const entry = dlq.get(id);
      assert.ok(entry, `poison job ${id} is in the DLQ`);
      assert.equal(entry.attempts, String(MAX_RETRIES + 1), `${id}: attempts recorded`);
      assert.match(entry.err ?? '', error, `${id}: last error recorded`);
      assert.equal(attempts.get(id), MAX_RETRIES + 1, `${id}: tried exactly MAX_RETRIES + 1 times`);
    }
    assert.equal(await r.direct.xlen(r.dlq), poisonIds.size, 'only poison is dead-lettered');
    assert.ok(p99 <= TIMEOUT_MS, `healthy p99 ${p99}ms stays within one TIMEOUT (${TIMEOUT_MS}ms)`);
    assert.equal(health.workers, WORKERS);
    assert.equal(abandoned, hangAttempts, 'every hung attempt was abandoned at its TIMEOUT');
    assert.equal(service.proc.exitCode, null, 'the process is alive');
    assert.equal(mostAtOnce, WORKERS, `all ${WORKERS} workers ran at once after the poison`);
    assertNoneLost(burstDone);
  });
});

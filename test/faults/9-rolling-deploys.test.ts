/**
 * Fault 9: rolling deploys. Two instances share one stream and are restarted one
 * after the other, several times, while webhooks keep arriving and some jobs run
 * for seconds; some of those handlers ignore their AbortSignal. A job must never
 * run twice at once: a stopping instance hands back only jobs whose handlers
 * settled, and leaves the others pending until the reclaim, by when it has exited.
 * Hand-backs are bounded too: no job starts more than MAX_RETRIES + 2 times.
 *
 * Every run of a job records its start and its end in the record Redis (a run cut
 * short by its process's exit ends when the process does), so overlaps are
 * counted from what the handlers did, not from what the service believes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ServiceProcess, startServiceProcess } from '../helpers/child.js';
import { assertNoneLost, printTally, rigs } from '../helpers/fault-rig.js';
import { Load } from '../helpers/load.js';
import { waitFor } from '../helpers/wait.js';

const MAX_RETRIES = 2;
/** Documented: a job's first hand-back is free, so at most MAX_RETRIES + 1 attempts + 1 start. */
const MAX_STARTS = MAX_RETRIES + 2;
const DEPLOYS = 3;
const LONG_JOB_MS = 2_500;
/** Every 20th event runs long and ignores its signal; every 20th, offset, runs long and honours it. */
const ignoresSignal = (n: number) => n % 20 === 3;
const honoursSignal = (n: number) => n % 20 === 13;

interface Run {
  pid: string;
  start: number;
  end: number | undefined;
}

/** Runs per job from the record's `<id> <pid> start|end <ms>` lines. */
function runsOf(lines: readonly string[]): Map<string, Run[]> {
  const runs = new Map<string, Run[]>();
  for (const line of lines) {
    const [id, pid, edge, at] = line.split(' ') as [string, string, string, string];
    const list = runs.get(id) ?? [];
    runs.set(id, list);
    if (edge === 'start') list.push({ pid, start: Number(at), end: undefined });
    else {
      // The earliest open run of this job in that process.
      const open = list.find((r) => r.pid === pid && r.end === undefined);
      if (open) open.end = Number(at);
    }
  }
  return runs;
}

/** Pairs of runs of one job that were under way at the same time. */
function overlaps(runs: ReadonlyMap<string, Run[]>, exitedAt: ReadonlyMap<string, number>) {
  let n = 0;
  const examples: string[] = [];
  for (const [id, list] of runs) {
    const spans = list.map((r) => ({
      ...r,
      until: r.end ?? exitedAt.get(r.pid) ?? Number.POSITIVE_INFINITY,
    }));
    for (let i = 0; i < spans.length; i++) {
      for (let j = i + 1; j < spans.length; j++) {
        const a = spans[i] as (typeof spans)[number];
        const b = spans[j] as (typeof spans)[number];
        if (a.start < b.until && b.start < a.until) {
          n++;
          if (examples.length < 5) examples.push(`${id}: pid ${a.pid} and pid ${b.pid}`);
        }
      }
    }
  }
  return { n, examples };
}

describe('fault 9: rolling deploys', () => {
  const newRig = rigs('rolling');

  it('never runs a job twice at once, and bounds its starts, across rolling restarts', async () => {
    const r = await newRig();
    const env = r.env({
      WORKER_COUNT: '4',
      TIMEOUT: '4s',
      RECLAIM_IDLE: '6s',
      SHUTDOWN_TIMEOUT: '2s',
      MAX_RETRIES: String(MAX_RETRIES),
      QUEUE_SIZE: '100000',
      FIXTURE_HANDLER_MS: '20',
      FIXTURE_RUNS: '1',
    });
    const runsKey = `${r.recordKey}:runs`;
    const instances: ServiceProcess[] = await Promise.all([
      startServiceProcess(env),
      startServiceProcess(env),
    ]);
    const exitedAt = new Map<string, number>();
    const stopped: Record<string, unknown>[] = [];
    let live = [...instances];
    let turn = 0;
    const load = new Load({
      target: () => (live[turn++ % live.length] as ServiceProcess).url,
      concurrency: 2,
      paceMs: 150,
      payload: (n) =>
        ignoresSignal(n) || honoursSignal(n)
          ? { sleep_ms: LONG_JOB_MS, ignore_signal: ignoresSignal(n) }
          : {},
    }).start(100_000);
    const eventOf = new Map<string, number>();
    /** True when `s` runs a job whose handler ignores its signal. */
    const runsIgnoringJob = async (s: ServiceProcess) => {
      for (const [n, id] of load.idOfEvent) eventOf.set(id, n);
      const runs = runsOf(await r.record.lrange(runsKey, 0, -1));
      return [...runs].some(
        ([id, list]) =>
          ignoresSignal(eventOf.get(id) ?? -1) &&
          list.some((run) => run.pid === String(s.proc.pid) && run.end === undefined),
      );
    };

    for (let deploy = 0; deploy < DEPLOYS; deploy++) {
      for (let i = 0; i < instances.length; i++) {
        const old = instances[i] as ServiceProcess;
        await waitFor(() => runsIgnoringJob(old), {
          what: 'the instance to be running a job that ignores its signal',
          timeoutMs: 30_000,
          intervalMs: 50,
        });
        live = instances.filter((s) => s !== old);
        old.proc.kill('SIGTERM');
        const exit = await old.exited;
        exitedAt.set(String(old.proc.pid), Date.now());
        assert.deepEqual(exit, { code: 0, signal: null }, old.stderr.join(''));
        stopped.push(old.lines.find((l) => l.msg === 'stopped') ?? {});
        const next = await startServiceProcess(env);
        instances[i] = next;
        live = [...instances];
      }
    }
    const acceptedAfterDeploys = load.accepted.size;
    await waitFor(() => load.accepted.size >= acceptedAfterDeploys + 20, {
      what: 'the new instances accepting',
      timeoutMs: 30_000,
    });
    await load.stop();

    // Settled: every accepted job completed or dead-lettered, and nothing left queued.
    let dlq = new Map<string, Record<string, string>>();
    const unfinished = async () => {
      dlq = await r.deadLetters();
      const record = await r.record.hgetall(r.recordKey);
      return [...load.accepted].filter((id) => !record[id] && !dlq.has(id)).length;
    };
    await waitFor(
      async () =>
        (await unfinished()) === 0 &&
        (await r.direct.xlen(r.stream)) === 0 &&
        (await r.direct.zcard(r.delayed)) === 0,
      { what: 'every accepted job to be done', timeoutMs: 90_000, intervalMs: 250 },
    ).catch(() => undefined); // the tally below says what is missing
    for (const s of instances) s.proc.kill('SIGTERM');
    for (const s of instances) {
      await s.exited;
      exitedAt.set(String(s.proc.pid), Date.now());
    }

    const completed = await r.tally(load.accepted);
    const record = await r.record.hgetall(r.recordKey);
    const deadOnly = [...load.accepted].filter((id) => !record[id] && dlq.has(id));
    const t = {
      ...completed,
      processed: completed.processed + deadOnly.length,
      lost: completed.lost - deadOnly.length,
    };
    const runs = runsOf(await r.record.lrange(runsKey, 0, -1));
    const overlapping = overlaps(runs, exitedAt);
    const maxStarts = Math.max(0, ...[...runs.values()].map((list) => list.length));
    const sum = (field: string) => stopped.reduce((n, l) => n + Number(l[field] ?? 0), 0);
    printTally('9 rolling deploys', t, {
      overlapping_runs: overlapping.n,
      max_starts: maxStarts,
      max_starts_bound: MAX_STARTS,
      restarts: stopped.length,
      handed_back: sum('jobs_handed_back'),
      left_running: sum('jobs_left_running'),
      dead_lettered: dlq.size,
      sent: load.started,
    });

    assertNoneLost(t);
    assert.equal(overlapping.n, 0, `runs overlapped: ${overlapping.examples.join('; ')}`);
    assert.ok(maxStarts <= MAX_STARTS, `a job started ${maxStarts} times (bound ${MAX_STARTS})`);
    assert.equal(stopped.length, DEPLOYS * 2, 'every restart stopped gracefully');
    assert.ok(sum('jobs_left_running') > 0, 'some handlers ignored their signal at a restart');
    for (const [id, entry] of dlq) {
      assert.match(
        entry.err ?? '',
        /^(worker lost|interrupted by a shutdown)/,
        `${id} was dead-lettered only for its interruptions`,
      );
    }
  });
});

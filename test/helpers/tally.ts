/**
 * The fault suite's tally: what was accepted (distinct job ids answered 202)
 * against what the handler recorded as completed, counted from a record that
 * outlives the service (a Redis hash, or a file for the embedded store).
 *
 * accepted = distinct job ids answered 202; processed = those completed at least
 * once; processed more than once = those completed twice or more; lost =
 * accepted and never completed.
 */
import assert from 'node:assert/strict';

export interface Tally {
  accepted: number;
  processed: number;
  processedMoreThanOnce: number;
  /** Runs beyond the first, over all jobs (a job run 3 times adds 2). */
  extraRuns: number;
  /** The most times any one job ran. */
  maxRuns: number;
  lost: number;
  /** Completed jobs whose 202 the sender never saw (the answer was lost in a crash). */
  processedUnconfirmed: number;
  /** Ids of lost jobs (a few, for the failure message). */
  lostSample: string[];
  /** Ids of jobs completed more than once. */
  duplicateIds: string[];
}

/** Tallies `accepted` against `record` (job id -> times completed). */
export function tallyOf(accepted: ReadonlySet<string>, record: ReadonlyMap<string, number>): Tally {
  const t: Tally = {
    accepted: accepted.size,
    processed: 0,
    processedMoreThanOnce: 0,
    extraRuns: 0,
    maxRuns: 0,
    lost: 0,
    processedUnconfirmed: 0,
    lostSample: [],
    duplicateIds: [],
  };
  for (const id of accepted) {
    const n = record.get(id) ?? 0;
    if (n === 0) {
      t.lost++;
      if (t.lostSample.length < 10) t.lostSample.push(id);
    } else {
      t.processed++;
    }
  }
  for (const [id, n] of record) {
    if (!accepted.has(id)) t.processedUnconfirmed++;
    t.maxRuns = Math.max(t.maxRuns, n);
    if (n > 1) {
      t.extraRuns += n - 1;
      t.processedMoreThanOnce++;
      t.duplicateIds.push(id);
    }
  }
  return t;
}

/** Prints the scenario's tally line; the suite's figures are these lines. */
export function printTally(
  scenario: string,
  t: Tally,
  extra: Record<string, string | number> = {},
): void {
  const more = Object.entries(extra)
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  console.log(
    `TALLY ${scenario}: accepted=${t.accepted} processed=${t.processed} processed_more_than_once=${t.processedMoreThanOnce} extra_runs=${t.extraRuns} max_runs=${t.maxRuns} lost=${t.lost}${more}`,
  );
}

/**
 * No job may run over and over: at-least-once means a few runs after a fault,
 * never a loop. Every scenario's faults allow at most this many runs of a job.
 */
export const MAX_RUNS_PER_JOB = 4;

/** The suite's one absolute rule, and the bound on re-runs. */
export function assertNoneLost(t: Tally): void {
  assert.ok(t.accepted > 0, 'the scenario accepted nothing, so it proved nothing');
  assert.equal(
    t.lost,
    0,
    `${t.lost} accepted events were never processed (e.g. ${t.lostSample.join(', ')})`,
  );
  assert.ok(
    t.maxRuns <= MAX_RUNS_PER_JOB,
    `a job ran ${t.maxRuns} times (at most ${MAX_RUNS_PER_JOB}): re-runs must not loop`,
  );
}

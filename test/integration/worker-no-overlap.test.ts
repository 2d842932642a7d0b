/**
 * The worker pool never makes a job available again while its handler still
 * runs in this process: not after a timeout (the retry waits for the handler to
 * settle, up to RECLAIM_IDLE), and not at shutdown (only settled jobs are handed
 * back). On both stores.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { STORES, type StoreHarness } from '../conformance/stores.js';
import { gate, poolOn, stopPools } from '../helpers/pool.js';
import { waitFor } from '../helpers/wait.js';

interface Run {
  attempt: number;
  start: number;
  end?: number;
}

for (const factory of STORES) {
  describe(`worker pool, no overlapping runs: ${factory.name}`, () => {
    let h: StoreHarness;
    const gates: (() => void)[] = [];
    beforeEach(() => {
      h = factory.harness();
    });
    afterEach(async () => {
      for (const open of gates.splice(0)) open();
      await stopPools();
      await h.cleanup();
    });

    it('frees the slot of a handler past its TIMEOUT, and retries only once it settles', async () => {
      const first = gate();
      gates.push(first.open);
      const runs: Run[] = [];
      let laterJobDone = false;
      const rig = await poolOn(
        h,
        {
          'slow.ignores': async (job) => {
            const run: Run = { attempt: job.attempt, start: Date.now() };
            runs.push(run);
            if (job.attempt === 1) await first.wait;
            run.end = Date.now();
          },
          'flaky.once': (job) => {
            if (job.attempt === 1) throw new Error('the first attempt fails');
            laterJobDone = true;
          },
        },
        { concurrency: 1, jobTimeoutMs: 100 },
      );
      await rig.send('slow.ignores');
      await waitFor(async () => (await rig.metric('webhook_handlers_abandoned')) === 1, {
        what: 'the handler to be abandoned at its timeout',
      });
      // A retry due at the timeout would be back in the queue before this job's
      // retry, and with one worker it would run first.
      await rig.send('flaky.once');
      await waitFor(() => laterJobDone, { what: 'a later job, failed once, retried and done' });
      assert.equal(runs.length, 1, 'no second run while the first still runs');
      assert.equal(rig.pool.busy, 0, 'the abandoned handler holds no slot');

      first.open();
      await waitFor(() => runs[1]?.end, { what: 'the retry, once the first run ended' });
      const [one, two] = runs as [Run, Run];
      assert.equal(two.attempt, 2);
      assert.ok(two.start >= (one.end as number), 'the retry started after the first run ended');
      assert.equal(await rig.metric('webhook_handlers_abandoned'), 0);
      assert.equal(await rig.metric('webhook_jobs_retried_total'), 2);
    });

    it('leaves a handler that outlives RECLAIM_IDLE to the reclaim, and not before', async () => {
      const stuck = gate();
      gates.push(stuck.open);
      const starts: number[] = [];
      const rig = await poolOn(
        h,
        {
          'hangs.once': async (job) => {
            starts.push(Date.now());
            if (job.attempt === 1) await stuck.wait;
          },
        },
        { concurrency: 1, jobTimeoutMs: 100, reclaimIdleMs: 700, maxRetries: 1 },
      );
      await rig.send('hangs.once');
      await waitFor(() => starts.length === 2, { what: 'the second run', timeoutMs: 15_000 });
      const gap = (starts[1] as number) - (starts[0] as number);
      // RECLAIM_IDLE counts from the claim, a moment before the first run started.
      assert.ok(gap >= 600, `the second run came ${gap}ms after the first, before RECLAIM_IDLE`);
      // Counted once the reclaim pass returns, which may be just after the run it freed began.
      await waitFor(async () => (await rig.metric('webhook_jobs_reclaimed_total')) === 1, {
        what: 'taken back by the reclaim, and counted',
      });
      assert.equal(await rig.metric('webhook_jobs_retried_total'), 0);
      assert.equal(await rig.metric('webhook_handlers_abandoned'), 1, 'the first still runs');
    });

    it('at shutdown hands back only jobs whose handlers settled', async () => {
      const ignored = gate();
      gates.push(ignored.open);
      const rig = await poolOn(
        h,
        {
          'ignores.signal': () => ignored.wait,
          'rejects.on.abort': (job) =>
            new Promise((_resolve, reject) => {
              job.signal.addEventListener('abort', () => reject(job.signal.reason));
            }),
          'resolves.on.abort': (job) =>
            new Promise((resolve) => {
              job.signal.addEventListener('abort', () => resolve());
            }),
        },
        { concurrency: 3 },
      );
      await rig.send('ignores.signal');
      await rig.send('rejects.on.abort');
      await rig.send('resolves.on.abort');
      await waitFor(() => rig.pool.busy === 3, { what: 'three jobs running' });

      const stopped = await rig.pool.stop(50, 2_000);
      assert.deepEqual(stopped, { finished: 0, released: 1, deadLettered: 0, leftRunning: 1 });
      const stats = await rig.store.stats();
      assert.equal(stats.waiting, 1, 'the job whose handler rejected on the abort went back');
      assert.equal(stats.inProgress, 1, 'the job whose handler ignores its signal stays pending');
      assert.equal(stats.scheduled + stats.dead, 0, 'the one that resolved was completed');
    });
  });
}

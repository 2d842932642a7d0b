/**
 * A handler registered with options of its own (timeout, maxRetries, backoff)
 * runs by them, beside handlers that use the pool's; and RetryLaterError puts a
 * job off without spending an attempt. On both stores.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PermanentError, RetryLaterError } from '../../src/handlers/handler.js';
import { STORES, type StoreHarness } from '../conformance/stores.js';
import { gate, poolOn, stopPools } from '../helpers/pool.js';
import { waitFor } from '../helpers/wait.js';

const fails = () => {
  throw new Error('always fails');
};

for (const factory of STORES) {
  describe(`handler options: ${factory.name}`, () => {
    let h: StoreHarness;
    beforeEach(() => {
      h = factory.harness();
    });
    const gates: (() => void)[] = [];
    afterEach(async () => {
      for (const open of gates.splice(0)) open();
      await stopPools();
      await h.cleanup();
    });

    it("uses a type's own maxRetries, and the pool's for the others", async () => {
      const rig = await poolOn(
        h,
        { 'once.only': { handler: fails, maxRetries: 0 }, 'pool.default': fails },
        { maxRetries: 2 },
      );
      const once = await rig.send('once.only');
      const usual = await rig.send('pool.default');
      const dead = await waitFor(
        async () => {
          const entries = await rig.store.peekDead(10);
          return entries.length === 2 ? entries : undefined;
        },
        { what: 'both jobs in the DLQ' },
      );
      const attempts = Object.fromEntries(dead.map((e) => [e.job.id, e.attempts]));
      assert.deepEqual(attempts, { [once]: 1, [usual]: 3 });
    });

    it("times an attempt out at the type's own timeout", async () => {
      const rig = await poolOn(
        h,
        {
          'slow.job': {
            handler: (job) =>
              new Promise<void>((_, reject) => {
                job.signal.addEventListener('abort', () => reject(job.signal.reason));
              }),
            timeout: 50,
            maxRetries: 0,
          },
        },
        { jobTimeoutMs: 60_000 },
      );
      const id = await rig.send('slow.job');
      const entry = await waitFor(
        async () => (await rig.store.peekDead(10)).find((e) => e.job.id === id),
        { what: 'the timed-out job in the DLQ' },
      );
      assert.equal(entry.lastError, 'JobTimeoutError: handler timed out after 50ms');
    });

    it("waits the type's own backoff between retries", async () => {
      const asked: number[] = [];
      const rig = await poolOn(
        h,
        {
          'own.backoff': {
            handler: fails,
            maxRetries: 2,
            backoff: (n) => {
              asked.push(n);
              return 1;
            },
          },
        },
        { backoff: () => 60_000 },
      );
      await rig.send('own.backoff');
      await waitFor(async () => (await rig.store.peekDead(10)).length === 1, {
        what: 'the job to use up its retries',
      });
      assert.deepEqual(asked, [1, 2]);
    });

    it("reclaims a lost job within the largest limit of any type, not only the pool's", async () => {
      const stuck = gate();
      gates.push(stuck.open);
      const attempts: number[] = [];
      const rig = await poolOn(
        h,
        {
          'long.lived': {
            handler: async (job) => {
              attempts.push(job.attempt);
              if (job.attempt === 1) await stuck.wait; // ignores its signal: lost
            },
            maxRetries: 3,
          },
        },
        // With the pool's limit (one attempt), the reclaim would dead-letter it.
        { concurrency: 1, jobTimeoutMs: 100, reclaimIdleMs: 500, maxRetries: 0 },
      );
      await rig.send('long.lived');
      await waitFor(() => attempts.length === 2, { what: 'the reclaimed run', timeoutMs: 15_000 });
      assert.deepEqual(attempts, [1, 2]);
      assert.equal((await rig.store.peekDead(10)).length, 0);
    });

    it('puts a job off on RetryLaterError without spending an attempt or counting a failure', async () => {
      const seen: number[] = [];
      const rig = await poolOn(
        h,
        {
          'not.ready': {
            handler: (job) => {
              seen.push(job.attempt);
              if (seen.length < 4) throw new RetryLaterError(5, 'not ready yet');
            },
            maxRetries: 0,
          },
        },
        { concurrency: 1 },
      );
      await rig.send('not.ready');
      await waitFor(() => seen.length === 4, { what: 'the fourth run' });
      await waitFor(async () => (await rig.store.stats()).inProgress === 0, {
        what: 'the completion to be written',
      });
      assert.deepEqual(seen, [1, 1, 1, 1], 'every run is the first attempt');
      assert.equal(await rig.metric('webhook_jobs_failed_total'), 0);
      assert.equal((await rig.store.peekDead(10)).length, 0);
      const stats = await rig.store.stats();
      assert.equal(stats.waiting + stats.scheduled, 0, 'done, nothing left to run');
    });

    it('keeps the last real error and attempt count across RetryLaterError', async () => {
      let runs = 0;
      const rig = await poolOn(
        h,
        {
          'flaky.then.later': {
            handler: () => {
              runs++;
              if (runs === 1) throw new Error('the real failure');
              if (runs === 2) throw new RetryLaterError(0);
              throw new PermanentError('gives up');
            },
            maxRetries: 1,
          },
        },
        { concurrency: 1 },
      );
      const id = await rig.send('flaky.then.later');
      const entry = await waitFor(
        async () => (await rig.store.peekDead(10)).find((e) => e.job.id === id),
        { what: 'the job in the DLQ' },
      );
      assert.equal(runs, 3);
      assert.equal(entry.attempts, 2, 'the put-off run did not count');
      assert.equal(entry.lastError, 'PermanentError: gives up');
    });
  });
}

/**
 * Whatever a handler throws, its slot is freed and its failure recorded; and a
 * failure is counted and logged as retried or dead-lettered only when that store
 * write took effect. On both stores.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Handler } from '../../src/handlers/handler.js';
import type { Store } from '../../src/store/store.js';
import { UNDESCRIBABLE_ERROR } from '../../src/worker/errors.js';
import { STORES, type StoreHarness } from '../conformance/stores.js';
import { captureLogs } from '../helpers/logs.js';
import { poolOn, stopPools } from '../helpers/pool.js';
import { waitFor } from '../helpers/wait.js';

const getterThrows = () => {
  throw new Error('a getter that throws');
};

/** Values whose description used to throw, or might: each rejects one job. */
function oddThrows(): Record<string, () => unknown> {
  return {
    'throws.bad-message': () =>
      Object.defineProperty(new Error('x'), 'message', { get: getterThrows }),
    'throws.bad-name': () =>
      Object.defineProperty(new TypeError('named badly'), 'name', { get: getterThrows }),
    'throws.name-bad-tostring': () =>
      Object.defineProperty(new Error('odd name'), 'name', { value: { toString: getterThrows } }),
    'throws.symbol': () => Symbol('boom'),
    'throws.bad-tostring': () => ({ toJSON: getterThrows, toString: getterThrows }),
    'throws.frozen-cyclic': () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return Object.freeze(o);
    },
    'throws.null': () => null,
    'throws.hostile-proxy': () =>
      new Proxy({}, { get: getterThrows, getPrototypeOf: getterThrows, ownKeys: getterThrows }),
  };
}

const EXPECTED_ERRORS: Record<string, string> = {
  'throws.bad-message': 'Error: (unreadable message)',
  'throws.bad-name': 'Error: named badly',
  'throws.name-bad-tostring': 'Error: odd name',
  'throws.symbol': 'non-Error thrown: Symbol(boom)',
  'throws.bad-tostring': 'non-Error thrown: [object Object]',
  'throws.frozen-cyclic': 'non-Error thrown: [object Object]',
  'throws.null': 'non-Error thrown: null',
  'throws.hostile-proxy': UNDESCRIBABLE_ERROR,
};

for (const factory of STORES) {
  describe(`worker pool outcomes: ${factory.name}`, () => {
    let h: StoreHarness;
    beforeEach(() => {
      h = factory.harness();
    });
    afterEach(async () => {
      await stopPools();
      await h.cleanup();
    });

    it('frees the slot whatever a handler rejects with, and records each failure', async () => {
      let healthy = 0;
      const handlers: Record<string, Handler> = { 'healthy.job': () => void healthy++ };
      for (const [type, make] of Object.entries(oddThrows())) {
        handlers[type] = () => Promise.reject(make());
      }
      const rig = await poolOn(h, handlers, { concurrency: 2, maxRetries: 0 });
      const typeOf = new Map<string, string>();
      for (const type of Object.keys(EXPECTED_ERRORS)) typeOf.set(await rig.send(type), type);
      for (let i = 0; i < 5; i++) await rig.send('healthy.job');

      await waitFor(() => healthy === 5, { what: 'healthy jobs after the odd throws' });
      const dead = await waitFor(
        async () => {
          const entries = await rig.store.peekDead(100);
          return entries.length === typeOf.size ? entries : undefined;
        },
        { what: 'every odd throw in the DLQ' },
      );
      const errors = Object.fromEntries(dead.map((e) => [typeOf.get(e.job.id), e.lastError]));
      assert.deepEqual(errors, EXPECTED_ERRORS);
      assert.equal(rig.pool.busy, 0, 'every slot is free');
      assert.equal(await rig.metric('webhook_jobs_dead_lettered_total'), typeOf.size);
    });

    it('counts and logs a retry or a dead letter only when the store write took effect', async () => {
      const captured = captureLogs('debug');
      let other: Store | undefined;
      let secondRuns = 0;
      // Each job is taken back (as a reclaim by another instance does) while its
      // handler runs; the handler then fails, and the pool's write finds the
      // delivery no longer its own.
      const takenBackThenFails: Handler = async (job) => {
        if (job.attempt > 1) {
          secondRuns++;
          return;
        }
        await other?.reclaimStale(0, 10);
        throw new Error('fails after losing its delivery');
      };
      const rig = await poolOn(
        h,
        { 'lost.retry': takenBackThenFails },
        { concurrency: 1, maxRetries: 3, log: captured.log },
      );
      other = await h.open('reclaimer');
      await rig.send('lost.retry');
      // One worker: the copy runs only once the first attempt's write is done.
      await waitFor(() => secondRuns === 1, { what: 'the reclaimed copy to run' });
      assert.equal(await rig.metric('webhook_jobs_failed_total'), 1, 'the attempt failed');
      assert.equal(await rig.metric('webhook_jobs_retried_total'), 0, 'but no retry was written');
      assert.ok(!captured.lines.some((l) => l.msg === 'job failed; retry scheduled'));
      assert.ok(captured.lines.some((l) => String(l.msg).includes('taken back meanwhile')));
    });

    it('does not count a dead letter that another instance wrote first', async () => {
      const captured = captureLogs('debug');
      let other: Store | undefined;
      const rig = await poolOn(
        h,
        {
          'lost.last': async () => {
            // With no attempts left the reclaim dead-letters the job itself.
            await other?.reclaimStale(0, 1);
            throw new Error('fails after losing its delivery');
          },
        },
        { concurrency: 1, maxRetries: 0, log: captured.log },
      );
      other = await h.open('reclaimer');
      const id = await rig.send('lost.last');
      const entry = await waitFor(
        async () => (await rig.store.peekDead(10)).find((e) => e.job.id === id),
        { what: 'the reclaim to dead-letter it' },
      );
      assert.match(entry.lastError, /worker lost/, 'the reclaim wrote the dead letter');
      // The slot is freed once the pool's own write is done.
      await waitFor(() => rig.pool.busy === 0, { what: 'the pool to write the outcome' });
      assert.equal(await rig.metric('webhook_jobs_failed_total'), 1, 'the attempt failed');
      assert.equal(await rig.metric('webhook_jobs_dead_lettered_total'), 0);
      assert.ok(!captured.lines.some((l) => String(l.msg).endsWith('dead-lettered')));
      assert.ok(captured.lines.some((l) => String(l.msg).includes('taken back meanwhile')));
      assert.equal((await rig.store.peekDead(10)).length, 1, 'one dead letter, not two');
    });
  });
}

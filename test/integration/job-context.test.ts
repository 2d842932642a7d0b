/**
 * What a handler is given beside the payload: the raw body, the stored headers,
 * the idempotency key and the previous attempt's error. On both stores.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { JobContext } from '../../src/handlers/handler.js';
import { STORES, type StoreHarness } from '../conformance/stores.js';
import { poolOn, stopPools } from '../helpers/pool.js';
import { waitFor } from '../helpers/wait.js';

type Seen = Omit<JobContext, 'signal' | 'log' | 'receivedAt'>;

for (const factory of STORES) {
  describe(`job context: ${factory.name}`, () => {
    let h: StoreHarness;
    beforeEach(() => {
      h = factory.harness();
    });
    afterEach(async () => {
      await stopPools();
      await h.cleanup();
    });

    it('carries the raw body, headers, idempotency key and the previous error', async () => {
      const seen: Seen[] = [];
      const rig = await poolOn(h, {
        'context.check': (job) => {
          const { signal: _s, log: _l, receivedAt: _r, ...rest } = job;
          seen.push({ ...rest, headers: { ...job.headers } });
          if (job.attempt === 1) throw new Error('first try fails');
        },
      });
      const rawBody = '{ "id": "evt_1",  "amount": 5 }';
      const id = randomUUID();
      await rig.store.enqueue(
        {
          id,
          type: 'context.check',
          source: 'default',
          payload: rawBody,
          receivedAt: Date.now(),
          idempotencyKey: 'key-1',
          headers: { 'user-agent': 'sender/1.0', 'x-event-type': 'context.check' },
        },
        { key: `default:key-1:${id}`, ttlMs: 60_000 },
      );
      await waitFor(() => seen.length === 2, { what: 'the second attempt' });
      const [first, second] = seen;
      const common = {
        id,
        type: 'context.check',
        source: 'default',
        payload: { id: 'evt_1', amount: 5 },
        rawBody,
        headers: { 'user-agent': 'sender/1.0', 'x-event-type': 'context.check' },
        idempotencyKey: 'key-1',
        destination: undefined,
      };
      assert.deepEqual(first, { ...common, attempt: 1, previousError: undefined });
      assert.deepEqual(second, { ...common, attempt: 2, previousError: 'Error: first try fails' });
    });

    it('gives empty headers and no key to a job stored without them', async () => {
      const seen: Seen[] = [];
      const rig = await poolOn(h, {
        'context.bare': (job) => {
          seen.push({ ...job, headers: { ...job.headers } });
        },
      });
      await rig.send('context.bare');
      await waitFor(() => seen.length === 1, { what: 'the attempt' });
      assert.deepEqual(seen[0]?.headers, {});
      assert.equal(seen[0]?.idempotencyKey, undefined);
      assert.equal(seen[0]?.rawBody, '{}');
    });
  });
}

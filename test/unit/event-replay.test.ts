/**
 * Replaying from the event log, on a real embedded store: a replay goes only
 * where the delivery is finished or was never made, and a bulk dry run skips
 * and counts exactly as the real run does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { bulkReplayEvents, ReplayRefusedError, replayEvent } from '../../src/events/replay.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobRecord } from '../../src/store/store.js';
import { claimOne } from '../conformance/jobs.js';
import { silentLog } from '../helpers/service.js';

const targets = { configured: (name: string) => name === 'billing' || name === 'ci' };

function job(type = 'invoice.paid'): JobRecord {
  return { id: randomUUID(), type, source: 'stripe', payload: '{"a":1}', receivedAt: Date.now() };
}

describe('event replay', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wp-event-replay-'));
    store = new SqliteStore({
      file: join(dir, 'q.sqlite'),
      consumer: 'c',
      log: silentLog,
      commitWindowMs: 0,
    });
    store.lane('billing');
    store.lane('ci');
    await store.init();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => (err instanceof ReplayRefusedError ? err.reason : String(err)),
    );

  it('refuses a second copy beside a delivery under way, and sends one once it is finished', async () => {
    const j = job();
    await store.enqueue(j, undefined, { handlers: false, destinations: ['billing'] });
    assert.equal(await refusal(replayEvent(store, j.id, undefined, targets)), 'in_progress');
    assert.equal(await refusal(replayEvent(store, j.id, 'billing', targets)), 'in_progress');
    // A destination the event never had is free to take it.
    assert.deepEqual(await replayEvent(store, j.id, 'ci', targets), {
      id: j.id,
      targets: ['ci'],
    });
    const billing = store.lane('billing');
    await billing.complete([await claimOne(billing)], [{ startedAt: Date.now(), durationMs: 1 }]);
    assert.deepEqual(await replayEvent(store, j.id, undefined, targets), {
      id: j.id,
      targets: ['billing'],
    });
    assert.equal((await billing.stats()).waiting, 1);
  });

  it('refuses what is not in the log, an unknown destination, and a destination no longer configured', async () => {
    assert.equal(await refusal(replayEvent(store, 'nope', undefined, targets)), 'not_found');
    const j = job();
    await store.enqueue(j, undefined, { handlers: false, destinations: ['billing'] });
    const billing = store.lane('billing');
    await billing.complete([await claimOne(billing)], [{ startedAt: Date.now(), durationMs: 1 }]);
    assert.equal(await refusal(replayEvent(store, j.id, 'gone', targets)), 'unknown_destination');
    const none = { configured: () => false };
    assert.equal(await refusal(replayEvent(store, j.id, undefined, none)), 'no_target');
  });

  it('a bulk dry run counts and skips exactly what the real run replays and skips', async () => {
    const billing = store.lane('billing');
    const done = [job('bulk.x'), job('bulk.x'), job('bulk.x')];
    for (const j of done)
      await store.enqueue(j, undefined, { handlers: false, destinations: ['billing'] });
    for (const _ of done) {
      await billing.complete([await claimOne(billing)], [{ startedAt: Date.now(), durationMs: 1 }]);
    }
    const pending = job('bulk.x');
    await store.enqueue(pending, undefined, { handlers: false, destinations: ['billing'] });
    const req = { filter: { type: 'bulk.x' }, asOf: Date.now() + 1, max: 2 };
    const dry = await bulkReplayEvents(store, { ...req, dryRun: true }, targets);
    let counted = { replayed: dry.replayed, skipped: dry.skipped };
    let next = dry.next;
    while (next !== undefined) {
      const more = await bulkReplayEvents(store, { ...req, dryRun: true, cursor: next }, targets);
      counted = {
        replayed: counted.replayed + more.replayed,
        skipped: counted.skipped + more.skipped,
      };
      next = more.next;
    }
    assert.deepEqual(counted, { replayed: 3, skipped: 1 });
    assert.equal((await billing.stats()).waiting, 1, 'a dry run queues nothing');
    const real = await bulkReplayEvents(store, { ...req, max: 100, dryRun: false }, targets);
    assert.deepEqual({ replayed: real.replayed, skipped: real.skipped }, counted);
    assert.equal(real.next, undefined);
    assert.equal((await billing.stats()).waiting, 4);
  });
});

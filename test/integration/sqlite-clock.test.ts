/**
 * The embedded store against a wall clock that steps: leases follow elapsed
 * time, not the wall clock, and retry due times keep their delay. The clocks are
 * the store's own injectable time source, driven by the test, on a real file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TimeSource } from '../../src/store/sqlite/clock.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { claimN, job } from '../conformance/jobs.js';
import { silentLog } from '../helpers/service.js';

const root = mkdtempSync(join(tmpdir(), 'wp-sqlite-clock-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The system's clocks, plus steps of the wall clock and jumps of elapsed time. */
class SteppedTime implements TimeSource {
  private wallShift = 0;
  private elapsedShift = 0;
  wallMs(): number {
    return Date.now() + this.wallShift + this.elapsedShift;
  }
  monotonicMs(): number {
    return performance.now() + this.elapsedShift;
  }
  /** The wall clock jumps; no time passes. */
  stepWall(ms: number): void {
    this.wallShift += ms;
  }
  /** `ms` of time pass at once, on both clocks. */
  pass(ms: number): void {
    this.elapsedShift += ms;
  }
}

let n = 0;
async function openStore(time: TimeSource): Promise<SqliteStore> {
  const store = new SqliteStore({
    file: join(root, `clock-${n++}.sqlite`),
    consumer: 'clock-test',
    log: silentLog,
    commitWindowMs: 0,
    time,
  });
  await store.init();
  return store;
}

const IDLE_MS = 60_000;

describe('embedded store: a wall-clock step', () => {
  it('takes back no running job when it jumps forward by RECLAIM_IDLE; elapsed time does', async () => {
    const time = new SteppedTime();
    const store = await openStore(time);
    try {
      await store.enqueue(job(), undefined);
      await store.enqueue(job(), undefined);
      const [first, second] = await claimN(store, 2);
      assert.ok(first && second);

      time.stepWall(2 * IDLE_MS);
      assert.deepEqual(await store.reclaimStale(IDLE_MS, 5), {
        requeued: 0,
        deadLettered: 0,
        missing: [],
      });
      await store.complete([first]);
      assert.equal((await store.stats()).inProgress, 1, 'the completion was recorded');

      time.pass(IDLE_MS + 1);
      const r = await store.reclaimStale(IDLE_MS, 5);
      assert.equal(r.requeued, 1, 'a job held past RECLAIM_IDLE in elapsed time is taken back');
      assert.equal((await store.stats()).waiting, 1);
    } finally {
      await store.close();
    }
  });

  it('moves retry due times with it, forward or back, so that each keeps its delay', async () => {
    const time = new SteppedTime();
    const store = await openStore(time);
    try {
      await store.enqueue(job(), undefined);
      const [d] = await claimN(store, 1);
      assert.ok(d);
      assert.ok(await store.retryLater(d, 30_000, 'Error: later'));

      time.stepWall(10 * 60_000);
      assert.equal(await store.promoteDue(10), 0, 'not due early after a step forward');
      time.stepWall(-2 * 3_600_000);
      time.pass(30_001);
      assert.equal(
        await store.promoteDue(10),
        1,
        'due once its delay has passed, step back or not',
      );
    } finally {
      await store.close();
    }
  });

  it('keeps the order of waiting jobs when it jumps back', async () => {
    const time = new SteppedTime();
    const store = await openStore(time);
    try {
      const older = job();
      await store.enqueue(older, undefined);
      time.stepWall(-3_600_000);
      await store.enqueue(job(), undefined);
      const [first] = await store.claim(1, 50);
      assert.equal(first?.job.id, older.id);
    } finally {
      await store.close();
    }
  });
});

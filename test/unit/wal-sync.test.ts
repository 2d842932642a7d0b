import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { WalSync } from '../../src/store/sqlite/wal-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-wal-sync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An fsync that finishes only when the test says so. */
function controlledFsync() {
  const calls: { done: () => void; fail: (err: Error) => void }[] = [];
  const flush = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ done: resolve, fail: reject });
    });
  return { calls, flush };
}

const settled = async (p: Promise<unknown>) => {
  let state = 'pending';
  p.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  await new Promise((r) => setImmediate(r));
  return state;
};

describe('WalSync', () => {
  const db = join(dir, 'q.sqlite');
  writeFileSync(`${db}-wal`, '');

  it('answers a call only after an fsync that began after it, sharing one fsync among later calls', async () => {
    const f = controlledFsync();
    const sync = new WalSync(db, f.flush);
    const a = sync.sync();
    await new Promise((r) => setImmediate(r));
    assert.equal(f.calls.length, 1);
    // Committed while the first fsync runs: that fsync may not cover them.
    const b = sync.sync();
    const c = sync.sync();
    f.calls[0]?.done();
    assert.equal(await settled(a), 'resolved');
    assert.equal(await settled(b), 'pending', 'b waits for the next fsync');
    assert.equal(f.calls.length, 2, 'one more fsync, for b and c together');
    f.calls[1]?.done();
    assert.equal(await settled(b), 'resolved');
    assert.equal(await settled(c), 'resolved');
    await sync.close();
  });

  it('after a failed fsync, rejects its callers and every later one', async () => {
    const f = controlledFsync();
    const sync = new WalSync(db, f.flush);
    const a = sync.sync();
    await new Promise((r) => setImmediate(r));
    f.calls[0]?.fail(new Error('EIO'));
    await assert.rejects(a, /fsync of the queue's write-ahead log failed \(EIO\)/);
    await assert.rejects(sync.sync(), /restart the service/);
    assert.ok(sync.failure);
    assert.equal(f.calls.length, 1, 'no fsync is attempted after a failure');
    await sync.close();
  });

  it('has nothing to sync while there is no write-ahead log', async () => {
    const f = controlledFsync();
    const sync = new WalSync(join(dir, 'absent.sqlite'), f.flush);
    await sync.sync();
    assert.equal(f.calls.length, 0);
    await sync.close();
  });
});

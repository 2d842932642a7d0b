import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit, type GroupCommitOptions } from '../../src/store/sqlite/group-commit.js';

/** A group commit over strings whose commits and fsyncs are recorded and controlled. */
function harness(opts: Partial<GroupCommitOptions<string>> = {}) {
  const commits: string[][] = [];
  let failNext: Error | undefined;
  let releaseDurable: () => void = () => undefined;
  let durable = Promise.resolve();
  const gc = new GroupCommit<string, string>(
    (items) => {
      if (failNext) {
        const err = failNext;
        failNext = undefined;
        throw err;
      }
      commits.push(items);
      return items.map((i) => `ok:${i}`);
    },
    {
      windowMs: 0,
      maxBatch: 100,
      maxWeight: Number.POSITIVE_INFINITY,
      weigh: (i) => i.length,
      durable: () => durable,
      failure: (err) => new Error(`refused: ${(err as Error).message}`),
      ...opts,
    },
  );
  return {
    gc,
    commits,
    failNextCommit(err: Error) {
      failNext = err;
    },
    holdDurability() {
      durable = new Promise((r) => {
        releaseDurable = r;
      });
    },
    releaseDurability: () => releaseDurable(),
  };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('commits what arrives in one turn together and answers each in order', async () => {
    const h = harness();
    const answers = await Promise.all(['a', 'b', 'c'].map((i) => h.gc.submit(i)));
    assert.deepEqual(h.commits, [['a', 'b', 'c']]);
    assert.deepEqual(answers, ['ok:a', 'ok:b', 'ok:c']);
  });

  it('answers only once the commit is durable', async () => {
    const h = harness();
    h.holdDurability();
    let answered = false;
    const p = h.gc.submit('a').then(() => {
      answered = true;
    });
    await turn();
    await turn();
    assert.equal(h.commits.length, 1, 'committed');
    assert.equal(answered, false, 'but not answered before the fsync');
    h.releaseDurability();
    await p;
    assert.equal(answered, true);
  });

  it('commits at once when a batch is full by count or by weight', () => {
    const byCount = harness({ windowMs: 60_000, maxBatch: 2 });
    void byCount.gc.submit('a');
    void byCount.gc.submit('b');
    assert.deepEqual(byCount.commits, [['a', 'b']]);
    const byWeight = harness({ windowMs: 60_000, maxWeight: 5 });
    void byWeight.gc.submit('abc');
    assert.equal(byWeight.commits.length, 0);
    void byWeight.gc.submit('def');
    assert.deepEqual(byWeight.commits, [['abc', 'def']]);
  });

  it('refuses every request of a failed commit, and carries on with the next', async () => {
    const h = harness();
    h.failNextCommit(new Error('SQLITE_FULL'));
    const failed = ['a', 'b'].map((i) => h.gc.submit(i));
    for (const p of failed) await assert.rejects(p, /refused: SQLITE_FULL/);
    assert.equal(await h.gc.submit('c'), 'ok:c');
  });

  it('drain commits what is waiting and waits for its answers', async () => {
    const h = harness({ windowMs: 60_000 });
    const p = h.gc.submit('a');
    await h.gc.drain();
    assert.equal(await p, 'ok:a');
    assert.equal(h.gc.pending, 0);
  });
});

/**
 * Fault scenario, embedded store: kill -9 while webhooks arrive and jobs run,
 * three times over, then a final restart. Every webhook answered 202 must be
 * processed; re-runs are allowed (at-least-once) and counted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  killServiceProcesses,
  type ServiceProcess,
  startServiceProcess,
} from '../helpers/child.js';
import { expectNoLoss, readRecord } from '../helpers/file-record.js';
import { Load } from '../helpers/load.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-fault-kill9-'));
after(async () => {
  await killServiceProcesses();
  rmSync(dir, { recursive: true, force: true });
});

const ROUNDS = 3;

describe('SQLite store: kill -9 mid-flight', () => {
  it('loses no accepted webhook across repeated kill -9 and restart', async () => {
    const record = join(dir, 'processed.log');
    const env = {
      STORE: 'sqlite',
      DATA_DIR: join(dir, 'data'),
      WORKER_COUNT: '4',
      FIXTURE_HANDLER_MS: '20',
      FIXTURE_RECORD_FILE: record,
    };
    let child: ServiceProcess | undefined;
    const load = new Load({
      target: () => child?.url ?? 'http://127.0.0.1:1',
      concurrency: 8,
      requestTimeoutMs: 5_000,
    }).start(6_000);
    let orphaned = 0;
    for (let round = 0; round < ROUNDS; round++) {
      child = await startServiceProcess(env);
      orphaned += orphanedAtStart(child);
      const acceptedBefore = load.accepted.size;
      const processedBefore = readRecord(record).size;
      await waitFor(
        () =>
          load.accepted.size >= acceptedBefore + 100 &&
          readRecord(record).size >= processedBefore + 50,
        { what: `round ${round + 1}: webhooks accepted and processed`, timeoutMs: 30_000 },
      );
      child.proc.kill('SIGKILL');
      assert.equal((await child.exited).signal, 'SIGKILL');
    }
    await load.stop();

    child = await startServiceProcess(env);
    orphaned += orphanedAtStart(child);
    const t = await expectNoLoss('sqlite kill -9 x3', load, record);
    assert.ok(t.accepted >= ROUNDS * 100);
    assert.ok(orphaned > 0, 'some kill -9 hit jobs while they ran, and those were taken back');
    child.proc.kill('SIGTERM');
    assert.equal((await child.exited).code, 0);
  });
});

/** Jobs the service found running at start (left by the killed process), from its log. */
function orphanedAtStart(child: ServiceProcess): number {
  const line = child.lines.find((l) => String(l.msg).startsWith('jobs were running'));
  return typeof line?.jobs === 'number' ? line.jobs : 0;
}

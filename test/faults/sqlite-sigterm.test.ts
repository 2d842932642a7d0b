/**
 * Fault scenario, embedded store: SIGTERM while webhooks keep arriving. The
 * service refuses new work cleanly (503 or a closed connection, never a 500),
 * finishes what it runs, exits 0, and a restart processes the rest. No accepted
 * webhook is lost, and a graceful stop runs nothing twice.
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

const dir = mkdtempSync(join(tmpdir(), 'wp-fault-sigterm-'));
after(async () => {
  await killServiceProcesses();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite store: SIGTERM under sustained load', () => {
  it('stops cleanly, and every accepted webhook is processed exactly once', async () => {
    const record = join(dir, 'processed.log');
    const env = {
      STORE: 'sqlite',
      DATA_DIR: join(dir, 'data'),
      WORKER_COUNT: '4',
      SHUTDOWN_TIMEOUT: '10s',
      FIXTURE_HANDLER_MS: '30',
      FIXTURE_RECORD_FILE: record,
    };
    let child: ServiceProcess = await startServiceProcess(env);
    const load = new Load({
      target: () => child.url,
      concurrency: 8,
      requestTimeoutMs: 5_000,
    }).start(4_000);
    await waitFor(() => load.accepted.size >= 300 && readRecord(record).size >= 50, {
      what: 'sustained load',
      timeoutMs: 30_000,
    });
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    const acceptedAtExit = load.accepted.size;
    const stopped = child.lines.find((l) => l.msg === 'stopped');
    assert.equal(exit.code, 0, child.stderr.join(''));
    assert.ok(stopped, 'logged its stop');
    assert.equal(stopped.jobs_handed_back, 0, 'running jobs finished within the grace period');

    // The senders kept going while nothing listened; now the restarted service takes over.
    child = await startServiceProcess(env);
    await waitFor(() => load.accepted.size >= acceptedAtExit + 100, {
      what: 'the restarted service accepting',
      timeoutMs: 30_000,
    });
    await load.stop();
    const t = await expectNoLoss('sqlite SIGTERM under load', load, record);
    assert.equal(t.processedMoreThanOnce, 0, 'a graceful stop runs no job twice');
    const answers = [...load.outcomes.keys()].filter((k) => !k.startsWith('error '));
    assert.deepEqual(
      answers.filter((a) => a !== '202' && !a.startsWith('503 ')),
      [],
      'only 202 or 503 answers (or a refused connection while down), never a 500 or a hang',
    );
    assert.ok(
      !child.lines.some((l) => String(l.msg).startsWith('jobs were running')),
      'nothing was left running by the graceful stop',
    );
    child.proc.kill('SIGTERM');
    assert.equal((await child.exited).code, 0);
  });
});

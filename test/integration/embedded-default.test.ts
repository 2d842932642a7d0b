/**
 * The README's start command on a machine without Redis: the real entry point,
 * with no store or Redis variables at all, runs on the embedded store; a webhook
 * is processed, and one accepted before a kill -9 is processed after a restart.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { killServiceProcesses, MAIN, post, startServiceProcess } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-embedded-'));
after(async () => {
  await killServiceProcesses();
  rmSync(dir, { recursive: true, force: true });
});

describe('the default start, without Redis', () => {
  it('uses the embedded store, says so, and processes webhooks that survive kill -9', async () => {
    const env = { DATA_DIR: join(dir, 'data') }; // no STORE, REDIS_URL or REDIS_ADDR
    const first = await startServiceProcess(env, { entry: MAIN });
    const line = first.lines.find((l) => String(l.msg).startsWith('queue store:'));
    assert.ok(line, 'a start-up line names the store');
    assert.equal(line.store, 'sqlite');
    assert.match(String(line.msg), /embedded SQLite at .*data\/webhook_jobs\.sqlite/);
    assert.match(String(line.msg), /REDIS_URL/, 'and says how to switch to Redis');
    assert.ok(existsSync(join(dir, 'data', 'webhook_jobs.sqlite')));

    const r = await post(first.url, { id: 'u-1', type: 'user.created' });
    assert.ok('status' in r && r.status === 202, JSON.stringify(r));
    await first.waitForLog((l) => l.user_id === 'u-1', 'the webhook processed');
    await waitFor(
      async () => {
        const h = (await (await fetch(`${first.url}/health`)).json()) as Record<string, number>;
        return h.queue_size === 0 && h.pending === 0;
      },
      { what: 'its completion recorded' },
    );

    // Accepted, then the process dies before any worker could take it.
    first.proc.kill('SIGKILL');
    await first.exited;
    const ingestOnly = await startServiceProcess({ ...env, WORKER_COUNT: '0' }, { entry: MAIN });
    const r2 = await post(ingestOnly.url, { id: 'u-2', type: 'user.created' });
    assert.ok('status' in r2 && r2.status === 202, JSON.stringify(r2));
    ingestOnly.proc.kill('SIGKILL');
    await ingestOnly.exited;

    const restarted = await startServiceProcess(env, { entry: MAIN });
    await restarted.waitForLog((l) => l.user_id === 'u-2', 'the webhook accepted before kill -9');
    assert.ok(!restarted.lines.some((l) => l.user_id === 'u-1'), 'a finished job does not rerun');
    restarted.proc.kill('SIGTERM');
    assert.equal((await restarted.exited).code, 0);
  });
});

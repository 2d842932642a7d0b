/**
 * Graceful shutdown of the real process: SIGTERM with jobs running, hand-back of
 * unfinished jobs (only once their handlers settled), the second-signal escape,
 * start-up refusal on bad config, and the stop after a crash.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { killServiceProcesses, MAIN, post, startServiceProcess } from '../helpers/child.js';
import { dropQueue, REDIS_ADDR, redisClient, uniqueQueue } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const redis = redisClient();
const queues: string[] = [];
after(async () => {
  await killServiceProcesses();
  for (const q of queues) {
    await dropQueue(redis, q);
    await redis.del(`record:${q}`);
  }
  redis.disconnect();
});

function queue(): string {
  const q = uniqueQueue('shutdown');
  queues.push(q);
  return q;
}

async function sendMany(url: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await post(url, { n: i });
    assert.ok('status' in r && r.status === 202, JSON.stringify(r));
    ids.push(String(r.body.id));
  }
  return ids;
}

const processed = async (q: string) => Object.keys(await redis.hgetall(`record:${q}`));

describe('graceful shutdown', () => {
  it('SIGTERM with jobs running: finishes them, exits 0, and a restart processes the rest', async () => {
    const q = queue();
    const env = {
      REDIS_ADDR,
      QUEUE_NAME: q,
      WORKER_COUNT: '4',
      SHUTDOWN_TIMEOUT: '10s',
      FIXTURE_HANDLER_MS: '200',
      FIXTURE_RECORD_KEY: `record:${q}`,
    };
    const first = await startServiceProcess(env);
    const ids = await sendMany(first.url, 30);
    await waitFor(async () => (await processed(q)).length > 0, { what: 'work in progress' });
    first.proc.kill('SIGTERM');
    await first.waitForLog((l) => l.msg === 'shutting down', 'the signal to be handled');
    const refused = await post(first.url, { late: true }, {}, 5_000);
    assert.ok(
      'error' in refused || refused.status === 503,
      `a request during shutdown is refused: ${JSON.stringify(refused)}`,
    );
    const exit = await first.exited;
    assert.equal(exit.code, 0, first.stderr.join(''));
    const stopped = first.lines.find((l) => l.msg === 'stopped');
    assert.ok(stopped, 'logged its stop');
    assert.equal(stopped.jobs_handed_back, 0, 'every running job finished within the grace period');
    assert.ok((stopped.jobs_finished as number) > 0, 'it had jobs running when told to stop');
    const second = await startServiceProcess(env);
    await waitFor(async () => (await processed(q)).length === ids.length, {
      what: 'all jobs',
      timeoutMs: 20_000,
    });
    assert.deepEqual((await processed(q)).sort(), [...ids].sort());
    second.proc.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });

  it('hands back jobs that outlive SHUTDOWN_TIMEOUT, so another instance takes them at once', async () => {
    const q = queue();
    const env = {
      REDIS_ADDR,
      QUEUE_NAME: q,
      WORKER_COUNT: '3',
      SHUTDOWN_TIMEOUT: '2s',
      TIMEOUT: '1m',
      FIXTURE_HANDLER_MS: '4000',
      FIXTURE_RECORD_KEY: `record:${q}`,
    };
    const first = await startServiceProcess(env);
    const ids = await sendMany(first.url, 3);
    await waitFor(async () => (await redis.xpending(q, 'workers'))[0] === 3, {
      what: 'jobs running',
    });
    first.proc.kill('SIGTERM');
    const exit = await first.exited;
    assert.equal(exit.code, 0, first.stderr.join(''));
    assert.equal(first.lines.find((l) => l.msg === 'stopped')?.jobs_handed_back, 3);
    assert.equal(
      (await redis.xpending(q, 'workers'))[0],
      0,
      'nothing left pending on the stopped consumer',
    );
    // RECLAIM_IDLE is 70s here: only the hand-back lets the next instance start at once.
    await startServiceProcess({ ...env, FIXTURE_HANDLER_MS: '0' });
    await waitFor(async () => (await processed(q)).length === 3, {
      what: 'handed-back jobs',
      timeoutMs: 15_000,
    });
    assert.deepEqual((await processed(q)).sort(), ids.sort());
  });

  it('leaves the job of a handler that ignores its signal pending, for a reclaim once it exited', async () => {
    const q = queue();
    const env = {
      REDIS_ADDR,
      QUEUE_NAME: q,
      WORKER_COUNT: '2',
      SHUTDOWN_TIMEOUT: '2s',
      TIMEOUT: '2s',
      RECLAIM_IDLE: '3s',
      FIXTURE_RECORD_KEY: `record:${q}`,
    };
    const first = await startServiceProcess({ ...env, FIXTURE_HANDLER_MS: '30000' });
    const sent = await post(first.url, { ignore_signal: true });
    assert.ok('status' in sent && sent.status === 202, JSON.stringify(sent));
    await waitFor(async () => (await redis.xpending(q, 'workers'))[0] === 1, {
      what: 'the job running',
    });
    first.proc.kill('SIGTERM');
    const exit = await first.exited;
    assert.equal(exit.code, 0, first.stderr.join(''));
    const stopped = first.lines.find((l) => l.msg === 'stopped');
    assert.equal(stopped?.jobs_handed_back, 0, 'not handed back while its handler ran');
    assert.equal(stopped?.jobs_left_running, 1);
    assert.equal(
      (await redis.xpending(q, 'workers'))[0],
      1,
      'still pending on the stopped consumer',
    );
    await startServiceProcess({ ...env, FIXTURE_HANDLER_MS: '0' });
    await waitFor(async () => (await processed(q)).length === 1, {
      what: 'the reclaimed job',
      timeoutMs: 20_000,
    });
    assert.deepEqual(await processed(q), [String(sent.body.id)]);
  });

  it('exits at once on a second signal', async () => {
    const q = queue();
    const child = await startServiceProcess({
      REDIS_ADDR,
      QUEUE_NAME: q,
      WORKER_COUNT: '1',
      SHUTDOWN_TIMEOUT: '1m',
      TIMEOUT: '5m',
      FIXTURE_HANG: '1',
    });
    await sendMany(child.url, 1);
    await waitFor(async () => (await redis.xpending(q, 'workers'))[0] === 1, {
      what: 'hung job running',
    });
    child.proc.kill('SIGTERM');
    await child.waitForLog((l) => l.msg === 'shutting down', 'first signal seen');
    child.proc.kill('SIGTERM');
    const exit = await Promise.race([
      child.exited,
      new Promise((r) => setTimeout(() => r('still running'), 10_000)),
    ]);
    assert.deepEqual(exit, { code: 1, signal: null });
  });

  it('the real entry point accepts, processes and stops cleanly on SIGTERM', async () => {
    const q = queue();
    const child = await startServiceProcess({ REDIS_ADDR, QUEUE_NAME: q }, { entry: MAIN });
    const r = await post(child.url, { id: 'u-main', type: 'user.created' });
    assert.ok('status' in r && r.status === 202);
    await child.waitForLog(
      (l) => l.msg === 'user event processed' && l.user_id === 'u-main',
      'built-in handler line',
    );
    child.proc.kill('SIGINT');
    assert.equal((await child.exited).code, 0, child.stderr.join(''));
  });

  it('refuses to start on invalid configuration, naming the variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN], {
      env: { PATH: process.env.PATH ?? '', WORKER_COUNT: 'abc', TIMEOUT: '-1s' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /WORKER_COUNT="abc": expected a whole number/);
    assert.match(r.stderr, /TIMEOUT="-1s": expected a positive duration/);
  });
});

describe('crashes', () => {
  const SHUTDOWN_TIMEOUT_MS = 3_000;

  for (const [type, what] of [
    ['crash.timer', 'uncaught exception'],
    ['crash.rejection', 'unhandled promise rejection'],
  ] as const) {
    it(`an ${what} outside any job: logs fatal, stops gracefully, exits 1 in time, loses nothing`, async () => {
      const q = queue();
      const env = {
        REDIS_ADDR,
        QUEUE_NAME: q,
        WORKER_COUNT: '2',
        SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
        FIXTURE_RECORD_KEY: `record:${q}`,
      };
      // The job throws from a timer, then runs on (it honours its signal).
      const child = await startServiceProcess({
        ...env,
        FIXTURE_CRASH: '1',
        FIXTURE_HANDLER_MS: '60000',
      });
      const sent = await post(child.url, { n: 1 }, { 'x-event-type': type });
      assert.ok('status' in sent && sent.status === 202, JSON.stringify(sent));
      const exit = await Promise.race([
        child.exited,
        new Promise((r) => setTimeout(() => r('still running'), SHUTDOWN_TIMEOUT_MS + 10_000)),
      ]);
      assert.deepEqual(exit, { code: 1, signal: null });
      const fatal = child.lines.find((l) => l.level === 60);
      assert.ok(fatal, `logged at fatal: ${child.stderr.join('')}`);
      assert.ok(String(fatal.msg).startsWith(`${what}: `), String(fatal.msg));
      assert.match(String(fatal.err), /thrown from a timer|nothing handles it/);
      const stopped = child.lines.find((l) => l.msg === 'stopped');
      assert.ok(stopped, 'stopped gracefully');
      const stopMs = Date.parse(String(stopped.time)) - Date.parse(String(fatal.time));
      assert.ok(stopMs <= SHUTDOWN_TIMEOUT_MS, `stopped within SHUTDOWN_TIMEOUT (${stopMs}ms)`);
      assert.equal(stopped.jobs_handed_back, 1, 'the running job was handed back');
      assert.deepEqual(await processed(q), [], 'it had not finished');

      const restarted = await startServiceProcess(env);
      await waitFor(async () => (await processed(q)).length === 1, {
        what: 'the job, run again after the restart',
      });
      assert.deepEqual(await processed(q), [String(sent.body.id)]);
      restarted.proc.kill('SIGTERM');
      assert.equal((await restarted.exited).code, 0);
    });
  }

  it('an uncaught exception after a graceful stop finished still exits 1', async () => {
    const q = queue();
    const child = await startServiceProcess({
      REDIS_ADDR,
      QUEUE_NAME: q,
      WORKER_COUNT: '1',
      SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
      FIXTURE_CRASH: '1',
      FIXTURE_HANDLER_MS: '60000',
    });
    const sent = await post(child.url, { n: 1 }, { 'x-event-type': 'crash.late' });
    assert.ok('status' in sent && sent.status === 202, JSON.stringify(sent));
    await waitFor(async () => (await redis.xpending(q, 'workers'))[0] === 1, {
      what: 'the job running',
    });
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    assert.ok(
      child.lines.some((l) => l.msg === 'stopped'),
      `stopped gracefully first: ${child.stderr.join('')}`,
    );
    const fatal = child.lines.find((l) => l.level === 60);
    assert.ok(fatal, 'logged at fatal');
    assert.match(String(fatal.err), /thrown after the stop/);
    assert.deepEqual(exit, { code: 1, signal: null });
  });
});

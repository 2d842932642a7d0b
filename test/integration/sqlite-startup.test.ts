/**
 * Embedded store, start-up: one process owns the database file, and a file that
 * cannot be used stops start-up with a clear message, leaving the file as it was.
 * Runs the real entry point as a child process.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import DatabaseConstructor from 'better-sqlite3';
import { queueFile, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { killServiceProcesses, MAIN, post, startServiceProcess } from '../helpers/child.js';
import { silentLog } from '../helpers/service.js';

const root = mkdtempSync(join(tmpdir(), 'wp-sqlite-startup-'));
after(async () => {
  await killServiceProcesses();
  rmSync(root, { recursive: true, force: true });
});

function dataDir(): string {
  return join(root, randomUUID());
}

/** Starts the real service on `dir` and expects it to refuse; returns the error it logged. */
async function refusedStart(dir: string): Promise<string> {
  const child = await startServiceProcess(
    { STORE: 'sqlite', DATA_DIR: dir },
    { entry: MAIN, waitReady: false },
  );
  const exit = await child.exited;
  assert.equal(exit.code, 1, 'start-up fails with exit code 1');
  const failed = child.lines.find((l) => l.msg === 'start-up failed');
  assert.ok(failed, `logged why: ${child.stderr.join('')}`);
  assert.ok(
    !child.lines.some((l) => String(l.msg).startsWith('webhook-processor listening')),
    'never listened',
  );
  return String(failed.err);
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('embedded store start-up', () => {
  it('a second process on the same file fails with a clear message; the first is unaffected', async () => {
    const dir = dataDir();
    const first = await startServiceProcess({ STORE: 'sqlite', DATA_DIR: dir }, { entry: MAIN });
    const err = await refusedStart(dir);
    assert.match(err, /in use by another process/);
    assert.match(err, new RegExp(`pid ${first.proc.pid}`), 'names the owner');
    assert.match(err, /STORE=redis/, 'says how to run several instances');
    const r = await post(first.url, { id: 'still-mine', type: 'user.created' });
    assert.ok('status' in r && r.status === 202, JSON.stringify(r));
    await first.waitForLog((l) => l.user_id === 'still-mine', 'first instance still processing');
  });

  it('after kill -9 of the owner, the next process takes the file over', async () => {
    const dir = dataDir();
    const first = await startServiceProcess({ STORE: 'sqlite', DATA_DIR: dir }, { entry: MAIN });
    first.proc.kill('SIGKILL');
    await first.exited;
    const next = await startServiceProcess({ STORE: 'sqlite', DATA_DIR: dir }, { entry: MAIN });
    const r = await post(next.url, { id: 'after-kill', type: 'user.created' });
    assert.ok('status' in r && r.status === 202, JSON.stringify(r));
    next.proc.kill('SIGTERM');
    assert.equal((await next.exited).code, 0);
  });

  it('a file that is not a database stops start-up and is left as it was', async () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    const file = queueFile(dir, 'webhook_jobs');
    writeFileSync(file, 'this is not an SQLite database\n'.repeat(300));
    const before = sha(file);
    const err = await refusedStart(dir);
    assert.match(err, /webhook_jobs\.sqlite is unreadable \(file is not a database\)/);
    assert.match(err, /move the file/);
    assert.equal(sha(file), before, 'the file was not changed');
  });

  it('a damaged database stops start-up, naming what the integrity check found', async () => {
    const dir = dataDir();
    const file = queueFile(dir, 'webhook_jobs');
    const store = new SqliteStore({ file, consumer: 'setup', log: silentLog, commitWindowMs: 0 });
    await store.init();
    for (let i = 0; i < 50; i++) {
      await store.enqueue(
        {
          id: randomUUID(),
          type: 't',
          source: 'default',
          payload: JSON.stringify({ pad: 'x'.repeat(2_000) }),
          receivedAt: Date.now(),
        },
        undefined,
      );
    }
    await store.close();
    const bytes = readFileSync(file);
    bytes.fill(0xff, 4096 * 3, 4096 * 3 + 64); // scribble over a b-tree page header
    writeFileSync(file, bytes);
    const before = sha(file);
    const err = await refusedStart(dir);
    assert.match(err, /webhook_jobs\.sqlite is damaged \(quick_check: .+\)/);
    assert.equal(sha(file), before, 'the file was not changed');
  });

  it('an SQLite file of another application is refused', async () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    const other = new DatabaseConstructor(queueFile(dir, 'webhook_jobs'));
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    other.close();
    const err = await refusedStart(dir);
    assert.match(err, /not one of webhook-processor's queues/);
  });

  it('a path that cannot be opened stops start-up with what to check', async () => {
    const dir = dataDir();
    mkdirSync(queueFile(dir, 'webhook_jobs'), { recursive: true }); // a directory where the file goes
    assert.match(await refusedStart(dir), /cannot open .*webhook_jobs\.sqlite.*DATA_DIR/);
    const notADir = join(dataDir());
    writeFileSync(notADir, 'a file, not a directory');
    assert.match(await refusedStart(notADir), /cannot create the data directory/);
  });
});

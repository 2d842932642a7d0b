/**
 * Fault scenario, embedded store: the disk fills under load, twice. The service
 * runs as a child process with its data directory on a 4 MiB tmpfs; senders
 * resend every event until it gets a 202.
 *
 * 1. Another file fills the disk. Ingest answers 503 store_unavailable, /health
 *    and /health/ready say disk_full, the metric says so, and the workers keep
 *    draining. The file is deleted, and ingest resumes by itself.
 * 2. The queue's own data fills the disk (jobs are slow, so the backlog grows).
 *    Ingest refuses again, and resumes once the drain has made room.
 *
 * Every accepted event must be processed, and no job may run twice for want of
 * space: the store's reserve lets workers record every outcome.
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
import { completionsNotRecorded } from '../helpers/fault-rig.js';
import { expectNoLoss, readRecord } from '../helpers/file-record.js';
import { Load } from '../helpers/load.js';
import { fillDisk, mountTmpfs, removeFiller, unmountTmpfs } from '../helpers/tmpfs.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-fault-full-disk-'));
const data = join(dir, 'data');
after(async () => {
  try {
    await killServiceProcesses();
  } finally {
    unmountTmpfs(data);
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Probe {
  health: number;
  healthReason: unknown;
  ready: number;
  readyReason: unknown;
  diskFull: string | undefined;
  queued: number;
}

async function probe(url: string): Promise<Probe> {
  const get = (path: string) => fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
  const [h, r, m] = await Promise.all([get('/health'), get('/health/ready'), get('/metrics')]);
  const hb = (await h.json()) as Record<string, unknown>;
  const rb = (await r.json()) as Record<string, unknown>;
  return {
    health: h.status,
    healthReason: hb.reason,
    ready: r.status,
    readyReason: rb.reason,
    diskFull: /^webhook_store_disk_full (\d)$/m.exec(await m.text())?.[1],
    queued: Number(hb.queue_size) + Number(hb.pending),
  };
}

const saysDiskFull = (p: Probe) =>
  p.health === 503 &&
  p.healthReason === 'disk_full' &&
  p.ready === 503 &&
  p.readyReason === 'disk_full' &&
  p.diskFull === '1';

describe('SQLite store: the disk fills up', () => {
  it('refuses ingest while full, keeps draining, resumes by itself, and loses nothing', async () => {
    mountTmpfs(data, 4 * 1024 * 1024);
    const record = join(dir, 'processed.log');
    const child: ServiceProcess = await startServiceProcess({
      STORE: 'sqlite',
      DATA_DIR: data,
      WORKER_COUNT: '4',
      QUEUE_SIZE: '100000',
      FIXTURE_HANDLER_MS: '5',
      FIXTURE_RECORD_FILE: record,
    });
    let slowJobs = false;
    const load = new Load({
      target: () => child.url,
      concurrency: 8,
      requestTimeoutMs: 5_000,
      payload: () => ({ pad: 'x'.repeat(1_500), sleep_ms: slowJobs ? 80 : 5 }),
    }).start(1_000_000);
    const processed = () => readRecord(record).size;
    const refusals = () => load.count('503 store_unavailable');

    // 1. Another file takes the free space while a backlog waits.
    await waitFor(() => load.accepted.size >= 200 && processed() >= 100, {
      what: 'webhooks accepted and processed',
      timeoutMs: 30_000,
    });
    slowJobs = true;
    await waitFor(async () => (await probe(child.url)).queued >= 100, {
      what: 'a backlog',
      timeoutMs: 30_000,
    });
    const filler = join(data, 'filler');
    fillDisk(filler);
    await waitFor(() => refusals() > 0, { what: 'a 503 on the full disk', timeoutMs: 30_000 });
    await waitFor(async () => saysDiskFull(await probe(child.url)), {
      what: '/health, /health/ready and the metric to say disk_full',
    });
    slowJobs = false;
    const processedAtFull = processed();
    const acceptedAtFull = load.accepted.size;
    // The drain may make room by itself; count only what was processed while still refusing.
    let processedWhileFull = processedAtFull;
    await waitFor(
      async () => {
        const done = processed();
        const p = await probe(child.url);
        if (saysDiskFull(p)) processedWhileFull = done;
        return p.queued === 0;
      },
      { what: 'the workers to drain the backlog', timeoutMs: 60_000 },
    );
    const drainedWhileFull = processedWhileFull - processedAtFull;
    assert.ok(drainedWhileFull > 0, 'the workers drained while the disk was full');
    removeFiller(filler);
    await waitFor(() => load.accepted.size >= acceptedAtFull + 100, {
      what: 'ingest to resume by itself once the file is gone',
      timeoutMs: 30_000,
    });
    const refusalsRound1 = refusals();

    // 2. The queue's own data fills the disk: jobs now take longer than they arrive.
    slowJobs = true;
    await waitFor(() => refusals() > refusalsRound1, {
      what: "a 503 once the queue's own data filled the disk",
      timeoutMs: 60_000,
    });
    slowJobs = false;
    const fullAgain = await waitFor(
      async () => ((p) => (saysDiskFull(p) ? p : undefined))(await probe(child.url)),
      { what: 'disk_full again' },
    );
    const acceptedAtFullAgain = load.accepted.size;
    await waitFor(() => load.accepted.size >= acceptedAtFullAgain + 100, {
      what: 'ingest to resume once the drain made room',
      timeoutMs: 90_000,
    });
    await load.stop();

    const t = await expectNoLoss('sqlite full disk', load, record);
    const notRecorded = completionsNotRecorded(child.lines);
    console.log(
      `full disk: refused_503=${refusals()} queued_at_second_fill=${fullAgain.queued} drained_while_full=${drainedWhileFull} completions_not_recorded=${notRecorded}`,
    );
    assert.equal(notRecorded, 0, 'every completion was recorded, full disk or not');
    assert.equal(t.extraRuns, 0, 'no job ran twice');
    assert.deepEqual(
      [...load.outcomes.keys()].filter((k) => k !== '202' && k !== '503 store_unavailable'),
      [],
      'only 202 and 503 store_unavailable, never a 500, a hang or a dropped connection',
    );
    const health = await probe(child.url);
    assert.equal(health.health, 200, 'healthy again');
    child.proc.kill('SIGTERM');
    assert.equal((await child.exited).code, 0);
  });
});

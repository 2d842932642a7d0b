/**
 * The embedded store on a real full disk (a 4 MiB tmpfs): ingest refuses with
 * 503 store_unavailable and says why on /health, /health/ready and /metrics,
 * the workers go on recording outcomes, and ingest resumes by itself once there
 * is room, whether another file or the queue's own data filled the disk. With no
 * room left at all, a write answers 503, never 500.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { JobContext } from '../../src/handlers/handler.js';
import { queueFile, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { postWebhook } from '../helpers/http.js';
import { silentLog, startedService } from '../helpers/service.js';
import { fillDisk, mountTmpfs, removeFiller, unmountTmpfs } from '../helpers/tmpfs.js';
import { waitFor } from '../helpers/wait.js';

const root = mkdtempSync(join(tmpdir(), 'wp-disk-full-'));
const mounts: string[] = [];
const services: Service[] = [];
after(async () => {
  try {
    for (const s of services) await s.stop(2_000);
  } finally {
    for (const m of mounts) unmountTmpfs(m);
    rmSync(root, { recursive: true, force: true });
  }
});

/** A fresh 4 MiB filesystem for one test. */
function smallDisk(name: string): string {
  const dir = join(root, name);
  mountTmpfs(dir, 4 * 1024 * 1024);
  mounts.push(dir);
  return dir;
}

/** Jobs run by the handler, by id; each waits while `gate.closed`. */
class Handler {
  readonly runs = new Map<string, number>();
  private open: () => void = () => undefined;
  private opened: Promise<void> = Promise.resolve();

  close(): void {
    this.opened = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open();
  }

  readonly handle = async (job: JobContext): Promise<void> => {
    await this.opened;
    this.runs.set(job.id, (this.runs.get(job.id) ?? 0) + 1);
  };
}

async function start(
  dir: string,
  handler: Handler,
  env: Record<string, string> = {},
  diskCheckIntervalMs = 50,
) {
  const config = loadConfig({
    STORE: 'sqlite',
    DATA_DIR: dir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    BACKLOG_SAMPLE_INTERVAL: '50ms',
    WORKER_COUNT: '2',
    ...env,
  });
  const store = new SqliteStore({
    file: queueFile(dir, config.queueName),
    consumer: `disk-${randomUUID().slice(0, 6)}`,
    log: silentLog,
    commitWindowMs: 0,
    diskCheckIntervalMs,
  });
  const service = await startedService(config, {
    store,
    handlers: { 'disk.test': handler.handle },
  });
  services.push(service);
  return service;
}

const send = (service: Service, padding = 100) =>
  postWebhook(
    service.app,
    { id: randomUUID(), pad: 'x'.repeat(padding) },
    { 'x-event-type': 'disk.test' },
  );

async function health(service: Service) {
  const [h, ready, metrics] = await Promise.all(
    ['/health', '/health/ready', '/metrics'].map((url) => service.app.inject({ url })),
  );
  return {
    health: { status: h?.statusCode, reason: h?.json().reason as unknown },
    ready: { status: ready?.statusCode, reason: ready?.json().reason as unknown },
    diskFullGauge: /^webhook_store_disk_full (\d)$/m.exec(metrics?.body ?? '')?.[1],
    freeGauge: /^webhook_store_disk_free_bytes (\d+)$/m.exec(metrics?.body ?? '')?.[1],
  };
}

/** Sends until one webhook is refused; returns the refusal, having recorded the accepted ids. */
async function sendUntilRefused(service: Service, accepted: string[], padding: number) {
  return waitFor(
    async () => {
      const res = await send(service, padding);
      if (res.statusCode === 202) accepted.push(res.json().id);
      return res.statusCode === 503 ? res : undefined;
    },
    { what: 'a 503 once the disk is full', timeoutMs: 30_000, intervalMs: 1 },
  );
}

describe('embedded store: another file fills the disk', () => {
  let dir: string;
  before(() => {
    dir = smallDisk('filler');
  });

  it('refuses ingest and says disk_full, records outcomes meanwhile, and resumes when the file goes', async () => {
    const handler = new Handler();
    const service = await start(dir, handler);
    handler.close();
    const accepted: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await send(service);
      assert.equal(res.statusCode, 202);
      accepted.push(res.json().id);
    }
    await waitFor(() => service.pool.busy === 2, { what: 'two jobs running' });

    const filler = join(dir, 'filler');
    fillDisk(filler);
    const refused = await sendUntilRefused(service, accepted, 100);
    assert.equal(refused.json().error.code, 'store_unavailable');
    assert.equal(refused.headers['retry-after'], '5');
    const full = await health(service);
    assert.deepEqual(full.health, { status: 503, reason: 'disk_full' });
    assert.deepEqual(full.ready, { status: 503, reason: 'disk_full' });
    assert.equal(full.diskFullGauge, '1');
    assert.ok(full.freeGauge !== undefined, 'free bytes are published');

    // The disk is still full: the workers run and record every job all the same.
    handler.release();
    // Completions are written in batches after the slot frees: wait for the writes too.
    await waitFor(
      async () => {
        const s = await service.store.stats();
        return s.waiting === 0 && s.inProgress === 0 && service.pool.busy === 0;
      },
      { what: 'the queue drained and every completion recorded on a full disk' },
    );
    assert.equal((await send(service)).statusCode, 503, 'still refusing while the disk is full');

    removeFiller(filler);
    const again = await waitFor(
      async () => {
        const res = await send(service);
        return res.statusCode === 202 ? res : undefined;
      },
      { what: 'ingest to resume by itself', intervalMs: 20 },
    );
    accepted.push(again.json().id);
    const ok = await health(service);
    assert.deepEqual(ok.health, { status: 200, reason: undefined });
    assert.deepEqual(ok.ready, { status: 200, reason: undefined });
    assert.equal(ok.diskFullGauge, '0');
    await waitFor(() => accepted.every((id) => handler.runs.has(id)), {
      what: 'every accepted job processed',
    });
    assert.ok(
      [...handler.runs.values()].every((n) => n === 1),
      'no job ran twice',
    );
  });
});

describe("embedded store: the queue's own data fills the disk", () => {
  let dir: string;
  before(() => {
    dir = smallDisk('own-data');
  });

  it('refuses ingest until the workers have drained enough, then resumes by itself', async () => {
    const handler = new Handler();
    handler.close();
    const service = await start(dir, handler, { QUEUE_SIZE: '100000' });
    const accepted: string[] = [];
    const refused = await sendUntilRefused(service, accepted, 2_000);
    assert.equal(refused.json().error.code, 'store_unavailable');
    assert.ok(accepted.length > 100, `accepted ${accepted.length} before the disk filled`);
    assert.deepEqual((await health(service)).health, { status: 503, reason: 'disk_full' });

    handler.release();
    const again = await waitFor(
      async () => {
        const res = await send(service, 2_000);
        return res.statusCode === 202 ? res : undefined;
      },
      { what: 'ingest to resume once the drain made room', timeoutMs: 30_000, intervalMs: 20 },
    );
    accepted.push(again.json().id);
    await waitFor(() => accepted.every((id) => handler.runs.has(id)), {
      what: 'every accepted job processed',
      timeoutMs: 30_000,
    });
    assert.ok(
      [...handler.runs.values()].every((n) => n === 1),
      'no job ran twice',
    );
  });
});

describe('embedded store: starting on a full disk', () => {
  let dir: string;
  before(() => {
    dir = smallDisk('restart');
  });

  it('starts, refusing ingest, drains what it holds, and resumes once there is room', async () => {
    const handler = new Handler();
    const first = await start(dir, handler, { WORKER_COUNT: '0' });
    const accepted: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await send(first, 1_000);
      assert.equal(res.statusCode, 202);
      accepted.push(res.json().id);
    }
    await first.stop(2_000);
    const filler = join(dir, 'filler');
    fillDisk(filler);

    const second = await start(dir, handler);
    assert.deepEqual((await health(second)).health, { status: 503, reason: 'disk_full' });
    await waitFor(() => accepted.every((id) => handler.runs.has(id)), {
      what: 'the jobs accepted before drained on the full disk',
    });
    assert.equal((await send(second)).statusCode, 503);

    removeFiller(filler);
    await waitFor(async () => (await send(second)).statusCode === 202, {
      what: 'ingest to resume by itself',
      intervalMs: 20,
    });
  });
});

describe('embedded store: DLQ operations on a disk with no room left at all', () => {
  let dir: string;
  before(() => {
    dir = smallDisk('dlq');
  });

  it('answer 503 store_unavailable, never a 500; reads still answer', async () => {
    const token = 'ADMINtokenVALUE-0123456789abcdef';
    // No periodic check: nothing frees space behind the test's back.
    const service = await start(
      dir,
      new Handler(),
      { WORKER_COUNT: '0', ADMIN_TOKEN: token },
      3_600_000,
    );
    const store = service.store;
    for (let i = 0; i < 3; i++) assert.equal((await send(service)).statusCode, 202);
    for (const d of await store.claim(3, 100)) assert.ok(await store.deadLetter(d, 1, 'Error: x'));
    const [first] = (await store.deadLetters.list({ filter: {}, limit: 10 })).entries;
    assert.ok(first);

    const filler = join(dir, 'filler');
    fillDisk(filler);
    await sendUntilRefused(service, [], 100);
    const writes: [method: 'POST' | 'DELETE', url: string, body?: unknown][] = [
      ['POST', `/admin/dlq/${first.dlqId}/replay`],
      ['POST', '/admin/dlq/replay', {}],
      ['DELETE', `/admin/dlq/${first.dlqId}`],
      ['DELETE', '/admin/dlq?confirm=true'],
    ];
    for (const [method, url, body] of writes) {
      fillDisk(`${filler}-more`); // what the freed reserve and WAL gave back, taken too
      const res = await service.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      assert.equal(res.statusCode, 503, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error.code, 'store_unavailable');
    }
    const list = await service.app.inject({
      url: '/admin/dlq',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().items.length, 3, 'nothing was moved or deleted');
    removeFiller(filler);
    removeFiller(`${filler}-more`);
  });
});

describe('embedded store: the event log on a full disk', () => {
  let dir: string;
  before(() => {
    dir = smallDisk('event-log');
  });

  it('the payload index writes nothing while the disk is full, and catches up once there is room', async () => {
    const store = new SqliteStore({
      file: join(dir, 'index.sqlite'),
      consumer: 'event-index',
      log: silentLog,
      commitWindowMs: 0,
      diskCheckIntervalMs: 50,
      // Run by the test alone.
      payloadIndexIntervalMs: 24 * 3_600_000,
    });
    await store.init();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        const id = randomUUID();
        ids.push(id);
        const payload = JSON.stringify({ n: `idx-${i}-`, pad: randomUUID().repeat(20) });
        await store.enqueue(
          { id, type: 'disk.test', source: 'default', payload, receivedAt: Date.now() + i },
          undefined,
        );
      }
      const filler = join(dir, 'index-filler');
      fillDisk(filler);
      await waitFor(() => store.disk().full, { what: 'the store to see the full disk' });
      await store.events.index.run();
      assert.equal(store.events.index.mark(), 0, 'nothing indexed on a full disk');
      const find = async (q: string) =>
        (await store.events.list({ filter: { q }, limit: 5 })).events.map((e) => e.id);
      assert.deepEqual(await find('"idx-42-"'), [ids[42]], 'found without the index');

      removeFiller(filler);
      await waitFor(() => !store.disk().full, { what: 'ingest to resume' });
      await store.events.index.run();
      assert.ok(store.events.index.caughtUp(), 'indexed once there is room');
      assert.deepEqual(await find('"idx-42-"'), [ids[42]]);
    } finally {
      await store.close();
    }
  });

  it('gives way: each trim drops a step of the oldest events, never a dead letter', async () => {
    const store = new SqliteStore({
      file: join(dir, 'queue.sqlite'),
      consumer: 'event-log',
      log: silentLog,
      commitWindowMs: 0,
      diskCheckIntervalMs: 50,
    });
    await store.init();
    try {
      const job = () => ({
        id: randomUUID(),
        type: 'disk.test',
        source: 'default',
        payload: JSON.stringify({ pad: randomUUID().repeat(40) }),
        receivedAt: Date.now(),
      });
      for (let i = 0; i < 40; i++) await store.enqueue(job(), undefined);
      const [d] = await store.claim(1, 0);
      assert.ok(d);
      await store.deadLetter(d, 1, 'no', { startedAt: 1, durationMs: 1 });
      for (;;) {
        const ds = await store.claim(100, 0);
        if (ds.length === 0) break;
        await store.complete(ds);
      }
      assert.equal(await store.events.trim(), 0, 'within its bounds, the log keeps everything');

      const filler = join(dir, 'filler');
      fillDisk(filler);
      await waitFor(() => store.disk().full, { what: 'the store to see the full disk' });
      assert.equal(await store.events.trim(), 40, 'the log gives its room to the queue');
      assert.equal(await store.events.size(), 0);
      assert.equal((await store.stats()).dead, 1, 'the DLQ is untouched');

      removeFiller(filler);
      await waitFor(() => !store.disk().full, { what: 'ingest to resume' });
      await store.enqueue(job(), undefined);
      assert.equal(await store.events.trim(), 0, 'with room again, the bounds alone decide');
      assert.equal(await store.events.size(), 1);
    } finally {
      await store.close();
    }
  });
});

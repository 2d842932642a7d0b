/**
 * A store backend of the embedding program's own (test/fixtures/kept-store.ts,
 * one file), registered with `storeDrivers` and nothing else: its variables are
 * read and checked, it is chosen by STORE or by its own variable, it sets
 * EVENT_LOG_MAX's default, builds the store, counts rate limits and words the
 * start-up line. Through createService, and through runService in a process of
 * its own with typed settings.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { createService } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { configFrom } from '../../src/config/settings.js';
import { keptDriver, keptLimiterKeys } from '../fixtures/kept-store.js';
import { killServiceProcesses, post, startServiceProcess } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-store-driver-'));
after(async () => {
  await killServiceProcesses();
  rmSync(dir, { recursive: true, force: true });
});

describe('a store driver given by the embedding program', () => {
  it('is chosen by STORE, builds the store from its own settings, and is announced', async () => {
    const lines: { msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const storeDrivers = [keptDriver];
    const config = configFrom(
      {
        store: 'kept',
        port: 0,
        host: '127.0.0.1',
        workers: 0,
        queueName: 'driven',
      },
      {
        KEPT_DIR: dir,
        KEPT_PREFIX: 'own',
        RATE_LIMIT_WINDOW: '1m',
        RATE_LIMIT_PER_IP: '1',
        ADMIN_TOKEN: 'kept-admin-token-0123456789',
      },
      { storeDrivers },
    );
    assert.equal(config.eventLog.maxEvents, 321, "EVENT_LOG_MAX's default is the driver's");
    const service = createService({ config, log, storeDrivers, processMetrics: false });
    try {
      assert.equal(service.store.kind, 'kept');
      assert.equal(service.store.location, join(dir, 'own-driven.db'));
      await service.start();
      assert.ok(existsSync(join(dir, 'own-driven.db')), 'the store is where its settings say');
      const line = lines.find((l) => l.msg.startsWith('queue store:'));
      assert.ok(line);
      assert.match(line.msg, /^queue store: kept store at .*own-driven\.db \(STORE is set\)\./);
      assert.match(line.msg, /set REDIS_URL/, 'the other stores are offered');
      const send = () =>
        service.app.inject({
          method: 'POST',
          url: '/webhooks',
          remoteAddress: '203.0.113.9',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ type: 'a.b' }),
        });
      assert.equal((await send()).statusCode, 202);
      assert.equal((await send()).statusCode, 429);
      assert.ok(
        keptLimiterKeys.some((k) => k.includes('203.0.113.9')),
        `the driver's rate limiter counted: ${JSON.stringify(keptLimiterKeys)}`,
      );
      const shown = await service.app.inject({
        url: '/admin/config',
        headers: { authorization: 'Bearer kept-admin-token-0123456789' },
      });
      assert.deepEqual(
        (shown.json() as { stores: Record<string, unknown> }).stores.kept,
        { dir, prefix: 'own' },
        '/admin/config shows the settings as the driver redacts them',
      );
      assert.equal((await service.store.stats()).waiting, 1);
    } finally {
      await service.stop(2_000);
    }
  });

  it('refuses a config read with other drivers than the service is given', () => {
    const withKept = configFrom(
      { store: 'kept' },
      { KEPT_DIR: dir },
      { storeDrivers: [keptDriver] },
    );
    assert.throws(
      () => createService({ config: withKept, processMetrics: false }),
      /read with the store drivers kept, redis, sqlite, and the service is given redis, sqlite: pass the same storeDrivers/,
    );
    // The other way round, the driver would never be chosen: KEPT_DIR unread.
    const without = loadConfig({ KEPT_DIR: dir });
    assert.throws(
      () => createService({ config: without, storeDrivers: [keptDriver], processMetrics: false }),
      /read with the store drivers redis, sqlite, and the service is given kept, redis, sqlite/,
    );
    assert.throws(
      () =>
        createService({
          config: without,
          processMetrics: false,
          ...({ storeDriver: keptDriver } as object),
        }),
      /storeDriver is now storeDrivers/,
    );
  });

  it('runs under runService, chosen by its variable, with typed settings over the environment', async () => {
    const record = join(dir, 'handled.txt');
    const child = await startServiceProcess(
      {
        KEPT_DIR: join(dir, 'run'),
        KEPT_RECORD: record,
        WORKER_COUNT: '7',
        QUEUE_NAME: 'from_env',
        KEPT_PREFIX: 'fromenv',
      },
      { entry: 'test/fixtures/run-kept.ts' },
    );
    const store = await child.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('queue store:'),
      'the start-up line',
    );
    assert.match(String(store.msg), /kept store at .*typed-kept_jobs\.db \(KEPT_DIR is set\)/);
    const configLine = await child.waitForLog((l) => l.msg === 'configuration', 'config line');
    const shown = configLine.config as { workerCount: number; stores: Record<string, unknown> };
    assert.equal(shown.workerCount, 2, 'settings win over WORKER_COUNT');
    assert.deepEqual(
      shown.stores.kept,
      { dir: join(dir, 'run'), prefix: 'typed' },
      "the store's typed setting wins over KEPT_PREFIX",
    );
    const res = await post(child.url, { id: 'evt_kept_1', type: 'kept.test' });
    assert.ok('status' in res && res.status === 202, JSON.stringify(res));
    await waitFor(() => existsSync(record) && readFileSync(record, 'utf8').trim().length > 0, {
      what: 'the handler ran',
    });
    child.proc.kill('SIGTERM');
    assert.equal((await child.exited).code, 0);
  });

  it("exits 2 naming the driver's variable when the value set for it in code is invalid", async () => {
    const child = await startServiceProcess(
      { KEPT_DIR: join(dir, 'bad'), KEPT_TYPED_PREFIX: 'Not-Letters' },
      { entry: 'test/fixtures/run-kept.ts', waitReady: false },
    );
    assert.equal((await child.exited).code, 2);
    assert.match(child.stderr.join(''), /KEPT_PREFIX="Not-Letters": expected lower-case letters/);
  });
});

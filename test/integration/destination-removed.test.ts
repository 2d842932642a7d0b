/**
 * A destination that leaves the config file: what becomes of its dead letters
 * and of the deliveries still waiting for it, on both stores. Two services on
 * one queue, one after the other, the second without the destination.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { dropQueue, redisClient, uniqueQueue } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const STORES = ['sqlite', 'redis'] as const;
const TOKEN = 'destination-removed-admin-token';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-dest-removed-'));
  dirs.push(dir);
  return dir;
}

for (const store of STORES) {
  describe(`a destination removed from the config (${store})`, () => {
    const queueName = uniqueQueue('removed');
    const dataDir = tempDir();
    const running: Service[] = [];
    const receivers: Receiver[] = [];
    afterEach(async () => {
      await Promise.all(running.splice(0).map((s) => s.stop(2_000)));
      await Promise.all(receivers.splice(0).map((r) => r.close()));
      if (store === 'redis') {
        const redis = redisClient();
        await dropQueue(redis, queueName);
        redis.disconnect();
      }
    });

    async function service(yaml: string): Promise<Service> {
      const file = join(tempDir(), 'config.yaml');
      writeFileSync(file, yaml);
      const s = await startedService(
        testConfig({
          CONFIG_FILE: file,
          ADMIN_TOKEN: TOKEN,
          QUEUE_NAME: queueName,
          ...(store === 'sqlite' ? { STORE: 'sqlite', DATA_DIR: dataDir } : {}),
        }),
      );
      running.push(s);
      return s;
    }

    async function receiver(status: number): Promise<Receiver> {
      const r = await startReceiver(() => ({ status }));
      receivers.push(r);
      return r;
    }

    async function admin(s: Service, method: 'GET' | 'POST', url: string) {
      const res = await s.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    }

    async function post(s: Service, body: string) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/webhooks',
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
      assert.equal(res.statusCode, 202, res.body);
    }

    it('a replay of its dead delivery is refused, a bulk replay skips it, and the entry stays in the DLQ', async () => {
      const gone = await receiver(410);
      const kept = await receiver(200);
      const first = await service(`
destinations:
  gone: { url: ${gone.url} }
  kept: { url: ${kept.url} }
routes:
  - { source: "*", to: [gone, kept] }
`);
      await post(first, '{"type":"t.r","id":"removed-1"}');
      const [entry] = await waitFor(async () => {
        const items = (await admin(first, 'GET', '/admin/dlq?destination=gone')).body.items as {
          id: string;
        }[];
        return items.length === 1 ? items : undefined;
      });
      assert.ok(entry);
      await first.stop(2_000);
      const second = await service(`
destinations:
  kept: { url: ${kept.url} }
routes:
  - { source: "*", to: [kept] }
`);
      const replay = await admin(second, 'POST', `/admin/dlq/${entry.id}/replay`);
      assert.equal(replay.status, 409, 'the replay is refused');
      assert.equal((replay.body.error as { code: string }).code, 'destination_not_configured');
      const bulk = await admin(second, 'POST', '/admin/dlq/replay');
      assert.equal(bulk.status, 200);
      assert.equal(bulk.body.replayed, 0);
      assert.equal(bulk.body.skipped, 1);
      const left = (await admin(second, 'GET', '/admin/dlq?destination=gone')).body.items;
      assert.equal((left as unknown[]).length, 1, 'the dead letter is still there');
    });

    it('deliveries still waiting for it are dead-lettered at start-up, naming it', async () => {
      const first = await service(`
destinations:
  gone: { url: http://127.0.0.1:9/never }
routes:
  - { source: "*", to: [gone] }
`);
      await admin(first, 'POST', '/admin/destinations/gone/pause');
      await post(first, '{"type":"t.w","id":"waiting-1"}');
      await first.stop(2_000);
      const second = await service('destinations:\n  kept: { url: http://127.0.0.1:9/x }\n');
      // The earlier test's dead letter of `gone` may be in the DLQ too (one SQLite file).
      const swept = await waitFor(
        async () => {
          const got = (await admin(second, 'GET', '/admin/dlq?destination=gone')).body.items as {
            last_error: string;
          }[];
          const mine = got.filter(
            (e) => e.last_error === 'destination gone is no longer configured',
          );
          return mine.length > 0 ? mine : undefined;
        },
        { timeoutMs: 5_000, what: 'the stranded delivery in the DLQ, naming its destination' },
      );
      assert.equal(swept.length, 1);
      const stats = (await admin(second, 'GET', '/admin/destinations')).body;
      assert.ok(!JSON.stringify(stats).includes('"gone"'), 'no queue of it is left');
      if (store === 'redis') {
        const redis = redisClient();
        const keys = await redis.keys(`{${queueName}}:d:gone*`);
        redis.disconnect();
        assert.deepEqual(keys, [], 'its queue keys are removed');
      }
    });
  });
}

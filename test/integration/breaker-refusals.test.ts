/**
 * A destination that answers, but refuses some events (a 400 for a payload it
 * does not accept), is up: its refusals go to the dead-letter queue, and they
 * must not open the circuit breaker and hold back every other delivery.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startReceiver } from '../helpers/recording-receiver.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'breaker-refusals-admin-token';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

for (const store of ['sqlite', 'redis'] as const) {
  describe(`circuit breaker and refusals (${store})`, () => {
    it('a run of refused events leaves the breaker closed', {}, async () => {
      const r = await startReceiver((req) =>
        req.body.toString().includes('"bad"') ? { status: 400 } : { status: 200 },
      );
      const dir = mkdtempSync(join(tmpdir(), 'wp-refusals-'));
      dirs.push(dir);
      writeFileSync(
        join(dir, 'config.yaml'),
        `destinations:\n  strict: { url: ${r.url}, breaker_failures: 3 }\nroutes:\n  - { source: "*", to: [strict] }\n`,
      );
      const config = testConfig({
        CONFIG_FILE: join(dir, 'config.yaml'),
        ADMIN_TOKEN: TOKEN,
        ...(store === 'sqlite' ? { STORE: 'sqlite', DATA_DIR: dir } : {}),
      });
      const s = await startedService(config);
      const admin = async (url: string) =>
        (
          await s.app.inject({
            method: 'GET',
            url,
            headers: { authorization: `Bearer ${TOKEN}` },
          })
        ).json();
      try {
        for (let i = 0; i < 5; i++) {
          const res = await s.app.inject({
            method: 'POST',
            url: '/webhooks',
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ type: 't.r', id: `bad-${i}`, kind: 'bad' }),
          });
          assert.equal(res.statusCode, 202);
        }
        // Each refusal is recorded against the breaker before it is dead-lettered.
        await waitFor(async () => (await admin('/admin/dlq')).items.length >= 3, {
          what: 'three refusals dead-lettered',
        });
        const [d] = (await admin('/admin/destinations')).destinations as { state: string }[];
        assert.equal(d?.state, 'closed');
      } finally {
        await s.stop(2_000);
        await r.close();
        if (store === 'redis') {
          const redis = redisClient();
          await dropQueue(redis, config.queueName);
          redis.disconnect();
        }
      }
    });
  });
}

/**
 * The circuit breaker's probe: once the cool-down is over, one probe at a time
 * decides. A request sent before the breaker opened that fails later (a
 * timeout longer than the cool-down) is not the probe, and must not let a
 * second probe go while the first is still out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const STORES = ['sqlite', 'redis'] as const;
const TIMEOUT_MS = 4_000;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

for (const store of STORES) {
  describe(`circuit breaker probe (${store})`, () => {
    it('a straggler failing after the cool-down does not let a second probe go while the first is out', {}, async () => {
      let openedAt = Number.POSITIVE_INFINITY;
      // "fail" answers 500 at once and opens the breaker; everything else hangs
      // until the request's timeout.
      const r: Receiver = await startReceiver((req) => {
        if (req.body.toString().includes('"fail"')) {
          openedAt = Math.min(openedAt, Date.now());
          return { status: 500 };
        }
        return { status: 200, delayMs: 60_000 };
      });
      const dir = mkdtempSync(join(tmpdir(), 'wp-probe-'));
      dirs.push(dir);
      writeFileSync(
        join(dir, 'config.yaml'),
        `
destinations:
  flaky:
    url: ${r.url}
    timeout: ${TIMEOUT_MS}ms
    concurrency: 3
    breaker_failures: 1
    breaker_cooldown: 1s
    breaker_max_cooldown: 1s
routes:
  - { source: "*", to: [flaky] }
`,
      );
      const config = testConfig({
        CONFIG_FILE: join(dir, 'config.yaml'),
        ...(store === 'sqlite' ? { STORE: 'sqlite', DATA_DIR: dir } : {}),
      });
      const s = await startedService(config);
      const post = async (body: string) => {
        const res = await s.app.inject({
          method: 'POST',
          url: '/webhooks',
          headers: { 'content-type': 'application/json' },
          payload: body,
        });
        assert.equal(res.statusCode, 202);
      };
      try {
        // The straggler goes out first and hangs; a second later a failure opens the breaker.
        await post('{"type":"t.s","id":"straggler"}');
        await waitFor(() => r.received.length === 1, { what: 'the straggler sent' });
        await waitFor(() => r.open === 1);
        const sentAt = r.received[0]?.at ?? 0;
        await waitFor(() => Date.now() > sentAt + 1_000, { what: 'a second to pass' });
        await post('{"type":"t.f","id":"fail"}');
        await waitFor(() => openedAt < Number.POSITIVE_INFINITY, { what: 'the breaker open' });
        await post('{"type":"t.p","id":"p1"}');
        await post('{"type":"t.p","id":"p2"}');
        // The straggler times out ~3 s after the breaker opened; watch past that.
        await waitFor(() => Date.now() > openedAt + TIMEOUT_MS + 2_500, {
          timeoutMs: 15_000,
          intervalMs: 100,
        });
        const probes = r.received.filter((x) => x.at > openedAt).map((x) => x.at);
        assert.ok(probes.length >= 1, 'a probe went');
        for (let i = 1; i < probes.length; i++) {
          const gap = (probes[i] as number) - (probes[i - 1] as number);
          assert.ok(
            gap >= TIMEOUT_MS,
            `probe ${i + 1} went ${gap} ms after probe ${i}, while that one was still out`,
          );
        }
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

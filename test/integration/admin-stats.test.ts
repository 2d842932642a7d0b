/**
 * The figures the dashboard's overview needs beyond the store's: each
 * destination's delivery latency in GET /admin/destinations, and signature
 * failures by source in GET /admin/stats/signatures, on a real service
 * delivering to a real receiver.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'admin-stats-test-token-0123456789abcdef';

describe('the overview figures of the admin API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-admin-stats-'));
  let receiver: Receiver;
  let service: Service;

  before(async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: 30 }));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      `destinations:
  shop: { url: ${receiver.url} }
routes:
  - { source: "*", to: [shop] }
sources:
  github: { scheme: github, secret_env: GH_SECRET }
  acme: { scheme: github, secret_env: GH_SECRET }
`,
    );
    service = await startedService(
      testConfig({
        STORE: 'sqlite',
        DATA_DIR: join(dir, 'data'),
        CONFIG_FILE: configFile,
        GH_SECRET: 'admin-stats-github-secret',
        ADMIN_TOKEN: TOKEN,
      }),
    );
  });

  after(async () => {
    await service?.stop(2_000);
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = async (url: string) => {
    const res = await service.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.statusCode, 200, url);
    return res.json();
  };
  type Destinations = {
    destinations: { name: string; p50_ms: number | null; p99_ms: number | null }[];
  };
  const shop = async () => ((await admin('/admin/destinations')) as Destinations).destinations[0];

  it('has no latency for a destination before its first attempt, then p50 and p99 in ms', async () => {
    assert.deepEqual(
      { p50: (await shop())?.p50_ms, p99: (await shop())?.p99_ms },
      { p50: null, p99: null },
    );
    for (let i = 0; i < 3; i++) {
      const res = await service.app.inject({
        method: 'POST',
        url: '/webhooks',
        payload: { type: 'order.created', id: `o-${i}` },
      });
      assert.equal(res.statusCode, 202);
    }
    await waitFor(() => receiver.received.length === 3, { what: 'three deliveries' });
    const d = await waitFor(async () => {
      const s = await shop();
      return s?.p50_ms !== null ? s : undefined;
    });
    // The receiver waits 30 ms: every attempt lands in the (25 ms, 50 ms] bucket or above.
    // In seconds it would be below 1, in microseconds 30,000 or more; a loaded machine
    // may add any delay, so the upper bound only tells the unit.
    assert.ok(d.p50_ms !== null && d.p50_ms > 25 && d.p50_ms < 10_000, String(d.p50_ms));
    assert.ok(d.p99_ms !== null && d.p99_ms >= d.p50_ms, String(d.p99_ms));
  });

  it('counts signature failures per configured source, 0 for a source without any', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await service.app.inject({
        method: 'POST',
        url: '/webhooks/github',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': `d-${i}`,
          'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        },
        payload: '{"zen":"forged"}',
      });
      assert.equal(res.statusCode, 401);
    }
    assert.deepEqual(await admin('/admin/stats/signatures'), {
      sources: [
        { source: 'github', failures: 2 },
        { source: 'acme', failures: 0 },
      ],
    });
  });
});

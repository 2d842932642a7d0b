/**
 * A store backend of the embedding program's own, given as `storeDriver` (here
 * the embedded store, announced and rate-limited its own way): the service
 * builds its store with it, counts rate limits with its limiter, and announces
 * it in its words.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { createService } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { MemoryRateLimiter, type RateLimiter } from '../../src/ingest/rate-limit.js';
import type { StoreDriver } from '../../src/store/driver.js';
import { sqliteDriver } from '../../src/store/sqlite/driver.js';
import type { Store } from '../../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-store-driver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a store driver given by the embedding program', () => {
  it('builds the store, counts rate limits and words the start-up line', async () => {
    const built: Store[] = [];
    const hits: string[] = [];
    const counters = new MemoryRateLimiter();
    const limiter: RateLimiter = {
      hit(key, windowMs) {
        hits.push(key);
        return counters.hit(key, windowMs);
      },
    };
    const driver: StoreDriver = {
      ...sqliteDriver,
      create(config, consumer, log) {
        const store = sqliteDriver.create(config, consumer, log);
        built.push(store);
        return store;
      },
      rateLimiter: () => limiter,
      announce: (location, why) => `a store of our own at ${location} (${why}).`,
    };
    const lines: { msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const config = loadConfig({
      DATA_DIR: dir,
      PORT: '0',
      HOST: '127.0.0.1',
      WORKER_COUNT: '0',
      RATE_LIMIT_WINDOW: '1m',
      RATE_LIMIT_PER_IP: '1',
    });
    const service = createService({ config, log, storeDriver: driver, processMetrics: false });
    try {
      assert.equal(built.length, 1);
      assert.equal(service.store, built[0]);
      await service.start();
      const line = lines.find((l) => l.msg.startsWith('queue store:'));
      assert.ok(line);
      assert.match(
        line.msg,
        /a store of our own at .*webhook_jobs\.sqlite \(given by the embedding program\)/,
      );
      const post = () =>
        service.app.inject({
          method: 'POST',
          url: '/webhooks',
          remoteAddress: '203.0.113.9',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ type: 'a.b' }),
        });
      assert.equal((await post()).statusCode, 202);
      assert.equal((await post()).statusCode, 429);
      assert.ok(
        hits.some((k) => k.includes('203.0.113.9')),
        JSON.stringify(hits),
      );
    } finally {
      await service.stop(2_000);
    }
  });
});

/**
 * DLQ_MAX_LEN and DLQ_RETENTION: the retention pass drops what is beyond the
 * caps and counts it in webhook_dlq_dropped_total by reason; a failing pass
 * neither throws nor counts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeadLetterRetention } from '../../src/dlq/retention.js';
import { Metrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { DeadLetters } from '../../src/store/store.js';
import { clockPast, deadLetterJobs, job } from '../conformance/jobs.js';
import { captureLogs } from '../helpers/logs.js';
import { silentLog, testConfig } from '../helpers/service.js';

async function dropped(metrics: Metrics): Promise<Record<string, number>> {
  const metric = await metrics.dlqDropped.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.reason), v.value]));
}

describe('DLQ retention', () => {
  let dir: string;
  let store: SqliteStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wp-dlq-retention-'));
    store = new SqliteStore({
      file: join(dir, 'q.sqlite'),
      consumer: 'retention',
      log: silentLog,
      commitWindowMs: 0,
    });
    await store.init();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops entries beyond the caps and counts them by reason', async () => {
    const metrics = new Metrics([], { processMetrics: false });
    const logs = captureLogs('info');
    await deadLetterJobs(store, [job(), job()]);
    const gap = Date.now();
    await clockPast(gap + 200);
    await deadLetterJobs(store, [job(), job(), job(), job()]);
    const retention = new DeadLetterRetention(
      store.deadLetters,
      { maxLength: 3, maxAgeMs: Date.now() - (gap + 100) },
      metrics,
      logs.log,
    );
    assert.deepEqual(await retention.runOnce(), { byAge: 2, byLength: 1 });
    assert.deepEqual(await dropped(metrics), { retention: 2, max_len: 1 });
    assert.equal((await store.stats()).dead, 3);
    assert.deepEqual(await retention.runOnce(), { byAge: 0, byLength: 0 });
    assert.ok(logs.lines.some((l) => l.dropped_by_max_len === 1 && l.dropped_by_retention === 2));
    const text = await metrics.registry.metrics();
    assert.match(text, /webhook_dlq_dropped_total\{reason="max_len"\} 1/);
  });

  it('is off when both caps are 0, and a failing pass is logged, not thrown', async () => {
    const metrics = new Metrics([], { processMetrics: false });
    const off = new DeadLetterRetention(
      store.deadLetters,
      { maxLength: 0, maxAgeMs: 0 },
      metrics,
      silentLog,
    );
    assert.equal(off.enabled, false);
    const logs = captureLogs('warn');
    const failing = Object.create(store.deadLetters) as DeadLetters;
    failing.trim = () => Promise.reject(new Error('disk on fire'));
    const broken = new DeadLetterRetention(
      failing,
      { maxLength: 1, maxAgeMs: 0 },
      metrics,
      logs.log,
    );
    assert.deepEqual(await broken.runOnce(), { byAge: 0, byLength: 0 });
    assert.ok(logs.text().includes('disk on fire'));
    assert.deepEqual(await dropped(metrics), {});
  });

  it('reads DLQ_MAX_LEN and DLQ_RETENTION, with defaults and 0 for off', () => {
    const defaults = testConfig();
    assert.equal(defaults.dlqMaxLength, 100_000);
    assert.equal(defaults.dlqRetentionMs, 30 * 24 * 3_600_000);
    const off = testConfig({ DLQ_MAX_LEN: '0', DLQ_RETENTION: '0' });
    assert.equal(off.dlqMaxLength, 0);
    assert.equal(off.dlqRetentionMs, 0);
    assert.throws(() => testConfig({ DLQ_MAX_LEN: '-1' }), /DLQ_MAX_LEN/);
    assert.throws(() => testConfig({ DLQ_RETENTION: '7 days' }), /DLQ_RETENTION/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config.js';
import { configFrom } from '../../src/config/settings.js';
import { sqliteOf } from '../helpers/config.js';

describe('configFrom', () => {
  it('reads typed settings as the variables they stand for', () => {
    const c = configFrom({
      workers: 5,
      timeoutMs: 30_000,
      maxRetries: 7,
      retryBaseDelayMs: 250,
      httpIngest: false,
      store: 'sqlite',
      dataDir: '/tmp/wp-settings',
      logLevel: 'warn',
    });
    assert.equal(c.workerCount, 5);
    assert.equal(c.jobTimeoutMs, 30_000);
    assert.equal(c.maxRetries, 7);
    assert.equal(c.retryBaseDelayMs, 250);
    assert.equal(c.httpIngest, false);
    assert.equal(c.store, 'sqlite');
    assert.equal(sqliteOf(c).dataDir, '/tmp/wp-settings');
    assert.equal(c.logLevel, 'warn');
    assert.equal(
      c.reclaimIdleMs,
      40_000,
      'defaults follow the settings, as they follow the variables',
    );
  });

  it('lets a setting win over the environment, and takes the rest from it', () => {
    const c = configFrom({ workers: 2 }, { WORKER_COUNT: '9', QUEUE_SIZE: '50' });
    assert.equal(c.workerCount, 2);
    assert.equal(c.queueSize, 50);
  });

  it('refuses a bad value with the message the variable would get', () => {
    assert.throws(
      () => configFrom({ workers: -1 }),
      (err: unknown) => err instanceof ConfigError && /WORKER_COUNT/.test(err.message),
    );
    assert.throws(
      () => configFrom({ timeoutMs: 1_000, reclaimIdleMs: 500 }),
      (err: unknown) => err instanceof ConfigError && /RECLAIM_IDLE/.test(err.message),
    );
    assert.throws(() => configFrom({ timeoutMs: Number.NaN }), ConfigError);
  });

  it('refuses a setting it does not know', () => {
    assert.throws(() => configFrom({ worker: 5 } as never), /unknown setting "worker"/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes } from '../../src/config/bytes.js';
import { loadConfig, redactedConfig } from '../../src/config/config.js';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { problemsOf, redisOf } from '../helpers/config.js';

describe('durations', () => {
  it('parses Go-style strings', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('1.5s'), 1_500);
    assert.equal(parseDuration('1h2m3s4ms'), 3_723_004);
    assert.equal(parseDuration('0'), 0);
  });
  it('rejects what Go rejects', () => {
    for (const bad of ['', '30', 's', '1d', '1 s', '1s2', 'abc', '--1s', '1e3s', '1.s']) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
  });
  it('formats for humans', () => {
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(86_400_000), '24h0m0s');
  });
});

describe('sizes', () => {
  it('print in the largest unit that divides them, as BODY_LIMIT would be written', () => {
    assert.equal(formatBytes(1024 * 1024), '1 MiB');
    assert.equal(formatBytes(512 * 1024), '512 KiB');
    assert.equal(formatBytes(2_000_000), '2 MB');
    assert.equal(formatBytes(1500), '1500 bytes');
  });
});

describe('loadConfig', () => {
  it('uses the spec defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.workerCount, 10);
    assert.equal(c.queueSize, 1000);
    assert.equal(c.maxRetries, 3);
    assert.equal(c.jobTimeoutMs, 30_000);
    assert.equal(redisOf(c).host, 'localhost');
    assert.equal(redisOf(c).port, 6379);
    assert.equal(redisOf(c).password, undefined);
    assert.equal(redisOf(c).db, 0);
    assert.equal(c.queueName, 'webhook_jobs');
    assert.equal(c.idempotencyTtlMs, 86_400_000);
    assert.equal(c.bodyLimitBytes, 1024 * 1024);
    assert.equal(c.logLevel, 'info');
    assert.ok(c.reclaimIdleMs > c.jobTimeoutMs);
  });

  it('reads every variable it documents', () => {
    const c = loadConfig({
      PORT: '9000',
      WORKER_COUNT: '7',
      QUEUE_SIZE: '50',
      MAX_RETRIES: '5',
      TIMEOUT: '1m30s',
      REDIS_ADDR: 'redis.internal:6380',
      REDIS_PASSWORD: 'pw',
      REDIS_DB: '2',
      QUEUE_NAME: 'jobs',
      IDEMPOTENCY_TTL: '1h',
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT: '10s',
      BODY_LIMIT: '256KiB',
      RETRY_BASE_DELAY: '200ms',
      RETRY_MAX_DELAY: '10s',
      RECLAIM_IDLE: '2m',
      HTTP_INGEST: 'false',
    });
    assert.equal(c.port, 9000);
    assert.equal(c.workerCount, 7);
    assert.equal(c.queueSize, 50);
    assert.equal(c.maxRetries, 5);
    assert.equal(c.jobTimeoutMs, 90_000);
    assert.deepEqual(
      [redisOf(c).host, redisOf(c).port, redisOf(c).password, redisOf(c).db],
      ['redis.internal', 6380, 'pw', 2],
    );
    assert.equal(c.queueName, 'jobs');
    assert.equal(c.idempotencyTtlMs, 3_600_000);
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.shutdownTimeoutMs, 10_000);
    assert.equal(c.bodyLimitBytes, 256 * 1024);
    assert.equal(c.retryBaseDelayMs, 200);
    assert.equal(c.retryMaxDelayMs, 10_000);
    assert.equal(c.reclaimIdleMs, 120_000);
    assert.equal(c.httpIngest, false);
  });

  it('lets REDIS_URL win over the REDIS_* parts', () => {
    const c = loadConfig({
      REDIS_URL: 'rediss://app:s%40cret@cache.example:6390/3',
      REDIS_ADDR: 'ignored:1',
      REDIS_PASSWORD: 'ignored',
    });
    assert.equal(redisOf(c).host, 'cache.example');
    assert.equal(redisOf(c).port, 6390);
    assert.equal(redisOf(c).username, 'app');
    assert.equal(redisOf(c).password, 's@cret');
    assert.equal(redisOf(c).db, 3);
    assert.equal(redisOf(c).tls, true);
    assert.ok(!redisOf(c).display.includes('s@cret'));
  });

  it('stops on invalid values, naming the variable and what it accepts', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ WORKER_COUNT: 'abc' }, /^WORKER_COUNT="abc": expected a whole number/],
      [{ PORT: '70000' }, /^PORT="70000": expected a whole number from 0 to 65535/],
      [{ TIMEOUT: '-1s' }, /^TIMEOUT="-1s": expected a positive duration/],
      [{ TIMEOUT: '10d' }, /^TIMEOUT="10d": .*units: ms, s, m, h/],
      [{ IDEMPOTENCY_TTL: '24' }, /^IDEMPOTENCY_TTL="24"/],
      [{ MAX_RETRIES: '1.5' }, /^MAX_RETRIES="1.5"/],
      [{ BODY_LIMIT: 'lots' }, /^BODY_LIMIT="lots": expected a positive size/],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL="loud": expected one of fatal, error/],
      [{ REDIS_ADDR: 'nohost' }, /^REDIS_ADDR="nohost": expected host:port/],
      [{ REDIS_URL: 'http://x' }, /^REDIS_URL: expected redis:\/\//],
      [{ QUEUE_NAME: 'a{b}' }, /^QUEUE_NAME="a\{b\}"/],
      [{ HTTP_INGEST: 'maybe' }, /^HTTP_INGEST="maybe": expected true or false/],
      [
        { WORKER_COUNT: '0', HTTP_INGEST: 'false' },
        /^WORKER_COUNT=0 with HTTP_INGEST=false: .*neither accept nor process/,
      ],
      [{ TIMEOUT: '30s', RECLAIM_IDLE: '10s' }, /^RECLAIM_IDLE .* must be longer than TIMEOUT/],
      [
        { RETRY_BASE_DELAY: '10s', RETRY_MAX_DELAY: '1s' },
        /^RETRY_MAX_DELAY .* must be at least RETRY_BASE_DELAY/,
      ],
    ];
    for (const [env, pattern] of cases) {
      const problems = problemsOf(env);
      assert.equal(problems.length, 1, `${JSON.stringify(env)} -> ${problems.join('; ')}`);
      assert.match(problems[0] as string, pattern);
    }
  });

  it('refuses durations longer than the timers they set can be, naming the variable and the maximum', () => {
    // Node.js fires a timer longer than 2^31 - 1 ms after 1 ms instead: TIMEOUT=600h
    // used to time every job out at once.
    const max = '596h31m23.647s';
    const cases: [Record<string, string>, RegExp][] = [
      [{ TIMEOUT: '600h' }, /^TIMEOUT="600h": at most 596h31m23\.647s \(the longest timer/],
      [{ TIMEOUT: '596h31m23.648s', RECLAIM_IDLE: '700h' }, /^TIMEOUT=.*: at most 596h31m23\.647s/],
      [{ SHUTDOWN_TIMEOUT: '600h' }, /^SHUTDOWN_TIMEOUT="600h": at most 596h31m22\.647s \(/],
      [{ SHUTDOWN_TIMEOUT: max }, /^SHUTDOWN_TIMEOUT=.*: at most 596h31m22\.647s/],
      [
        { BACKLOG_SAMPLE_INTERVAL: '1000h' },
        /^BACKLOG_SAMPLE_INTERVAL="1000h": at most 596h31m23\.647s/,
      ],
      [{ REDIS_CONNECT_TIMEOUT: '600h' }, /^REDIS_CONNECT_TIMEOUT="600h": at most 596h31m23\.647s/],
      [{ REDIS_COMMAND_TIMEOUT: '300h' }, /^REDIS_COMMAND_TIMEOUT="300h": at most 298h15m36\.823s/],
      [{ RECLAIM_IDLE: '2400h' }, /^RECLAIM_IDLE="2400h": at most 2386h5m34\.588s/],
    ];
    for (const [env, pattern] of cases) {
      const problems = problemsOf(env);
      assert.equal(problems.length, 1, `${JSON.stringify(env)} -> ${problems.join('; ')}`);
      assert.match(problems[0] as string, pattern);
      assert.match(problems[0] as string, /Node\.js/);
    }
    // Up to the maximum is fine, and so are long durations that set no timer.
    const c = loadConfig({
      TIMEOUT: max,
      RECLAIM_IDLE: '2386h',
      SHUTDOWN_TIMEOUT: '596h31m22.647s',
      BACKLOG_SAMPLE_INTERVAL: max,
      REDIS_CONNECT_TIMEOUT: max,
      REDIS_COMMAND_TIMEOUT: '298h',
      IDEMPOTENCY_TTL: '8760h',
      DLQ_RETENTION: '8760h',
      RETRY_MAX_DELAY: '1000h',
    });
    assert.equal(c.jobTimeoutMs, 2 ** 31 - 1);
    assert.equal(c.shutdownTimeoutMs, 2 ** 31 - 1 - 1_000);
    assert.equal(c.idempotencyTtlMs, 8760 * 3_600_000);
    // With TIMEOUT at its maximum, RECLAIM_IDLE's default (TIMEOUT + 10s) is still valid.
    assert.equal(loadConfig({ TIMEOUT: max }).reclaimIdleMs, 2 ** 31 - 1 + 10_000);
  });

  it('accepts either role alone: ingest-only (WORKER_COUNT=0) and worker-only (HTTP_INGEST=false)', () => {
    const ingestOnly = loadConfig({ WORKER_COUNT: '0' });
    assert.deepEqual([ingestOnly.workerCount, ingestOnly.httpIngest], [0, true]);
    const workerOnly = loadConfig({ HTTP_INGEST: 'false' });
    assert.deepEqual([workerOnly.workerCount, workerOnly.httpIngest], [10, false]);
  });

  it('reports a variable set to the empty string as empty, with what to set and what unsetting does', () => {
    // `PORT=` in an env file, or a template whose value went missing: not "not set",
    // and not the default without a word.
    const cases: [Record<string, string>, RegExp][] = [
      [
        { PORT: '' },
        /^PORT is empty: set it to a whole number from 0 to 65535, or unset it to use the default \(8080\)$/,
      ],
      [{ WORKER_COUNT: '  ' }, /^WORKER_COUNT is empty: .*unset it to use the default \(10\)$/],
      [{ TIMEOUT: '' }, /^TIMEOUT is empty: set it to a positive duration .*default \(30s\)$/],
      [{ BODY_LIMIT: '' }, /^BODY_LIMIT is empty: .*default \(1 MiB\)$/],
      [{ HTTP_INGEST: '' }, /^HTTP_INGEST is empty: set it to true or false, .*\(true\)$/],
      [{ LOG_LEVEL: '' }, /^LOG_LEVEL is empty: set it to one of fatal, .*\(info\)$/],
      [{ QUEUE_NAME: '' }, /^QUEUE_NAME is empty: .*\(webhook_jobs\)$/],
      [{ HOST: '' }, /^HOST is empty: .*\(0\.0\.0\.0\)$/],
      [{ DATA_DIR: '' }, /^DATA_DIR is empty: .*\(\.\/data\)$/],
    ];
    for (const [env, pattern] of cases) {
      const problems = problemsOf(env);
      assert.equal(problems.length, 1, `${JSON.stringify(env)} -> ${problems.join('; ')}`);
      assert.match(problems[0] as string, pattern);
      assert.doesNotMatch(problems[0] as string, /not set/);
    }
  });

  it('reads empty as unset only where unset means none or off: the store choice, optional settings, ADMIN_TOKEN', () => {
    // Templates pass these through as `${REDIS_URL:-}` (compose.yaml does for ADMIN_TOKEN).
    const c = loadConfig({
      STORE: '',
      REDIS_URL: '',
      REDIS_ADDR: '',
      ADMIN_TOKEN: '',
      REDIS_PASSWORD: '',
      REDIS_DB: '',
      REDIS_TLS_CERT: '',
      REDIS_TLS_KEY: '',
      CORS_ALLOWED_ORIGINS: '',
      TRUST_PROXY: '',
      FORWARD_URL: '',
      CONFIG_FILE: '',
      SOURCES_FILE: '',
    });
    assert.equal(c.store, 'sqlite');
    assert.equal(c.adminToken, undefined);
    assert.equal(redisOf(c).password, undefined);
    assert.equal(redisOf(c).db, 0);
    assert.deepEqual(c.corsOrigins, []);
    assert.deepEqual(c.destinations, []);
    assert.equal(redisOf(loadConfig({ STORE: 'redis', REDIS_ADDR: ' ' })).host, 'localhost');
  });

  it('reports every problem at once', () => {
    assert.equal(problemsOf({ WORKER_COUNT: 'x', TIMEOUT: 'y', PORT: 'z' }).length, 3);
  });

  it('never echoes a REDIS_URL that may hold a password', () => {
    const [problem] = problemsOf({ REDIS_URL: 'ftp://user:hunter2@host' });
    assert.ok(!String(problem).includes('hunter2'));
  });

  it('redacts the password when printed', () => {
    const printed = JSON.stringify(redactedConfig(loadConfig({ REDIS_PASSWORD: 'hunter2' })));
    assert.ok(!printed.includes('hunter2'));
    assert.ok(printed.includes('[redacted]'));
  });
});

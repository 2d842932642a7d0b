import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkServer,
  factsFromInfo,
  parseInfo,
  versionAtLeast,
} from '../../src/store/redis/server-checks.js';

const INFO = [
  '# Server',
  'redis_version:7.0.15',
  '# Memory',
  'maxmemory_policy:noeviction',
  '# Persistence',
  'aof_enabled:1',
].join('\r\n');

describe('Redis server checks', () => {
  it('reads the facts from INFO', () => {
    assert.deepEqual(factsFromInfo(parseInfo(INFO), '3600 1'), {
      version: '7.0.15',
      maxmemoryPolicy: 'noeviction',
      aofEnabled: true,
      rdbSaveConfigured: true,
    });
  });

  it('compares versions numerically', () => {
    assert.ok(versionAtLeast('6.2.0', 6, 2));
    assert.ok(!versionAtLeast('6.2.14', 7, 0));
    assert.ok(versionAtLeast('7.0.0', 7, 0));
    assert.ok(versionAtLeast('6.10.1', 6, 2));
    assert.ok(versionAtLeast('7.0.0', 6, 2));
    assert.ok(!versionAtLeast('6.0.16', 6, 2));
    assert.ok(!versionAtLeast('5.9.9', 6, 2));
  });

  it('refuses Redis older than 7.0 with a clear message', () => {
    const facts = factsFromInfo(parseInfo(INFO.replace('7.0.15', '6.2.14')), '');
    assert.throws(
      () => checkServer(facts),
      /Redis 6\.2\.14 is too old: the queue needs Redis 7\.0 or newer/,
    );
  });

  it('is silent for a production setup', () => {
    assert.deepEqual(checkServer(factsFromInfo(parseInfo(INFO), '')), []);
  });

  it('warns about an eviction policy that can drop queue keys', () => {
    const warnings = checkServer(
      factsFromInfo(parseInfo(INFO.replace('noeviction', 'allkeys-lru')), ''),
    );
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? '',
      /maxmemory-policy is "allkeys-lru".*Set maxmemory-policy noeviction/,
    );
  });

  it('warns when persistence is off or only snapshots', () => {
    const noAof = parseInfo(INFO.replace('aof_enabled:1', 'aof_enabled:0'));
    assert.match(checkServer(factsFromInfo(noAof, ''))[0] ?? '', /persistence is off/);
    assert.match(checkServer(factsFromInfo(noAof, '3600 1'))[0] ?? '', /AOF is off/);
    // CONFIG unavailable (managed Redis): judged on AOF alone.
    assert.match(checkServer(factsFromInfo(noAof, undefined))[0] ?? '', /AOF is off/);
  });
});

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { createStore, storeStartupMessage } from '../../src/store/from-config.js';
import { queueFile } from '../../src/store/sqlite/sqlite-store.js';
import { redisOf, sqliteOf } from '../helpers/config.js';
import { silentLog } from '../helpers/service.js';

/** The problems loadConfig reports for `env`. */
function problemsOf(env: Record<string, string>): string[] {
  let problems: string[] = [];
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      problems = err instanceof ConfigError ? err.problems : [];
      return err instanceof ConfigError;
    },
  );
  return problems;
}

describe('choosing the store', () => {
  it('defaults to the embedded store in ./data when nothing points at Redis', () => {
    const c = loadConfig({});
    assert.equal(c.store, 'sqlite');
    assert.equal(c.storeChosenBy, 'default');
    assert.equal(sqliteOf(c).dataDir, resolve('data'));
  });

  it('uses Redis when REDIS_URL or REDIS_ADDR is set', () => {
    assert.deepEqual(
      [loadConfig({ REDIS_URL: 'redis://h:6379/0' }), loadConfig({ REDIS_ADDR: 'h:6379' })].map(
        (c) => [c.store, c.storeChosenBy],
      ),
      [
        ['redis', 'REDIS_URL'],
        ['redis', 'REDIS_ADDR'],
      ],
    );
  });

  it('lets STORE decide over everything else', () => {
    const c = loadConfig({ STORE: 'sqlite', REDIS_URL: 'redis://h:6379/0' });
    assert.equal(c.store, 'sqlite');
    assert.equal(c.storeChosenBy, 'STORE');
    const r = loadConfig({ STORE: 'Redis' });
    assert.equal(r.store, 'redis');
    assert.equal(redisOf(r).host, 'localhost');
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ STORE: '', REDIS_URL: '', REDIS_ADDR: ' ' }).store, 'sqlite');
  });

  it('reads DATA_DIR and SQLITE_COMMIT_WINDOW', () => {
    const c = loadConfig({ DATA_DIR: 'var/queue', SQLITE_COMMIT_WINDOW: '5ms' });
    assert.equal(sqliteOf(c).dataDir, resolve('var/queue'));
    assert.equal(sqliteOf(c).commitWindowMs, 5);
    assert.equal(sqliteOf(loadConfig({ SQLITE_COMMIT_WINDOW: '0' })).commitWindowMs, 0);
  });

  it('names the variable when a value is invalid', () => {
    assert.deepEqual(problemsOf({ STORE: 'mongo' }), [
      'STORE="mongo": expected one of redis, sqlite',
    ]);
    assert.match(problemsOf({ SQLITE_COMMIT_WINDOW: 'soon' })[0] ?? '', /^SQLITE_COMMIT_WINDOW=/);
    assert.match(problemsOf({ SQLITE_COMMIT_WINDOW: '2s' })[0] ?? '', /at most 1s/);
  });
});

describe('the store built from the config', () => {
  it('is the embedded store on DATA_DIR/QUEUE_NAME.sqlite, announced with how to switch', () => {
    const c = loadConfig({ DATA_DIR: '/srv/wp', QUEUE_NAME: 'orders:eu' });
    const store = createStore(c, 'consumer-1', silentLog);
    assert.equal(store.kind, 'sqlite');
    assert.equal(store.location, '/srv/wp/orders%3Aeu.sqlite');
    const line = storeStartupMessage(c, store);
    assert.match(line, /embedded SQLite at \/srv\/wp\/orders%3Aeu\.sqlite/);
    assert.match(line, /neither STORE, REDIS_URL nor REDIS_ADDR is set/);
    assert.match(line, /set REDIS_URL/);
  });

  it('is Redis when configured so, announced without secrets', async () => {
    const c = loadConfig({ REDIS_URL: 'redis://user:s3cret@cache:6380/2' });
    const store = createStore(c, 'consumer-1', silentLog);
    assert.equal(store.kind, 'redis');
    const line = storeStartupMessage(c, store);
    assert.match(line, /Redis at redis:\/\/cache:6380\/2/);
    assert.match(line, /REDIS_URL is set/);
    assert.doesNotMatch(line, /s3cret/);
    await store.close();
  });

  it('keeps queue files apart per queue name', () => {
    assert.notEqual(queueFile('/d', 'a:b'), queueFile('/d', 'a_b'));
    assert.equal(queueFile('/d', 'webhook_jobs'), '/d/webhook_jobs.sqlite');
  });
});

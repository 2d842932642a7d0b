/** Expecting configuration problems, and reading the built-in stores' settings. */
import assert from 'node:assert/strict';
import { type Config, ConfigError, loadConfig } from '../../src/config/config.js';
import { optionsOf } from '../../src/store/driver.js';
import { redisDriver } from '../../src/store/redis/driver.js';
import type { RedisConfig } from '../../src/store/redis/settings.js';
import { type SqliteConfig, sqliteDriver } from '../../src/store/sqlite/driver.js';

/** The problems loadConfig reports for `env` (it must refuse it). */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

/** The Redis store's settings in `config`. */
export const redisOf = (config: Config): RedisConfig => optionsOf(redisDriver, config);

/** The embedded store's settings in `config`. */
export const sqliteOf = (config: Config): SqliteConfig => optionsOf(sqliteDriver, config);
